"""The pieces of `minitorch_np.training`: metrics, the printed line, History, EarlyStopping,
compile/evaluate/predict, Ensemble and the LR range test."""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.training import (
    Accuracy,
    EarlyStopping,
    Ensemble,
    History,
    Metric,
    Model,
    lr_range_test,
)
from minitorch_np.training.history import format_logs
from minitorch_np.utils.data import DataLoader, TensorDataset


def _data(n=12, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, classes, n)
    return torch.from_numpy(x), torch.from_numpy(y)


def _softmax_ce(logits: np.ndarray, y: np.ndarray) -> float:
    z = logits.astype(np.float64) - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


# -- Accuracy ------------------------------------------------------------------------------
def test_accuracy_counts_over_batches_of_unequal_size(device):
    acc = Accuracy()
    acc.update(torch.tensor([[2., 1.], [0., 3.], [5., 4.]], device=device),
               torch.tensor([0, 0, 0], device=device))       # right, wrong, right
    acc.update(torch.tensor([[0., 1.]], device=device), torch.tensor([1], device=device))
    assert (acc.correct, acc.total) == (3, 4)
    assert acc.compute() == 0.75                               # not the mean of 2/3 and 1
    acc.reset()
    assert acc.compute() == 0.0


def test_accuracy_of_one_output_per_sample_uses_the_threshold(device):
    logits = torch.tensor([-1.0, 0.5, 2.0, -0.1], device=device)
    acc = Accuracy()
    acc.update(logits, torch.tensor([0., 1., 0., 0.], device=device))  # float labels (BCE)
    assert acc.compute() == 0.75
    probs = Accuracy(threshold=0.5)
    probs.update(torch.tensor([[0.2], [0.7]], device=device),
                 torch.tensor([[0], [0]], device=device))
    assert probs.compute() == 0.5
    assert repr(probs) == "Accuracy(threshold=0.5)"


def test_accuracy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected outputs of shape"):
        Accuracy().update(torch.zeros(2, 3, 4), torch.zeros(2).long())
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        Accuracy().update(torch.zeros(3, 4), torch.zeros(2).long())
    with pytest.raises(TypeError, match="expected Tensors"):
        Accuracy().update(np.zeros((3, 4)), torch.zeros(3).long())


# -- the printed line and History ------------------------------------------------------------
def test_format_logs_prints_like_lecture_004():
    # the lecture's lines: "Epoch 3/40 loss 1.63208 acc 0.41733", "acc 1.0", "acc 0.0625"
    assert format_logs({"loss": 1.632084, "acc": 0.4173333}) == "loss 1.63208 acc 0.41733"
    assert format_logs({"loss": 0.27745, "acc": 1.0}) == "loss 0.27745 acc 1.0"
    assert format_logs({"loss": 2.392994, "acc": 0.0625}) == "loss 2.39299 acc 0.0625"
    assert format_logs({"eval_loss": 4.61960, "eval_acc": 0.40625}) == \
        "eval_loss 4.6196 eval_acc 0.40625"


def test_history_records_epochs_and_reads_like_a_dict():
    h = History()
    assert repr(h) == "History(no epochs)"
    h.append(1, {"loss": 2.0, "acc": 0.5})
    h.append(2, {"loss": 1.0, "acc": 0.75})
    assert h.history == {"loss": [2.0, 1.0], "acc": [0.5, 0.75]}
    assert h["loss"] == [2.0, 1.0] and list(h) == ["loss", "acc"] and h.epoch == [1, 2]
    copy = History()
    copy.load_state_dict(h.state_dict())
    assert copy.history == h.history and copy.epoch == h.epoch
    assert "2 epochs" in repr(h) and "loss 1.0" in repr(h)


def test_history_plot_draws_train_and_eval_curves(tmp_path):
    pytest.importorskip("matplotlib")
    h = History()
    for e, (loss, eval_loss) in enumerate([(2.0, 2.1), (1.0, 1.5), (0.5, 1.6)], start=1):
        h.append(e, {"loss": loss, "acc": 0.1 * e, "eval_loss": eval_loss, "eval_acc": 0.05 * e})
    fig = h.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["loss", "acc"]
    lines = axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["train", "eval"]
    np.testing.assert_allclose(lines[1].get_ydata(), [2.1, 1.5, 1.6])
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot()


