"""Optimizers and schedulers against PyTorch itself (skipped when PyTorch is absent).

Both frameworks get the *same* gradients: each step, the gradient of a fixed function is
computed in float64 NumPy from PyTorch's current parameters and cast to float32, and handed
to both. So the only differences are those of the update rules' float32 arithmetic (PyTorch's
CPU kernels use fused multiply-adds, NumPy does not: a unit in the last place here and
there), and they are not amplified by feeding back through the gradients.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_np as mt
from minitorch_np import optim

pt = pytest.importorskip("torch")

STEPS = 25

OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.1}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
]


def _problem():
    rng = np.random.default_rng(42)
    shapes = [(4, 3), (5,)]
    inits = [rng.normal(size=s).astype(np.float32) for s in shapes]
    scales = [rng.uniform(0.1, 5.0, size=s) for s in shapes]  # badly conditioned
    targets = [rng.normal(size=s) for s in shapes]
    return inits, scales, targets


def _gradient(value: np.ndarray, scale, target) -> np.ndarray:
    """∇ of Σ scale·(p - target)² / 2 + 0.1 Σ p⁴, in float64, then float32."""
    v = value.astype(np.float64)
    return (scale * (v - target) + 0.4 * v ** 3).astype(np.float32)


def _groups(lib, params, make_tensor):
    # two groups: the second with its own learning rate
    return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}]


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZER_CASES)])
def test_optimizer_matches_pytorch(device, name, kwargs):
    _same_steps(device, name, kwargs)


_FLAGS = st.booleans()
_RATE = st.sampled_from([0.01, 0.05, 0.1])
_DECAY = st.sampled_from([0.0, 0.01, 0.1])
DRAWN = {  # every option of each optimizer, drawn together (combinations the table lacks)
    "SGD": st.fixed_dictionaries({"lr": _RATE, "weight_decay": _DECAY, "maximize": _FLAGS},
                                 optional={"momentum": st.sampled_from([0.5, 0.9]),
                                           "dampening": st.sampled_from([0.0, 0.3])}),
    "RMSprop": st.fixed_dictionaries({"lr": _RATE, "alpha": st.sampled_from([0.9, 0.99]),
                                      "weight_decay": _DECAY, "momentum": st.sampled_from(
                                          [0.0, 0.5]), "centered": _FLAGS,
                                      "maximize": _FLAGS}),
    "Adam": st.fixed_dictionaries({"lr": _RATE, "betas": st.sampled_from(
        [(0.9, 0.999), (0.5, 0.9)]), "weight_decay": _DECAY, "amsgrad": _FLAGS,
        "maximize": _FLAGS, "decoupled_weight_decay": _FLAGS}),
    "AdamW": st.fixed_dictionaries({"lr": _RATE, "weight_decay": _DECAY, "amsgrad": _FLAGS,
                                    "maximize": _FLAGS}),
    "Adagrad": st.fixed_dictionaries({"lr": _RATE, "lr_decay": st.sampled_from([0.0, 0.05]),
                                      "weight_decay": _DECAY, "maximize": _FLAGS,
                                      "initial_accumulator_value": st.sampled_from(
                                          [0.0, 0.1])}),
    "Adadelta": st.fixed_dictionaries({"lr": st.sampled_from([0.5, 1.0]),
                                       "rho": st.sampled_from([0.8, 0.9]),
                                       "weight_decay": _DECAY, "maximize": _FLAGS}),
    "Adamax": st.fixed_dictionaries({"lr": _RATE, "weight_decay": _DECAY, "maximize": _FLAGS}),
    "NAdam": st.fixed_dictionaries({"lr": _RATE, "weight_decay": _DECAY,
                                    "momentum_decay": st.sampled_from([0.004, 0.01]),
                                    "decoupled_weight_decay": _FLAGS, "maximize": _FLAGS}),
}


@pytest.mark.parametrize("name", list(DRAWN))
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_drawn_options_match_pytorch(device, name, data):
    kwargs = data.draw(DRAWN[name])
    if name == "SGD" and data.draw(st.booleans()) and kwargs.get("momentum") and \
            not kwargs.get("dampening"):
        kwargs["nesterov"] = True
    # in float64, where the two agree but for roundings: the rules themselves are compared
    # (in float32 PyTorch's fused multiply-adds differ by ulps, which momentum accumulates)
    resume = data.draw(st.none() | st.integers(1, STEPS - 1), label="resumed before step")
    _same_steps(device, name, kwargs, np.float64, resume)


def _same_steps(device, name, kwargs, dtype=np.float32, resume=None):
    """STEPS steps of both optimizers on the same gradients: parameters, state, groups. With
    `resume`, both are saved before that step and replaced by new optimizers loaded from
    their state dicts, as from a checkpoint."""
    inits, scales, targets = _problem()
    inits = [x.astype(dtype) for x in inits]
    tolerance = ({"rtol": 1e-6, "atol": 5e-7} if dtype == np.float32 else
                 {"rtol": 1e-11, "atol": 1e-12})
    ours = [mt.tensor(x, device=device, requires_grad=True) for x in inits]
    theirs = [pt.tensor(x, requires_grad=True) for x in inits]
    opt_ours = getattr(optim, name)(_groups(mt, ours, mt.tensor), **kwargs)
    opt_theirs = getattr(pt.optim, name)(_groups(pt, theirs, pt.tensor), **kwargs)

    sign = -1 if kwargs.get("maximize") else 1  # maximize the concave -f
    for step in range(STEPS):
        if step == resume:
            saved_ours, saved_theirs = opt_ours.state_dict(), opt_theirs.state_dict()
            opt_ours = getattr(optim, name)(_groups(mt, ours, mt.tensor), **kwargs)
            opt_theirs = getattr(pt.optim, name)(_groups(pt, theirs, pt.tensor), **kwargs)
            opt_ours.load_state_dict(saved_ours)
            opt_theirs.load_state_dict(saved_theirs)
        for p, q, s, t in zip(ours, theirs, scales, targets):
            g = sign * _gradient(q.detach().numpy(), s, t).astype(dtype)  # PyTorch's
            p.grad = mt.tensor(g, device=device)
            q.grad = pt.tensor(g)
        opt_ours.step()
        opt_theirs.step()

    for p, q, x in zip(ours, theirs, inits):
        assert np.isfinite(p.detach().cpu().numpy()).all()
        assert not np.allclose(p.detach().cpu().numpy(), x, atol=1e-3)  # it did move
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), **tolerance)

    # the same state, under the same names and layout
    sd_ours, sd_theirs = opt_ours.state_dict(), opt_theirs.state_dict()
    assert sd_ours["state"].keys() == sd_theirs["state"].keys()
    for index, state in sd_theirs["state"].items():
        assert set(sd_ours["state"][index]) == set(state)
        for key, value in state.items():
            mine = sd_ours["state"][index][key]
            assert mine.dtype == getattr(mt, str(value.dtype).split(".")[1])
            np.testing.assert_allclose(mine.cpu().numpy(), value.numpy(), **tolerance,
                                       err_msg=key)
    for g_ours, g_theirs in zip(sd_ours["param_groups"], sd_theirs["param_groups"]):
        assert g_ours["params"] == g_theirs["params"]
        for key, value in g_ours.items():  # PyTorch has more keys (foreach, fused, ...)
            assert g_theirs[key] == value, key


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES[:12:3],
                         ids=[n for n, _ in OPTIMIZER_CASES[:12:3]])
def test_defaults_match_pytorch(name, kwargs):
    p = mt.zeros(1, requires_grad=True)
    q = pt.zeros(1, requires_grad=True)
    theirs = getattr(pt.optim, name)([q]).defaults
    for key, value in getattr(optim, name)([p]).defaults.items():
        assert theirs[key] == value, key


def test_all_defaults_match_pytorch():
    p, q = mt.zeros(1, requires_grad=True), pt.zeros(1, requires_grad=True)
    for name in ("SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam",
                 "LBFGS"):
        ours = getattr(optim, name)([p]).defaults
        theirs = getattr(pt.optim, name)([q]).defaults
        assert ours == theirs, name


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "LBFGS"])
def test_constructor_signatures_match_pytorch(name):
    # names, order, kinds (positional or keyword-only) and defaults, so PyTorch's calls run
    import inspect

    def shape(cls):
        return [(q.name, q.kind, q.default)
                for q in inspect.signature(cls.__init__).parameters.values()]
    assert shape(getattr(optim, name)) == shape(getattr(pt.optim, name))


# -- LBFGS -----------------------------------------------------------------------------------
def _rosenbrock(lib, xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _quadratic(lib, p):
    scale = lib.tensor([1.0, 10.0, 0.5, 3.0], dtype=p.dtype)
    return 0.5 * (scale * p * p).sum() + (p ** 4).sum() * 0.1


@pytest.mark.parametrize("fn, start, kwargs", [
    (_quadratic, [1.0, -1.0, 2.0, 0.5], {}),
    (_quadratic, [1.0, -1.0, 2.0, 0.5], {"lr": 0.5, "history_size": 3, "max_iter": 7}),
    (_rosenbrock, [-1.5, 2.0], {"line_search_fn": "strong_wolfe"}),
    (_rosenbrock, [-1.0, 1.0], {"line_search_fn": "strong_wolfe", "history_size": 5}),
])
def test_lbfgs_matches_pytorch(fn, start, kwargs):
    # float64 and the CPU: the line search branches on comparisons, so both must see the
    # same numbers for their paths to stay together
    ours = mt.tensor(start, dtype=mt.float64, requires_grad=True)
    theirs = pt.tensor(start, dtype=pt.float64, requires_grad=True)
    opt_ours, opt_theirs = optim.LBFGS([ours], **kwargs), pt.optim.LBFGS([theirs], **kwargs)

    def closure(lib, opt, p):
        def run():
            opt.zero_grad()
            loss = fn(lib, p)
            loss.backward()
            return loss
        return run

    for _ in range(3):
        loss_ours = opt_ours.step(closure(mt, opt_ours, ours))
        loss_theirs = opt_theirs.step(closure(pt, opt_theirs, theirs))
        assert loss_ours.item() == pytest.approx(loss_theirs.item(), rel=1e-9, abs=1e-14)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-9, atol=1e-12)
    for key in ("func_evals", "n_iter"):
        assert opt_ours.state[ours][key] == opt_theirs.state[theirs][key]


# -- schedulers ------------------------------------------------------------------------------
SCHEDULER_CASES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [4, 9, 9, 20], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("LambdaLR", {"lr_lambda": lambda e: 1 / (1 + 0.2 * e)}),
    ("CosineAnnealingLR", {"T_max": 9, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 6,
                      "mode": "triangular2", "base_momentum": 0.7}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 5, "mode": "exp_range",
                      "gamma": 0.95}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 41}),
    ("OneCycleLR", {"max_lr": [0.3, 0.1], "total_steps": 41, "pct_start": 0.4,
                        "anneal_strategy": "linear", "three_phase": True, "div_factor": 10.0}),
]


def _scheduled(lib, opt_module, sched_name, kwargs, optimizer="SGD"):
    ps = [lib.zeros(1, requires_grad=True) for _ in range(2)]
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}
    opt = getattr(opt_module, optimizer)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}],
                                         lr=0.1, **extra)
    return opt, getattr(opt_module.lr_scheduler, sched_name)(opt, **kwargs)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name, kwargs", SCHEDULER_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULER_CASES)])
def test_scheduler_matches_pytorch(name, kwargs, optimizer):
    opt_ours, ours = _scheduled(mt, optim, name, kwargs, optimizer)
    opt_theirs, theirs = _scheduled(pt, pt.optim, name, kwargs, optimizer)
    for _ in range(40):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-14)
        for g_ours, g_theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
            for key in ("lr", "momentum", "betas"):
                if key in g_theirs:
                    assert g_ours[key] == pytest.approx(g_theirs[key], rel=1e-14), key
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()


def test_reduce_lr_on_plateau_matches_pytorch():
    rng = np.random.default_rng(1)
    metrics = np.cumsum(rng.normal(-0.05, 0.3, size=60)) + 10
    kwargs = {"factor": 0.5, "patience": 3, "cooldown": 2, "threshold": 0.01,
              "min_lr": [0.001, 0.01]}
    opt_ours, ours = _scheduled(mt, optim, "ReduceLROnPlateau", kwargs)
    opt_theirs, theirs = _scheduled(pt, pt.optim, "ReduceLROnPlateau", kwargs)
    for m in metrics:
        opt_ours.step()
        opt_theirs.step()
        ours.step(float(m))
        theirs.step(float(m))
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs


def test_inverse_time_lr_is_a_lambda_lr_of_pytorch():
    opt_ours, ours = _scheduled(mt, optim, "InverseTimeLR", {"decay_rate": 0.25})
    opt_theirs, theirs = _scheduled(pt, pt.optim, "LambdaLR",
                                    {"lr_lambda": lambda t: 1 / (1 + 0.25 * t)})
    for _ in range(35):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-14)
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()


def test_exponential_lr_gamma_of_lecture_decay():
    # lecture 002: α₀ e^{-kt} is ExponentialLR(gamma = e^{-k}) in both
    opt_ours, ours = _scheduled(mt, optim, "ExponentialLR", {"gamma": math.exp(-0.1)})
    opt_theirs, theirs = _scheduled(pt, pt.optim, "ExponentialLR", {"gamma": math.exp(-0.1)})
    for _ in range(30):
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-14)
    assert ours.get_last_lr()[0] == pytest.approx(0.1 * math.exp(-3.0), rel=1e-12)


# -- schedulers with drawn options, resumed from their state dicts ----------------------------
_fraction = st.floats(0.05, 1.0)
_lr = st.floats(1e-3, 0.5)


def _drawn_scheduler(data, optimizer: str) -> tuple[str, dict]:
    """A scheduler of the library and options drawn over their ranges (valid ones: invalid
    options are compared by the error tests)."""
    name = data.draw(st.sampled_from(["StepLR", "MultiStepLR", "ExponentialLR",
                                      "CosineAnnealingLR", "CyclicLR", "OneCycleLR",
                                      "LambdaLR"]), label="scheduler")
    if name == "StepLR":
        kwargs = {"step_size": data.draw(st.integers(1, 10)), "gamma": data.draw(_fraction)}
    elif name == "MultiStepLR":
        kwargs = {"milestones": data.draw(st.lists(st.integers(0, 30), max_size=5)),
                  "gamma": data.draw(_fraction)}
    elif name == "ExponentialLR":
        kwargs = {"gamma": data.draw(st.floats(0.5, 1.0))}
    elif name == "CosineAnnealingLR":
        kwargs = {"T_max": data.draw(st.integers(1, 20)),
                  "eta_min": data.draw(st.floats(0.0, 0.05))}
    elif name == "LambdaLR":
        rate = data.draw(st.floats(0.0, 1.0))
        kwargs = {"lr_lambda": lambda epoch: 1.0 / (1.0 + rate * epoch)}
    elif name == "CyclicLR":
        base = data.draw(_lr)
        kwargs = {"base_lr": base, "max_lr": base + data.draw(st.floats(0.0, 0.5)),
                  "step_size_up": data.draw(st.integers(1, 10)),
                  "step_size_down": data.draw(st.none() | st.integers(1, 10)),
                  "mode": data.draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                  "gamma": data.draw(st.floats(0.8, 1.0)),
                  "cycle_momentum": data.draw(st.booleans())}
        if kwargs["cycle_momentum"]:
            low = data.draw(st.floats(0.5, 0.9))
            kwargs.update(base_momentum=low, max_momentum=low + data.draw(st.floats(0.0, 0.09)))
    else:  # OneCycleLR, stepped within its total_steps
        kwargs = {"max_lr": data.draw(_lr), "total_steps": data.draw(st.integers(70, 90)),
                  "pct_start": data.draw(st.floats(0.1, 0.9)),
                  "anneal_strategy": data.draw(st.sampled_from(["cos", "linear"])),
                  "three_phase": data.draw(st.booleans()),
                  "div_factor": data.draw(st.floats(2.0, 50.0)),
                  "final_div_factor": data.draw(st.floats(2.0, 1e4)),
                  "cycle_momentum": data.draw(st.booleans())}
    return name, kwargs


def _schedule(lib, opt_module, optimizer, name, kwargs, state=None):
    """Two parameter groups, an optimizer and the scheduler; with `state` (both state dicts),
    a fresh pair resumed from it, as a checkpoint is loaded."""
    ps = [lib.zeros(1, requires_grad=True) for _ in range(2)]
    extra = {"momentum": 0.9} if optimizer == "SGD" else {}
    opt = getattr(opt_module, optimizer)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}],
                                         lr=0.1, **extra)
    sched = getattr(opt_module.lr_scheduler, name)(opt, **kwargs)
    if state is not None:
        opt.load_state_dict(state[0])
        sched.load_state_dict(state[1])
    return opt, sched


def _same_schedule(ours, theirs, opt_ours, opt_theirs):
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
    for g_ours, g_theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
        for key in ("lr", "momentum", "betas"):
            if key in g_theirs:
                assert g_ours[key] == pytest.approx(g_theirs[key], rel=1e-12, abs=1e-15), key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_drawn_scheduler_matches_pytorch(data):
    """Every scheduler with options drawn, stepped up to 60 times (past CosineAnnealingLR's
    T_max, through CyclicLR's cycles), and at a drawn step saved and resumed into a fresh
    optimizer and scheduler, as from a checkpoint."""
    optimizer = data.draw(st.sampled_from(["SGD", "Adam"]), label="optimizer")
    name, kwargs = _drawn_scheduler(data, optimizer)
    steps = data.draw(st.integers(1, 60), label="steps")
    resume = data.draw(st.none() | st.integers(0, steps), label="resume at")
    opt_ours, ours = _schedule(mt, optim, optimizer, name, kwargs)
    opt_theirs, theirs = _schedule(pt, pt.optim, optimizer, name, kwargs)
    for step in range(steps + 1):
        _same_schedule(ours, theirs, opt_ours, opt_theirs)
        if step == resume:
            opt_ours, ours = _schedule(mt, optim, optimizer, name, kwargs,
                                       (opt_ours.state_dict(), ours.state_dict()))
            opt_theirs, theirs = _schedule(pt, pt.optim, optimizer, name, kwargs,
                                           (opt_theirs.state_dict(), theirs.state_dict()))
            _same_schedule(ours, theirs, opt_ours, opt_theirs)
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_drawn_reduce_lr_on_plateau_matches_pytorch(data):
    """ReduceLROnPlateau with every option drawn, on a drawn sequence of metrics (plateaus
    included: repeated values), resumed once from its state dict."""
    kwargs = {"mode": data.draw(st.sampled_from(["min", "max"])),
              "factor": data.draw(st.floats(0.05, 0.95)),
              "patience": data.draw(st.integers(0, 5)),
              "threshold": data.draw(st.floats(0.0, 0.2)),
              "threshold_mode": data.draw(st.sampled_from(["rel", "abs"])),
              "cooldown": data.draw(st.integers(0, 3)),
              "min_lr": data.draw(st.floats(0.0, 0.05) | st.lists(st.floats(0.0, 0.05),
                                                                   min_size=2, max_size=2)),
              "eps": data.draw(st.sampled_from([1e-8, 1e-3]))}
    metrics = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.0]) | st.floats(-5, 5),
                                 min_size=1, max_size=50), label="metrics")
    resume = data.draw(st.integers(0, len(metrics)), label="resume at")
    opt_ours, ours = _schedule(mt, optim, "SGD", "ReduceLROnPlateau", kwargs)
    opt_theirs, theirs = _schedule(pt, pt.optim, "SGD", "ReduceLROnPlateau", kwargs)
    for i, m in enumerate(metrics):
        if i == resume:
            opt_ours, ours = _schedule(mt, optim, "SGD", "ReduceLROnPlateau", kwargs,
                                       (opt_ours.state_dict(), ours.state_dict()))
            opt_theirs, theirs = _schedule(pt, pt.optim, "SGD", "ReduceLROnPlateau", kwargs,
                                           (opt_theirs.state_dict(), theirs.state_dict()))
        ours.step(m)
        theirs.step(m)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter
