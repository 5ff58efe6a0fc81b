"""Batch normalization layers: `BatchNorm1d`, `BatchNorm2d` (lecture 000, "Batch
normalization"; lecture 004, "Batch Normalization").

In training mode the layer normalises each channel with the statistics of the current batch
and keeps running averages of them; in evaluation mode (``model.eval()``) it uses the running
averages instead, so the output of a sample no longer depends on the rest of its batch:

    training:    y = γ·(x − μ_batch)/√(σ²_batch + ε) + β          (σ² biased: divide by M)
                 running_mean ← (1 − momentum)·running_mean + momentum·μ_batch
                 running_var  ← (1 − momentum)·running_var  + momentum·σ²_batch·M/(M − 1)
    evaluation:  y = γ·(x − running_mean)/√(running_var + ε) + β

M is the number of values per channel in the batch (N, or N·L, or N·H·W). ``momentum=None``
makes the running statistics a cumulative average (momentum = 1/number of batches seen).
``F.batch_norm`` (``_functions/normalization.py``) and docs/batchnorm.md give the backward.
"""
from __future__ import annotations

from ... import _creation, _dtype
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: parameters, buffers, the train/eval switch."""

    _version = 2  # version 2 added num_batches_tracked (older state dicts get 0)
    _shapes = ""  # the accepted input shapes, for error messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 _creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 _creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 _creation.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean ← 0, running_var ← 1, num_batches_tracked ← 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """The running statistics reset, γ = 1 and β = 0 (the identity on normalised data)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, input) -> None:
        name, c = type(self).__name__, self.num_features
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        shapes = self._shapes.format(c=c)
        if input.ndim not in self._ranks:
            raise RuntimeError(f"{name}: expected an input of shape {shapes}, got "
                             f"{input.ndim}-D input of shape {tuple(input.shape)}")
        if input.shape[1] != c:
            raise RuntimeError(f"{name}: expected input with {c} channels (shape {shapes}), got "
                             f"{tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        # the weight of the new batch in the running averages (None: a cumulative average)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics when training, or when there are no running statistics to use
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        # running statistics are updated in training only when they are tracked
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        # checkpoints from before num_batches_tracked existed (version < 2) load with 0
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                               else _creation.tensor(0, dtype=_dtype.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C.

    Args:
        num_features: C.
        eps: added to the variance for stability (1e-5).
        momentum: the new batch's weight in the running averages (0.1); None for a
            cumulative average.
        affine: learn γ (weight, init 1) and β (bias, init 0) (default True).
        bias: with `affine`, learn β too (keyword-only, default True).
        track_running_stats: keep running_mean (init 0), running_var (init 1) and
            num_batches_tracked and use them in evaluation mode (default True); if False,
            batch statistics are used in both modes.

    The lecture's example (lecture 000): with β = [2, 4, 8] and γ = [1, 2, 3], a batch of
    data with standard deviations [2, 5, 10] comes out with means ≈ [2, 4, 8] and standard
    deviations ≈ [1, 2, 3].

    >>> bn = nn.BatchNorm1d(3)
    >>> bn.bias = nn.Parameter(minitorch_np.Tensor([2, 4, 8]))
    >>> bn.weight = nn.Parameter(minitorch_np.Tensor([1, 2, 3]))
    """

    _ranks = (2, 3)
    _shapes = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel C (statistics over N·H·W).

    The same arguments and behaviour as `BatchNorm1d`.
    """

    _ranks = (4,)
    _shapes = "(N, {c}, H, W)"