def test_importing_training_loads_neither_matplotlib_nor_tqdm():
    code = ("import sys, minitorch_np, minitorch_np.training; "
            "print('matplotlib' in sys.modules, 'tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.split() == ["False", "False"]


# -- EarlyStopping -----------------------------------------------------------------------------
def test_early_stopping_counts_epochs_without_improvement():
    stop = EarlyStopping(patience=3)
    values = [1.0, 0.8, 0.9, 0.8, 0.7, 0.75, 0.71, 0.72, 0.1]
    decisions = [stop.step({"eval_loss": v}, e) for e, v in enumerate(values[:8], start=1)]
    # 0.8 at epoch 4 is no improvement on 0.8 (strictly better is needed); epoch 5 resets
    # the count; epochs 6, 7, 8 make three without improvement
    assert decisions == [False] * 7 + [True]
    assert (stop.best, stop.best_epoch, stop.stopped_epoch, stop.wait) == (0.7, 5, 8, 3)


def test_early_stopping_mode_and_min_delta():
    assert EarlyStopping(monitor="eval_acc").mode == "max"
    assert EarlyStopping(monitor="loss").mode == "min"
    stop = EarlyStopping(patience=1, monitor="eval_acc", min_delta=0.01)
    assert not stop.step({"eval_acc": 0.5}, 1)
    assert stop.step({"eval_acc": 0.505}, 2)        # +0.005 < min_delta: not an improvement
    with pytest.raises(KeyError, match="need eval data"):
        EarlyStopping().step({"loss": 1.0}, 1)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_early_stopping_keeps_a_copy_of_the_best_weights(device):
    net = nn.Linear(2, 1).to(device)
    stop = EarlyStopping(patience=1, monitor="loss")
    stop.step({"loss": 1.0}, 1, net)
    best = to_host(net.weight).copy()
    with torch.no_grad():
        net.weight.add_(1.0)                  # the copy must not follow the network
    assert stop.step({"loss": 2.0}, 2, net)
    assert stop.restore(net)
    np.testing.assert_array_equal(to_host(net.weight), best)
    assert net.weight.device == torch.device(device)


# -- compile, evaluate, predict --------------------------------------------------------------
def test_compile_validates_and_chains():
    net = nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    model = Model(net)
    assert model.compile(opt, nn.CrossEntropyLoss()) is model
    assert [type(m) for m in model.metrics] == [Accuracy]       # the default metrics
    assert model.compile(opt, nn.MSELoss(), metrics=[]).metrics == []
    with pytest.raises(TypeError, match="optimizer"):
        model.compile("sgd", nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="loss must be callable"):
        model.compile(opt, "ce")
    with pytest.raises(ValueError, match="reduction"):
        model.compile(opt, nn.CrossEntropyLoss(reduction="none"))
    with pytest.raises(TypeError, match="Metric"):
        model.compile(opt, nn.CrossEntropyLoss(), metrics=["acc"])
    with pytest.raises(ValueError, match="distinct"):
        model.compile(opt, nn.CrossEntropyLoss(), metrics=[Accuracy(), Accuracy()])
    other = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        model.compile(opt, nn.CrossEntropyLoss(),
                      scheduler=torch.optim.lr_scheduler.StepLR(other, 1))
    with pytest.raises(TypeError, match="nn.Module"):
        Model(lambda x: x)


def test_fit_before_compile_is_an_error():
    x, y = _data()
    with pytest.raises(RuntimeError, match="compile"):
        Model(nn.Linear(5, 3)).fit(DataLoader(TensorDataset(x, y), batch_size=4))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_evaluate_averages_over_samples_not_batches(device, reduction, capsys):
    # 7 samples in batches of 3, 3, 1: the result must be the mean over all 7 samples
    x, y = _data(n=7)
    net = nn.Linear(5, 3)
    model = Model(net, device=device).compile(None, nn.CrossEntropyLoss(reduction=reduction))
    logs = model.evaluate(DataLoader(TensorDataset(x, y), batch_size=3))
    logits = to_host(net(x.to(device)))
    assert logs["eval_loss"] == pytest.approx(_softmax_ce(logits, y.numpy()), rel=1e-5)
    assert logs["eval_acc"] == np.mean(logits.argmax(1) == y.numpy())
    assert list(logs) == ["eval_loss", "eval_acc"]
    assert capsys.readouterr().out == format_logs(logs) + "\n"
    model.evaluate(DataLoader(TensorDataset(x, y), batch_size=3), verbose=False)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_use_eval_mode_and_restore_train_mode(device):
    torch.manual_seed(0)
    x, y = _data(n=10)
    net = nn.Sequential(nn.Linear(5, 8), nn.Dropout(0.5), nn.Linear(8, 3)).to(device)
    model = Model(net).compile(None, nn.CrossEntropyLoss())
    assert net.training
    out = model.predict(DataLoader(TensorDataset(x, y), batch_size=4))
    assert net.training
    net.eval()
    expected = to_host(net(x.to(device)))
    net.train()
    assert out.shape == (10, 3) and out.device == torch.device(device)
    np.testing.assert_allclose(to_host(out), expected, rtol=1e-6, atol=1e-6)
    assert not out.requires_grad
    # a loader of bare inputs, and a Tensor, give the same
    np.testing.assert_allclose(to_host(model.predict(DataLoader(TensorDataset(x), batch_size=3))
                                       ), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(to_host(model.predict(x)), expected, rtol=1e-6, atol=1e-6)
    model.evaluate(DataLoader(TensorDataset(x, y), batch_size=4), verbose=False)
    assert net.training


def test_batches_must_be_pairs():
    x, y = _data()
    model = Model(nn.Linear(5, 3)).compile(None, nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match=r"pair \(inputs, targets\)"):
        model.evaluate(DataLoader(TensorDataset(x), batch_size=4))


def test_model_moves_the_network_and_the_batches(device):
    x, y = _data()
    model = Model(nn.Linear(5, 3), device=device)
    assert model.device == torch.device(device)
    assert model.net.weight.device == torch.device(device)
    model.compile(torch.optim.SGD(model.net.parameters(), lr=0.1), nn.CrossEntropyLoss())
    hist = model.fit(DataLoader(TensorDataset(x, y), batch_size=4), epochs=1, verbose=False)
    assert len(hist["loss"]) == 1 and math.isfinite(hist["loss"][0])
    assert "Model(epoch=1" in repr(model)


# -- Ensemble ---------------------------------------------------------------------------------
def test_ensemble_averages_probabilities(device):
    x, _ = _data(n=6)
    x = x.to(device)
    nets = [nn.Linear(5, 3).to(device) for _ in range(3)]
    ensemble = Ensemble(nets)
    out = to_host(ensemble(x)).astype(np.float64)
    probs = []
    for net in nets:
        z = to_host(net(x)).astype(np.float64)
        e = np.exp(z - z.max(1, keepdims=True))
        probs.append(e / e.sum(1, keepdims=True))
    mean = np.mean(probs, axis=0)
    np.testing.assert_allclose(out, np.log(mean), rtol=1e-5, atol=1e-6)
    # they are logits: their softmax is the averaged probabilities
    np.testing.assert_allclose(to_host(ensemble(x).softmax(dim=1)), mean, rtol=1e-5, atol=1e-6)
    assert ensemble(x).dtype == torch.float32


def test_ensemble_of_outputs_and_from_state_dicts(device):
    x, _ = _data(n=4)
    x = x.to(device)
    nets = [nn.Linear(5, 2).to(device) for _ in range(2)]
    mean = (to_host(nets[0](x)) + to_host(nets[1](x))) / 2
    np.testing.assert_allclose(to_host(Ensemble(nets, average="outputs")(x)), mean, rtol=1e-6)
    snap = Ensemble.from_state_dicts(lambda: nn.Linear(5, 2).to(device),
                                     [n.state_dict() for n in nets], average="outputs")
    np.testing.assert_allclose(to_host(snap(x)), mean, rtol=1e-6)
    wrapped = Ensemble([Model(n) for n in nets], average="outputs")   # Models give their .net
    np.testing.assert_allclose(to_host(wrapped(x)), mean, rtol=1e-6)
    assert len(list(wrapped.parameters())) == 4
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])
    with pytest.raises(ValueError, match="average"):
        Ensemble(nets, average="vote")


