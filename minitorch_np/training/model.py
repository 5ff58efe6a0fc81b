"""`Model`: lecture 004's training wrapper, ``Model(net).compile(...).fit(...)``."""
from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._functions.shape import cat
from .._grad_mode import no_grad
from .._tensor import Tensor
from ..backends import device as Device
from ..nn import Module
from ..optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau
from .callbacks import EarlyStopping
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History, format_logs
from .metrics import Accuracy, Metric
from .progress import progress_bar

__all__ = ["Model"]

# schedules that move the learning rate at every optimizer step rather than every epoch
_PER_STEP_SCHEDULERS = (CyclicLR, OneCycleLR)


class Model:
    """A network with its optimizer, loss and metrics, and the training loop around them —
    the wrapper of lecture 004 ("Training Neural Networks")::

        model = Model(net)
        model.compile(optimizer=torch.optim.SGD(model.net.parameters(), lr=0.1),
                      loss=torch.nn.CrossEntropyLoss(),
                      metrics=[Accuracy()])
        hist = model.fit(train_dataloader, eval_dataloader, epochs=40)
        > Epoch 1/40 loss 1.93342 acc 0.31262 eval_loss 1.75308 eval_acc 0.3831
        ...
        model.evaluate(test_dataloader)
        > eval_loss 4.6196 eval_acc 0.40625

    Each epoch trains on every batch of the training loader (with a progress bar), evaluates
    on the evaluation loader if one is given, steps the scheduler, and prints one line. The
    loss and metrics printed for training are averages over the epoch's samples, measured
    while the weights were changing, as in the lecture.

    Args:
        net: the network (``model.net``), an ``nn.Module`` that maps a batch of inputs to a
            batch of outputs.
        device: where to train: the network is moved there, and so is each batch. Default:
            the device of the network's parameters.

    The loaders must yield ``(inputs, targets)`` pairs of tensors; the loss is called as
    ``loss(outputs, targets)`` and must average over the batch (``reduction='mean'``, the
    default of every loss) or sum (``'sum'``).
    """

    def __init__(self, net: Module, device=None) -> None:
        if not isinstance(net, Module):
            raise TypeError(f"Model: net must be an nn.Module, got {type(net).__name__}")
        self.net = net
        if device is not None:
            device = Device(device)
            net.to(device)
        self._device = device
        self.optimizer = None
        self.loss = None
        self.metrics: list[Metric] = []
        self.scheduler = None
        self.history = History()
        self.epoch = 0          # epochs trained so far (fit continues from here)
        self.seed: int | None = None
        self.early_stopping: EarlyStopping | None = None
        self._early_stopping_state: Mapping | None = None  # from a checkpoint, for the next fit

    @property
    def device(self) -> Device:
        """The device the network trains on."""
        if self._device is not None:
            return self._device
        for p in self.net.parameters():
            return p.device
        return Device("cpu")

    def to(self, device) -> Model:
        """Move the network (and what the optimizer keeps, when it is made afterwards) to
        `device`; batches follow. Build the optimizer after moving, as in PyTorch."""
        self._device = Device(device)
        self.net.to(self._device)
        return self

    # -- set-up ----------------------------------------------------------------------------
    def compile(self, optimizer, loss, metrics: Sequence[Metric] | None = None,
                scheduler=None) -> Model:
        """Choose how to train: the `optimizer` (built on ``model.net.parameters()``), the
        `loss` (e.g. ``nn.CrossEntropyLoss()``), the `metrics` to report (default:
        ``[Accuracy()]``; ``[]`` for none) and an optional learning-rate `scheduler`.

        The scheduler is stepped after each epoch — with the epoch's monitored loss for
        ``ReduceLROnPlateau`` (``eval_loss``, else ``loss``) — except ``CyclicLR`` and
        ``OneCycleLR``, which are stepped after every optimizer step, as their schedules are
        counted in steps. The optimizer may be None for a model that is only evaluated (an
        `Ensemble`, a trained network). Returns the model, so that calls chain:
        ``Model(net).compile(...).fit(...)``.
        """
        if optimizer is not None and not (hasattr(optimizer, "step")
                                          and hasattr(optimizer, "zero_grad")
                                          and hasattr(optimizer, "param_groups")):
            raise TypeError(f"Model.compile: optimizer must be a minitorch_np.optim optimizer, "
                            f"got {type(optimizer).__name__}")
        if not callable(loss):
            raise TypeError(f"Model.compile: loss must be callable (e.g. "
                            f"nn.CrossEntropyLoss()), got {type(loss).__name__}")
        reduction = getattr(loss, "reduction", "mean")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"Model.compile: the loss must reduce the batch to one number "
                             f"(reduction='mean' or 'sum'), got reduction={reduction!r}")
        metrics = [Accuracy()] if metrics is None else list(metrics)
        for m in metrics:
            if not isinstance(m, Metric):
                raise TypeError(f"Model.compile: metrics must be Metric objects (e.g. "
                                f"Accuracy()), got {type(m).__name__}")
        names = [m.name for m in metrics]
        if len(set(names)) != len(names) or "loss" in names:
            raise ValueError(f"Model.compile: metric names must be distinct and not 'loss', "
                             f"got {names}")
        if scheduler is not None and not hasattr(scheduler, "step"):
            raise TypeError(f"Model.compile: scheduler must be a learning-rate scheduler, got "
                            f"{type(scheduler).__name__}")
        if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
            raise ValueError("Model.compile: the scheduler was built on another optimizer")
        self.optimizer, self.loss, self.metrics, self.scheduler = (optimizer, loss, metrics,
                                                                    scheduler)
        return self

    def _check_compiled(self, op: str, needs_optimizer: bool = True) -> None:
        if self.loss is None or (needs_optimizer and self.optimizer is None):
            raise RuntimeError(f"Model.{op}: call model.compile(optimizer, loss, ...) first"
                               + (" (with an optimizer, to train)" if self.loss is not None
                                  else ""))

    # -- training --------------------------------------------------------------------------
    def fit(self, train_loader: Iterable, eval_loader: Iterable | None = None, epochs: int = 1,
            early_stopping: int | EarlyStopping | None = None, *,
            accumulate: int | str = 1, seed: int | None = None,
            checkpoint: str | os.PathLike | None = None, verbose: bool = True,
            progress: bool | None = None) -> History:
        """Train for `epochs` more epochs; returns the `History` (``model.history``).

        Epochs are numbered on from the ones already done (``model.epoch``), so a second
        ``fit`` or one after ``load_checkpoint`` continues the run: ``Epoch 3/4``, ``4/4``.

        Args:
            train_loader: batches ``(inputs, targets)`` to train on (a ``DataLoader``).
            eval_loader: batches to evaluate on after each epoch (``eval_loss``,
                ``eval_<metric>``), or None.
            epochs: how many epochs to train.
            early_stopping: a patience (an int: ``EarlyStopping(patience)`` watching
                ``eval_loss``) or an `EarlyStopping`; training stops after that many epochs
                without improvement and the best epoch's weights are restored.
            accumulate: how many batches' gradients make one update (lecture 003's three
                update rules): 1 (the default) updates after every batch; k > 1 sums the
                gradients of k batches and updates once, as one step on the k batches
                joined (the batch losses are weighted by their sizes, so unequal batches
                count as in one big batch); ``'epoch'`` updates once per epoch, with the
                gradient of the whole training set (full-batch gradient descent). Memory
                stays that of one batch: each batch's graph is freed after its backward. For
                per-sample updates, use a loader with ``batch_size=1``.
            seed: makes each epoch's randomness a function of (seed, epoch): before epoch e,
                the global random stream (dropout masks, shuffling by the default sampler,
                random augmentations) and the training loader's ``generator``, if it has
                one, are reseeded from (seed, e). A run resumed from a checkpoint then
                continues exactly as the uninterrupted one would. Default: the seed of the
                previous ``fit`` or of the loaded checkpoint, else none (no reseeding).
            checkpoint: a path: after every epoch, save everything needed to resume there
                (atomically: an interrupted save leaves the previous checkpoint whole).
            verbose: print the per-epoch lines (default True).
            progress: show a progress bar within each epoch; None (default): when standard
                error is a terminal or in a notebook.
        """
        self._check_compiled("fit")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Model.fit: epochs must be an int >= 0, got {epochs!r}")
        steps_per_update = _check_accumulate(accumulate)
        stopper = _make_early_stopping(early_stopping, eval_loader)
        if stopper is not None and self._early_stopping_state is not None:
            stopper.load_state_dict(self._early_stopping_state)  # resuming a stopped-early run
        self._early_stopping_state = None
        self.early_stopping = stopper
        if seed is not None:
            self.seed = int(seed)

        first, last = self.epoch + 1, self.epoch + epochs
        for epoch in range(first, last + 1):
            if self.seed is not None:
                _reseed(self.seed, epoch, train_loader)
            logs = self._train_epoch(train_loader, steps_per_update, epoch, last, progress)
            if eval_loader is not None:
                logs.update(self.evaluate(eval_loader, verbose=False, progress=False))
            self._step_scheduler_per_epoch(logs)
            self.epoch = epoch
            self.history.append(epoch, logs)
            if verbose:
                print(f"Epoch {epoch}/{last} {format_logs(logs)}", flush=True)
            stop = stopper is not None and stopper.step(logs, epoch, self.net)
            if checkpoint is not None:
                self.save_checkpoint(checkpoint)
            if stop:
                restored = stopper.restore(self.net)
                if verbose:
                    print(f"Early stopping: {stopper.monitor} did not improve for "
                          f"{stopper.patience} epochs; "
                          + (f"restored the weights of epoch {stopper.best_epoch} "
                             f"({stopper.monitor} {round(stopper.best, 5)})" if restored else
                             f"the best was epoch {stopper.best_epoch}"), flush=True)
                break
        return self.history

    def _train_epoch(self, loader, steps_per_update: float, epoch: int, last: int,
                     progress: bool | None) -> dict[str, float]:
        net, optimizer, loss_fn = self.net, self.optimizer, self.loss
        per_step_scheduler = isinstance(self.scheduler, _PER_STEP_SCHEDULERS)
        mean_loss = getattr(loss_fn, "reduction", "mean") == "mean"
        net.train()
        for m in self.metrics:
            m.reset()
        loss_sum, seen = 0.0, 0
        pending_batches, pending_samples = 0, 0   # gradients summed since the last update

        def update() -> None:
            # the summed gradients Σ n_i ∇L_i become the gradient of the mean over the group
            if mean_loss and steps_per_update != 1:
                with no_grad():
                    for group in optimizer.param_groups:
                        for p in group["params"]:
                            if p.grad is not None:
                                p.grad.div_(pending_samples)
            optimizer.step()
            optimizer.zero_grad()
            if per_step_scheduler:
                self.scheduler.step()

        optimizer.zero_grad()
        device = self.device
        bar = progress_bar(loader, desc=f"Epoch {epoch}/{last}", enabled=progress)
        try:
            for batch in bar:
                inputs, targets = self._to_device(batch, "fit", device)
                output = net(inputs)
                loss = loss_fn(output, targets)
                n = _batch_size(targets, output)
                if steps_per_update == 1:
                    loss.backward()
                else:
                    (loss * n if mean_loss else loss).backward()
                pending_batches += 1
                pending_samples += n
                if pending_batches == steps_per_update:
                    update()
                    pending_batches, pending_samples = 0, 0
                value = loss.item()
                loss_sum += value * n if mean_loss else value
                seen += n
                for m in self.metrics:
                    m.update(output.detach(), targets)
                bar.set_postfix_str(f"loss {loss_sum / seen:.5f}", refresh=False)
            if pending_batches:  # the epoch's last, incomplete group (or the whole epoch)
                update()
        finally:
            bar.close()
        if seen == 0:
            raise ValueError("Model.fit: the training loader yielded no batch")
        logs = {"loss": loss_sum / seen}
        logs.update({m.name: m.compute() for m in self.metrics})
        return logs

    def _step_scheduler_per_epoch(self, logs: Mapping[str, float]) -> None:
        scheduler = self.scheduler
        if scheduler is None or isinstance(scheduler, _PER_STEP_SCHEDULERS):
            return
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(logs.get("eval_loss", logs["loss"]))
        else:
            scheduler.step()

    # -- evaluation and prediction ---------------------------------------------------------
    def evaluate(self, loader: Iterable, verbose: bool = True,
                 progress: bool | None = None) -> dict[str, float]:
        """The loss and metrics on `loader`'s data, the network in eval mode and no graph
        recorded: ``{'eval_loss': ..., 'eval_acc': ...}`` (averages over the samples).
        Prints them as lecture 004 does (``eval_loss 1.64193 eval_acc 0.42834``) when
        `verbose`."""
        self._check_compiled("evaluate", needs_optimizer=False)
        mean_loss = getattr(self.loss, "reduction", "mean") == "mean"
        for m in self.metrics:
            m.reset()
        loss_sum, seen = 0.0, 0
        was_training = self.net.training
        self.net.eval()
        device = self.device
        bar = progress_bar(loader, desc="eval", enabled=progress)
        try:
            with no_grad():
                for batch in bar:
                    inputs, targets = self._to_device(batch, "evaluate", device)
                    output = self.net(inputs)
                    n = _batch_size(targets, output)
                    value = self.loss(output, targets).item()
                    loss_sum += value * n if mean_loss else value
                    seen += n
                    for m in self.metrics:
                        m.update(output, targets)
        finally:
            bar.close()
            self.net.train(was_training)
        if seen == 0:
            raise ValueError("Model.evaluate: the loader yielded no batch")
        logs = {"eval_loss": loss_sum / seen}
        logs.update({f"eval_{m.name}": m.compute() for m in self.metrics})
        if verbose:
            print(format_logs(logs), flush=True)
        return logs

    def predict(self, data, progress: bool | None = None) -> Tensor:
        """The network's outputs for every input of `data`, joined into one Tensor (on the
        model's device), in eval mode without a graph.

        `data` is a loader of input batches — or of ``(inputs, targets)`` pairs, whose targets
        are ignored — or one Tensor of inputs.
        """
        was_training = self.net.training
        self.net.eval()
        try:
            with no_grad():
                if isinstance(data, Tensor):
                    return self.net(data.to(self.device))
                outputs = []
                bar = progress_bar(data, desc="predict", enabled=progress)
                try:
                    for batch in bar:
                        if isinstance(batch, list | tuple):
                            batch = batch[0]
                        outputs.append(self.net(batch.to(self.device)))
                finally:
                    bar.close()
                if not outputs:
                    raise ValueError("Model.predict: the loader yielded no batch")
                return cat(outputs, dim=0)
        finally:
            self.net.train(was_training)

    def _to_device(self, batch, op: str, device: Device) -> tuple[Any, Tensor]:
        """The batch's (inputs, targets) on `device` (the model's, looked up once per loop:
        it walks the network's parameters)."""
        if not isinstance(batch, list | tuple) or len(batch) != 2:
            raise TypeError(f"Model.{op}: each batch must be a pair (inputs, targets), got "
                            f"{type(batch).__name__}"
                            + (f" of length {len(batch)}" if isinstance(batch, list | tuple)
                               else ""))
        inputs, targets = batch
        if isinstance(inputs, Tensor) and inputs._device is not device:  # (devices are unique)
            inputs = inputs.to(device)
        if isinstance(targets, Tensor) and targets._device is not device:
            targets = targets.to(device)
        return inputs, targets

    # -- checkpoints -----------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Save the network, optimizer, scheduler, epoch count, history, seed and
        early-stopping state to `path` (atomically, no pickle)."""
        save_checkpoint(path, self.net, self.optimizer, self.scheduler, epoch=self.epoch,
                        history=self.history.state_dict(), seed=self.seed,
                        early_stopping=(self.early_stopping.state_dict()
                                        if self.early_stopping is not None else None))

    def load_checkpoint(self, path: str | os.PathLike) -> Model:
        """Restore what `save_checkpoint` saved, into this model (compiled first with an
        optimizer and scheduler of the same kinds, on the same parameters). The next `fit`
        continues from the saved epoch, with the saved seed."""
        state = load_checkpoint(path, self.net, self.optimizer,
                                self.scheduler if self.scheduler is not None else None,
                                map_location=None)
        self.epoch = int(state["epoch"])
        self.history = History()
        if state.get("history") is not None:
            self.history.load_state_dict(state["history"])
        self.seed = state.get("seed")
        self._early_stopping_state = state.get("early_stopping")
        return self

    def __repr__(self) -> str:
        lines = [f"Model(epoch={self.epoch}, device={self.device},"]
        lines += ["  net=" + repr(self.net).replace("\n", "\n  ") + ","]
        lines += [f"  optimizer={type(self.optimizer).__name__ if self.optimizer else None}, "
                  f"loss={self.loss!r}, metrics={self.metrics!r}, "
                  f"scheduler={type(self.scheduler).__name__ if self.scheduler else None})"]
        return "\n".join(lines)


def _check_accumulate(accumulate) -> float:
    if accumulate == "epoch":
        return math.inf
    if isinstance(accumulate, bool) or not isinstance(accumulate, int) or accumulate < 1:
        raise ValueError(f"Model.fit: accumulate must be an int >= 1 or 'epoch', got "
                         f"{accumulate!r}")
    return accumulate


def _make_early_stopping(early_stopping, eval_loader) -> EarlyStopping | None:
    if early_stopping is None or early_stopping is False:
        return None
    if isinstance(early_stopping, EarlyStopping):
        stopper = early_stopping
    elif isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        stopper = EarlyStopping(patience=early_stopping)
    else:
        raise TypeError(f"Model.fit: early_stopping must be a patience (int) or an "
                        f"EarlyStopping, got {type(early_stopping).__name__}")
    if stopper.monitor.startswith("eval_") and eval_loader is None:
        raise ValueError(f"Model.fit: early stopping watches {stopper.monitor!r}, which needs "
                         f"evaluation data: fit(train_loader, eval_loader, ...), or "
                         f"EarlyStopping(monitor='loss')")
    return stopper


def _batch_size(targets, output) -> int:
    for t in (targets, output):
        if isinstance(t, Tensor) and t.ndim > 0:
            return int(t.shape[0])
    return 1


def _epoch_seeds(seed: int, epoch: int) -> tuple[int, int]:
    """Two independent 63-bit seeds for epoch `epoch` of a run seeded with `seed`."""
    a, b = np.random.SeedSequence([int(seed) % 2 ** 64, int(epoch)]).generate_state(
        2, dtype=np.uint64)
    return int(a) >> 1, int(b) >> 1


def _reseed(seed: int, epoch: int, loader) -> None:
    from .._creation import manual_seed
    global_seed, loader_seed = _epoch_seeds(seed, epoch)
    manual_seed(global_seed)
    generator = getattr(loader, "generator", None)
    if generator is not None and hasattr(generator, "manual_seed"):
        generator.manual_seed(loader_seed)
