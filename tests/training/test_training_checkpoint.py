"""Checkpoints: a run resumed from one continues exactly as the uninterrupted run."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.training import EarlyStopping, Model, load_checkpoint, save_checkpoint
from minitorch_np.utils.data import DataLoader, TensorDataset


def _data():
    g = np.random.default_rng(0)
    x = torch.from_numpy(g.standard_normal((40, 6)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, 40))
    return TensorDataset(x, y), TensorDataset(x[:20], (y[:20] + 1) % 3)


def _make_model(device, optimizer="sgd", schedule=True):
    """Momentum or Adam state, a schedule and dropout (global random stream): everything a
    resumed run has to get back."""
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3))
    net.to(device)
    opt = (torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(net.parameters(), lr=0.01))
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, 0.7) if schedule else None
    return Model(net).compile(opt, nn.CrossEntropyLoss(), scheduler=sched)


def _loaders(generator=None):
    train, evaluation = _data()
    return (DataLoader(train, batch_size=8, shuffle=True, generator=generator),
            DataLoader(evaluation, batch_size=10))


def _assert_same_state(a: Model, b: Model):
    for (k, v), w in zip(a.net.state_dict().items(), b.net.state_dict().values()):
        np.testing.assert_array_equal(to_host(v), to_host(w), err_msg=k)
    for p, q in zip(a.net.parameters(), b.net.parameters()):
        for key, value in a.optimizer.state[p].items():
            other = b.optimizer.state[q][key]
            if isinstance(value, torch.Tensor):
                np.testing.assert_array_equal(to_host(value), to_host(other), err_msg=key)
            else:
                assert value == other
    assert a.optimizer.param_groups[0]["lr"] == b.optimizer.param_groups[0]["lr"]
    assert a.history.history == b.history.history and a.history.epoch == b.history.epoch
    assert a.epoch == b.epoch


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_epochs_then_two_more_equal_four_straight(device, tmp_path, optimizer, capsys):
    straight = _make_model(device, optimizer)
    straight.fit(*_loaders(), epochs=4, seed=3)

    path = tmp_path / "run.safetensors"
    first = _make_model(device, optimizer)
    first.fit(*_loaders(), epochs=2, seed=3, checkpoint=path)
    torch.manual_seed(999)                     # the global stream is elsewhere by now
    resumed = _make_model(device, optimizer)   # a fresh process would build this
    resumed.load_checkpoint(path)
    assert resumed.epoch == 2 and resumed.seed == 3
    resumed.fit(*_loaders(), epochs=2)         # the seed comes from the checkpoint
    _assert_same_state(straight, resumed)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["1/4", "2/4", "3/4", "4/4", "1/2", "2/2",
                                                    "3/4", "4/4"]


def test_resuming_with_the_loaders_own_generator(tmp_path):
    straight = _make_model("cpu")
    straight.fit(*_loaders(torch.Generator().manual_seed(5)), epochs=3, seed=11, verbose=False)
    path = tmp_path / "ckpt.safetensors"
    first = _make_model("cpu")
    first.fit(*_loaders(torch.Generator().manual_seed(5)), epochs=1, seed=11, checkpoint=path,
              verbose=False)
    resumed = _make_model("cpu").load_checkpoint(path)
    resumed.fit(*_loaders(torch.Generator().manual_seed(42)), epochs=2, verbose=False)
    _assert_same_state(straight, resumed)


def test_a_resumed_run_stops_early_where_the_straight_one_does(tmp_path):
    def model():
        return _make_model("cpu", schedule=False)

    straight = model()
    straight.fit(*_loaders(), epochs=40, early_stopping=3, seed=0, verbose=False)
    stopped = straight.epoch
    assert stopped < 40
    path = tmp_path / "es.safetensors"
    first = model()
    first.fit(*_loaders(), epochs=stopped - 1, early_stopping=3, seed=0, checkpoint=path,
              verbose=False)
    resumed = model().load_checkpoint(path)
    resumed.fit(*_loaders(), epochs=40 - resumed.epoch, early_stopping=3, verbose=False)
    assert resumed.epoch == stopped
    assert resumed.early_stopping.best_epoch == straight.early_stopping.best_epoch
    _assert_same_state(straight, resumed)        # including the restored best weights


def test_a_checkpoint_is_a_safetensors_file(tmp_path):
    model = _make_model("cpu")
    model.fit(*_loaders(), epochs=1, verbose=False)
    path = tmp_path / "c.safetensors"
    model.save_checkpoint(path)
    state = torch.load(path)
    assert state["format"] == "minitorch_np.training.checkpoint" and state["epoch"] == 1
    assert set(state["net"]) == {"0.weight", "0.bias", "3.weight", "3.bias"}
    assert state["scheduler"]["last_epoch"] == 1
    assert list(state["history"]["history"]) == ["loss", "acc", "eval_loss", "eval_acc"]
    safetensors = pytest.importorskip("safetensors.numpy")
    arrays = safetensors.load_file(str(path))
    np.testing.assert_array_equal(arrays["net.0.weight"], to_host(model.net[0].weight))


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    model = _make_model("cpu")
    path = tmp_path / "c.safetensors"
    model.fit(*_loaders(), epochs=1, checkpoint=path, verbose=False)
    before = path.read_bytes()
    original = model.optimizer.state_dict
    monkeypatch.setattr(model.optimizer, "state_dict",
                        lambda: {**original(), "oops": object()})   # cannot be saved
    with pytest.raises(TypeError, match="cannot store"):
        model.fit(*_loaders(), epochs=1, checkpoint=path, verbose=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.safetensors"]  # no temp file


def test_load_checkpoint_rejects_other_files(tmp_path):
    path = tmp_path / "weights.safetensors"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a minitorch_np training checkpoint"):
        load_checkpoint(path)
    net = nn.Linear(2, 2)
    save_checkpoint(path, net)                  # network only
    other = nn.Linear(2, 2)
    state = load_checkpoint(path, other)
    np.testing.assert_array_equal(to_host(other.weight), to_host(net.weight))
    assert state["optimizer"] is None and state["epoch"] == 0
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(path, other, torch.optim.SGD(other.parameters(), lr=0.1))


def test_early_stopping_state_round_trips(tmp_path):
    net = nn.Linear(3, 2)
    stop = EarlyStopping(patience=2)
    stop.step({"eval_loss": 1.0}, 1, net)
    stop.step({"eval_loss": 2.0}, 2, net)
    path = tmp_path / "es.safetensors"
    torch.save(stop.state_dict(), path)
    again = EarlyStopping(patience=5)
    again.load_state_dict(torch.load(path))
    assert (again.patience, again.best, again.best_epoch, again.wait) == (2, 1.0, 1, 1)
    np.testing.assert_array_equal(to_host(again.best_state["weight"]), to_host(net.weight))