def test_ensemble_evaluates_through_model():
    x, y = _data(n=9)
    nets = [nn.Linear(5, 3) for _ in range(2)]
    logs = Model(Ensemble(nets)).compile(None, nn.CrossEntropyLoss()).evaluate(
        DataLoader(TensorDataset(x, y), batch_size=4), verbose=False)
    probs = sum(np.exp(to_host(n(x)) - to_host(n(x)).max(1, keepdims=True))
                / np.exp(to_host(n(x)) - to_host(n(x)).max(1, keepdims=True)).sum(1,
                                                                                   keepdims=True)
                for n in nets) / 2
    expected = float(-np.log(probs[np.arange(9), y.numpy()]).mean())
    assert logs["eval_loss"] == pytest.approx(expected, rel=1e-5)


# -- the LR range test -------------------------------------------------------------------------
def test_lr_range_test_sweeps_geometrically_and_restores_the_weights(device, tmp_path):
    torch.manual_seed(0)
    x, y = _data(n=64, features=4)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.123, momentum=0.9)
    model = Model(net).compile(opt, nn.CrossEntropyLoss())
    before = {k: to_host(v).copy() for k, v in net.state_dict().items()}
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)   # 4 batches, cycled
    result = lr_range_test(model, loader, start_lr=1e-4, end_lr=1.0, num_iter=9, diverge=1e9)
    np.testing.assert_allclose(result.lrs, np.logspace(-4, 0, 9), rtol=1e-12)
    assert len(result.losses) == len(result.raw_losses) == 9
    # the first smoothed loss is the first batch loss (bias correction)
    assert result.losses[0] == pytest.approx(result.raw_losses[0], rel=1e-12)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(to_host(v), before[k])
    assert opt.param_groups[0]["lr"] == 0.123 and len(opt.state) == 0
    assert 1e-4 <= result.suggestion() <= 1.0
    if __import__("importlib").util.find_spec("matplotlib"):
        result.plot(tmp_path / "lr.png")
        assert (tmp_path / "lr.png").exists()


