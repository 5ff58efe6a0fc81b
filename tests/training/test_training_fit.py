"""`Model.fit`: lecture 004's pipeline checks, its printed lines, early stopping, gradient
accumulation (lecture 003's update rules), schedulers, seeds and the progress bar."""
from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import to_host

import minitorch_np as torch
from minitorch_np import nn
from minitorch_np.datasets import MNIST5k
from minitorch_np.training import EarlyStopping, Model
from minitorch_np.utils.data import DataLoader, TensorDataset

LINE = re.compile(r"^Epoch (\d+)/(\d+) loss (\S+) acc (\S+)( eval_loss (\S+) eval_acc (\S+))?$")


def _mnist(n: int) -> TensorDataset:
    """The first n MNIST5k training digits, as lecture 004's Dataset prepares them."""
    ds = MNIST5k(train=True)
    x = (ds.data[:n].float() / 255.0 - 0.1307) / 0.3081
    return TensorDataset(x.reshape(n, -1), ds.targets[:n])


def _mlp(device, hidden=100):
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10)).to(device)


# -- lecture 004, "Debugging the pipeline" ---------------------------------------------------
def test_fit_one_sample(device, capsys):
    # "Train a network and make sure it can fit just one image" — in 3 epochs
    torch.manual_seed(0)
    loader = DataLoader(_mnist(1), shuffle=True, batch_size=3)
    model = Model(_mlp(device))
    model.compile(optimizer=torch.optim.SGD(model.net.parameters(), lr=0.01),
                  loss=nn.CrossEntropyLoss())
    hist = model.fit(loader, epochs=3)
    assert hist["acc"][-1] == 1.0
    assert hist["loss"][0] > hist["loss"][-1]
    lines = capsys.readouterr().out.splitlines()
    assert [LINE.match(line).group(1, 2) for line in lines] == [("1", "3"), ("2", "3"),
                                                                  ("3", "3")]


def test_fit_one_batch(device):
    # "Fit one batch": 16 images, all classified right within a few epochs
    torch.manual_seed(0)
    loader = DataLoader(_mnist(16), shuffle=True, batch_size=16)
    imgs, labels = next(iter(loader))
    assert imgs.shape == (16, 784) and labels.shape == (16,)
    model = Model(_mlp(device))
    model.compile(optimizer=torch.optim.SGD(model.net.parameters(), lr=0.1),
                  loss=nn.CrossEntropyLoss())
    hist = model.fit(loader, epochs=8, verbose=False)
    assert hist["acc"][-1] == 1.0
    assert all(a >= b for a, b in zip(hist["loss"], hist["loss"][1:]))  # one batch: GD


def test_fit_prints_one_line_per_epoch_in_the_lecture_format(capsys):
    torch.manual_seed(0)
    data = _mnist(40)
    model = Model(_mlp("cpu", 20))
    model.compile(torch.optim.SGD(model.net.parameters(), lr=0.1), nn.CrossEntropyLoss())
    hist = model.fit(DataLoader(data, batch_size=16, shuffle=True),
                     DataLoader(data, batch_size=16), epochs=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for e, line in enumerate(lines, start=1):
        m = LINE.match(line)
        assert m, line
        assert m.group(1, 2) == (str(e), "2")
        values = [float(v) for v in m.group(3, 4, 6, 7)]
        expected = [hist[k][e - 1] for k in ("loss", "acc", "eval_loss", "eval_acc")]
        assert values == [round(v, 5) for v in expected]
    assert list(hist) == ["loss", "acc", "eval_loss", "eval_acc"]
    # the accuracy of an epoch is a count over its 40 samples
    assert all(round(a * 40) == pytest.approx(a * 40, abs=1e-9) for a in hist["acc"])


def test_training_loss_is_the_mean_over_the_samples_of_the_epoch():
    # lr 0: the weights stay put, so the epoch's loss is the loss of the fixed network
    torch.manual_seed(0)
    data = _mnist(10)
    net = _mlp("cpu", 20)
    model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.0), nn.CrossEntropyLoss())
    hist = model.fit(DataLoader(data, batch_size=4), epochs=1, verbose=False)  # 4, 4, 2
    with torch.no_grad():
        expected = nn.CrossEntropyLoss()(net(data.tensors[0]), data.tensors[1]).item()
    assert hist["loss"][0] == pytest.approx(expected, rel=1e-6)


# -- early stopping --------------------------------------------------------------------------
def _conflicting_task(seed=0):
    """Training labels y, evaluation labels y+1: the better the fit, the worse eval_loss."""
    g = np.random.default_rng(seed)
    x = torch.from_numpy(g.standard_normal((48, 6)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, 48))
    return TensorDataset(x, y), TensorDataset(x, (y + 1) % 3)


def _small_model(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    return Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9),
                              nn.CrossEntropyLoss())