def test_lr_range_test_stops_when_the_loss_diverges():
    torch.manual_seed(0)
    x, y = _data(n=32, features=4)
    net = nn.Linear(4, 3)
    result = lr_range_test(net, DataLoader(TensorDataset(x, y), batch_size=8),
                           optimizer=torch.optim.SGD(net.parameters(), lr=0.1),
                           loss_fn=nn.CrossEntropyLoss(), start_lr=1e-3, end_lr=1e6,
                           num_iter=200)
    assert len(result.lrs) < 200                      # it blew up and stopped
    last = result.losses[-1]
    assert not math.isfinite(last) or last > 4 * min(result.losses)
    with pytest.raises(ValueError, match="compiled Model"):
        lr_range_test(net, DataLoader(TensorDataset(x, y)))


def test_a_custom_metric_gets_its_own_history_keys():
    class MeanAbsoluteError(Metric):
        name = "mae"

        def reset(self):
            self.total, self.count = 0.0, 0

        def update(self, output, target):
            self.total += (output - target).abs().sum().item()
            self.count += target.numel()

        def compute(self):
            return self.total / self.count

    x = torch.randn(8, 2)
    y = x.sum(dim=1, keepdim=True)
    net = nn.Linear(2, 1)
    model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.1), nn.MSELoss(),
                               metrics=[MeanAbsoluteError()])
    hist = model.fit(DataLoader(TensorDataset(x, y), batch_size=4),
                     DataLoader(TensorDataset(x, y), batch_size=8), epochs=2, verbose=False)
    assert list(hist) == ["loss", "mae", "eval_loss", "eval_mae"]
    with torch.no_grad():
        mae = (net(x) - y).abs().mean().item()
    assert hist["eval_mae"][-1] == pytest.approx(mae, rel=1e-5)