def test_early_stopping_stops_and_restores_the_best_weights(capsys):
    train, evaluation = _conflicting_task()
    model = _small_model()
    hist = model.fit(DataLoader(train, batch_size=16, shuffle=True),
                     DataLoader(evaluation, batch_size=48), epochs=30, early_stopping=3,
                     seed=1)
    stopper = model.early_stopping
    best = int(np.argmin(hist["eval_loss"])) + 1
    assert stopper.best_epoch == best
    assert len(hist["eval_loss"]) == best + 3 < 30          # stopped 3 epochs after the best
    assert stopper.stopped_epoch == best + 3 == model.epoch
    assert "Early stopping" in capsys.readouterr().out.splitlines()[-1]
    # the weights are those after the best epoch: retrain to it and compare, bit for bit
    again = _small_model()
    again.fit(DataLoader(train, batch_size=16, shuffle=True), epochs=best, seed=1,
              verbose=False)
    for (k, v), w in zip(model.net.state_dict().items(), again.net.state_dict().values()):
        np.testing.assert_array_equal(to_host(v), to_host(w), err_msg=k)


def test_early_stopping_needs_eval_data_unless_it_watches_the_training_loss():
    train, _ = _conflicting_task()
    model = _small_model()
    with pytest.raises(ValueError, match="needs evaluation data"):
        model.fit(DataLoader(train, batch_size=16), epochs=2, early_stopping=2)
    model.fit(DataLoader(train, batch_size=16), epochs=2, verbose=False,
              early_stopping=EarlyStopping(patience=2, monitor="loss"))
    with pytest.raises(TypeError, match="patience"):
        model.fit(DataLoader(train, batch_size=16), epochs=1, early_stopping="yes")


# -- gradient accumulation: lecture 003's three update rules --------------------------------
def _twin_nets(device):
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).to(device)
    b = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).to(device)
    b.load_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize("batch_size, accumulate", [(4, 3), (4, "epoch"), (3, "epoch")])
def test_accumulated_steps_equal_one_step_on_the_joined_batches(device, batch_size,
                                                                 accumulate):
    # 12 samples (or 10 with batches of 3, 3, 3, 1): accumulating every batch of the epoch is
    # one gradient step on all of them at once, with the mean loss
    n = 12 if batch_size == 4 else 10
    g = np.random.default_rng(1)
    x = torch.from_numpy(g.standard_normal((n, 5)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, n))
    net, reference = _twin_nets(device)
    model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.5), nn.CrossEntropyLoss())
    model.fit(DataLoader(TensorDataset(x, y), batch_size=batch_size), epochs=1,
              accumulate=accumulate, verbose=False)
    opt = torch.optim.SGD(reference.parameters(), lr=0.5)
    nn.CrossEntropyLoss()(reference(x.to(device)), y.to(device)).backward()
    opt.step()
    for p, q in zip(net.parameters(), reference.parameters()):
        np.testing.assert_allclose(to_host(p), to_host(q), rtol=1e-5, atol=1e-6)


def test_accumulating_k_batches_makes_one_update_per_k(device):
    # 5 batches, accumulate=2: updates after batches 2, 4 and (the rest) 5
    g = np.random.default_rng(2)
    x = torch.from_numpy(g.standard_normal((10, 5)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, 10))
    net, reference = _twin_nets(device)
    model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.3, momentum=0.9),
                               nn.CrossEntropyLoss())
    model.fit(DataLoader(TensorDataset(x, y), batch_size=2), epochs=2, accumulate=2,
              verbose=False)
    opt = torch.optim.SGD(reference.parameters(), lr=0.3, momentum=0.9)
    for _ in range(2):
        for lo, hi in ((0, 4), (4, 8), (8, 10)):
            opt.zero_grad()
            nn.CrossEntropyLoss()(reference(x[lo:hi].to(device)), y[lo:hi].to(device)).backward()
            opt.step()
    for p, q in zip(net.parameters(), reference.parameters()):
        np.testing.assert_allclose(to_host(p), to_host(q), rtol=1e-5, atol=1e-6)


def test_once_per_epoch_rule_matches_the_lecture_003_listing():
    from minitorch_np.autograd import Variable
    # lecture 003: totalloss = Σ loss_i / (i + 1) over the epoch's batches, one backward,
    # then f.data.sub_(f.grad.data * learning_rate) — the graph of the whole epoch is kept;
    # fit(accumulate='epoch') gives the same update holding one batch's graph at a time
    g = np.random.default_rng(3)
    x = torch.from_numpy(g.standard_normal((20, 5)).astype(np.float32))
    y = torch.from_numpy(g.integers(0, 3, 20))
    net, lecture = _twin_nets("cpu")
    loader = DataLoader(TensorDataset(x, y), batch_size=5)
    model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.1), nn.CrossEntropyLoss())
    model.fit(loader, epochs=2, accumulate="epoch", verbose=False)
    criterion, learning_rate = nn.CrossEntropyLoss(), 0.1
    for _epoch in range(2):
        for i, data in enumerate(loader):
            inputs, labels = data
            inputs, labels = Variable(inputs.view(-1, 5)), Variable(labels)  # as the lecture
            loss = criterion(lecture(inputs), labels)
            if i == 0:  # first batch
                totalloss = loss
            else:
                totalloss += loss
        totalloss = totalloss / (i + 1)  # dividing accumulated loss by total no. of batch
        lecture.zero_grad()
        totalloss.backward()
        for f in lecture.parameters():
            f.data.sub_(f.grad.data * learning_rate)
    for p, q in zip(net.parameters(), lecture.parameters()):
        np.testing.assert_allclose(to_host(p), to_host(q), rtol=1e-5, atol=1e-6)


def test_accumulate_is_validated():
    train, _ = _conflicting_task()
    model = _small_model()
    for bad in (0, -1, "batch", 1.5, True):
        with pytest.raises(ValueError, match="accumulate"):
            model.fit(DataLoader(train, batch_size=16), accumulate=bad)


# -- schedulers ------------------------------------------------------------------------------
def test_epoch_schedulers_step_once_per_epoch():
    train, _ = _conflicting_task()
    net = nn.Linear(6, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    model = Model(net).compile(opt, nn.CrossEntropyLoss(),
                               scheduler=torch.optim.lr_scheduler.StepLR(opt, 1, 0.5))
    model.fit(DataLoader(train, batch_size=16), epochs=3, verbose=False)   # 3 batches/epoch
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)


def test_cyclic_schedulers_step_once_per_update():
    train, _ = _conflicting_task()
    net = nn.Linear(6, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=12)
    model = Model(net).compile(opt, nn.CrossEntropyLoss(), scheduler=sched)
    model.fit(DataLoader(train, batch_size=16), epochs=2, verbose=False)     # 3 batches/epoch
    assert sched.last_epoch == 6
    model.fit(DataLoader(train, batch_size=16), epochs=1, accumulate=3, verbose=False)
    assert sched.last_epoch == 7                                            # one update


def test_reduce_lr_on_plateau_watches_the_eval_loss():
    train, evaluation = _conflicting_task()
    net = nn.Linear(6, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.1)
    model = Model(net).compile(opt, nn.CrossEntropyLoss(), scheduler=sched)
    hist = model.fit(DataLoader(train, batch_size=16), DataLoader(evaluation, batch_size=48),
                     epochs=3, verbose=False)
    assert sched.best == min(hist["eval_loss"])


# -- seeds, resumption of the RNG, progress bar ----------------------------------------------
def test_seeded_fits_are_reproducible_and_draw_new_shuffles_each_epoch(device):
    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = (x[:, 0] > 0).long()

    def run(generator):
        torch.manual_seed(5)
        net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 2)).to(device)
        orders = []

        class Spy(TensorDataset):
            def _collated_batch(self, indices):
                orders.append(tuple(int(i) for i in indices))
                return super()._collated_batch(indices)

        model = Model(net).compile(torch.optim.SGD(net.parameters(), lr=0.1),
                                   nn.CrossEntropyLoss())
        model.fit(DataLoader(Spy(x, y), batch_size=32, shuffle=True, generator=generator),
                  epochs=3, seed=7, verbose=False)
        torch.manual_seed(123)   # whatever happens to the global stream in between
        return [to_host(p) for p in net.parameters()], orders

    for make_generator in (lambda: None, lambda: torch.Generator().manual_seed(99)):
        (w1, o1), (w2, o2) = run(make_generator()), run(make_generator())
        assert o1 == o2 and len(set(o1)) == 3            # reproducible; a new order per epoch
        for a, b in zip(w1, w2):
            np.testing.assert_array_equal(a, b)


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    pytest.importorskip("tqdm")
    train, _ = _conflicting_task()
    model = _small_model()
    model.fit(DataLoader(train, batch_size=16), epochs=1, verbose=False)  # stderr: not a tty
    assert capsys.readouterr().err == ""
    model.fit(DataLoader(train, batch_size=16), epochs=1, verbose=False, progress=True)
    err = capsys.readouterr().err
    assert "Epoch 2/2" in err and "/3 [" in err     # the bar of epoch 2 (3 batches)


def test_fit_continues_the_epoch_count():
    train, _ = _conflicting_task()
    model = _small_model()
    model.fit(DataLoader(train, batch_size=16), epochs=2, verbose=False)
    hist = model.fit(DataLoader(train, batch_size=16), epochs=1, verbose=False)
    assert model.epoch == 3 and hist.epoch == [1, 2, 3] and len(hist["loss"]) == 3
    with pytest.raises(ValueError, match="epochs"):
        model.fit(DataLoader(train, batch_size=16), epochs=-1)
