"""The Optimizer data model: param groups, defaults, lazy state, zero_grad, closures,
state_dict round trips and argument validation — for every optimizer."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import minitorch_np as torch
from minitorch_np import optim

# every optimizer with options that give it all its state
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.05),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=1.0),
    "Adamax": lambda ps: optim.Adamax(ps, lr=0.05),
    "NAdam": lambda ps: optim.NAdam(ps, lr=0.05),
}


def _params(device, dtype=torch.float32):
    torch.manual_seed(0)
    w = torch.randn(3, 2, dtype=dtype, device=device).requires_grad_()
    b = torch.randn(2, dtype=dtype, device=device).requires_grad_()
    return w, b


def _loss(w, b):
    x = torch.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], dtype=w.dtype, device=w.device)
    return ((x @ w + b) ** 2).sum() + (w ** 4).sum()


def _train(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(*params).backward()
        optimizer.step()


# -- param groups and defaults -------------------------------------------------------------
def test_param_groups_get_defaults_and_keep_their_own(device):
    w, b = _params(device)
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a list
    assert opt.defaults["lr"] == 0.1


def test_param_groups_with_different_learning_rates(device):
    w1 = torch.tensor([1.0], device=device, requires_grad=True)
    w2 = torch.tensor([1.0], device=device, requires_grad=True)
    opt = optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.5}], lr=0.1)
    w1.grad = torch.ones(1, device=device)
    w2.grad = torch.ones(1, device=device)
    opt.step()
    assert w1.item() == pytest.approx(0.9) and w2.item() == pytest.approx(0.5)
    opt.param_groups[0]["lr"] = 0.2  # a group's options can be changed between steps
    opt.step()
    assert w1.item() == pytest.approx(0.7)


def test_add_param_group(device):
    w, b = _params(device)
    opt = optim.Adam([w], lr=0.01)
    opt.add_param_group({"params": [b], "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])


def test_named_parameters(device):
    w, b = _params(device)
    opt = optim.SGD([("w", w), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_params_validation(device):
    w, b = _params(device)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got "
                                        "minitorch_np.Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w, b}}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):  # stricter than PyTorch
        optim.SGD({w, b}, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is "
                                        "builtins.float"):
        optim.SGD([w, 1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w, b]}, {"params": [b]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w], lr=0.1)


@pytest.mark.parametrize("cls", [optim.SGD, optim.RMSprop, optim.Adam, optim.AdamW,
                                 optim.Adagrad, optim.Adadelta, optim.Adamax, optim.NAdam,
                                 optim.LBFGS])
def test_invalid_learning_rate_message(cls):
    p = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        cls([p], lr=-1)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad])
def test_pytorch_execution_flags_are_accepted_and_kept(cls):
    p = torch.zeros(1, requires_grad=True)
    opt = cls([p], foreach=False, fused=True)
    assert opt.param_groups[0]["foreach"] is False and opt.param_groups[0]["fused"] is True
    p.grad = torch.ones(1)
    opt.step()  # the one implementation: the same update
    ref = cls([q := torch.zeros(1, requires_grad=True)])
    q.grad = torch.ones(1)
    ref.step()
    assert p.item() == q.item()
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls([p], differentiable=True)
    with pytest.raises(TypeError, match="foreach must be None or True or False, got 1"):
        cls([p], foreach=1)


# -- steps ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_outside_graph_and_lazy_state(device, name):
    w, b = _params(device)
    opt = OPTIMIZERS[name]([w, b])
    eager = name == "Adagrad"  # as PyTorch's, it makes its state in the constructor
    assert len(opt.state) == (2 if eager else 0)  # the others: nothing before the first step
    _loss(w, b).backward()
    b.grad = None  # a parameter without gradient is skipped entirely
    b_before = b.detach().clone()
    version = w._version
    opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w._version > version  # changed in place: the same tensor object
    np.testing.assert_array_equal(b.detach().cpu().numpy(), b_before.cpu().numpy())
    if eager:
        assert opt.state[b]["step"].item() == 0 and opt.state[w]["step"].item() == 1
    else:
        assert b not in opt.state or len(opt.state[b]) == 0
    for key, value in opt.state[w].items():
        if isinstance(value, torch.Tensor) and key not in ("step", "mu_product"):
            assert value.device == w.device and value.dtype == w.dtype, key
            assert not value.requires_grad and value.grad_fn is None, key


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_decreases_the_loss(device, name):
    w, b = _params(device)
    opt = OPTIMIZERS[name]([w, b])
    before = _loss(w, b).item()
    _train(opt, (w, b), 20)
    assert _loss(w, b).item() < before


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_closure_is_evaluated_with_grad_and_its_loss_returned(device, name):
    w, b = _params(device)
    opt = OPTIMIZERS[name]([w, b])
    seen = {}

    def closure():
        opt.zero_grad()
        loss = _loss(w, b)
        seen["grad_enabled"] = torch.is_grad_enabled()
        loss.backward()
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert seen["grad_enabled"] and isinstance(loss, torch.Tensor) and loss.ndim == 0
    assert opt.step() is None


def test_step_leaves_grad_mode_alone(device):
    w, b = _params(device)
    opt = optim.SGD([w, b], lr=0.1)
    _loss(w, b).backward()
    opt.step()
    assert torch.is_grad_enabled()


def test_zero_grad(device):
    w, b = _params(device)
    opt = optim.SGD([w, b], lr=0.1)
    _loss(w, b).backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and not w.grad.requires_grad
    np.testing.assert_array_equal(w.grad.cpu().numpy(), np.zeros((3, 2)))
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    opt.zero_grad()  # nothing to clear: no error


def test_zero_grad_false_still_steps_with_zero_gradient(device):
    # set_to_none=False: the zero gradient is used, so momentum keeps moving the parameter
    p = torch.tensor([1.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(1, device=device)
    opt.step()
    opt.zero_grad(set_to_none=False)
    opt.step()
    assert p.item() == pytest.approx(0.9 - 0.1 * 0.9)
    opt.zero_grad()
    opt.step()  # grad None: skipped
    assert p.item() == pytest.approx(0.9 - 0.1 * 0.9)


# -- state_dict -----------------------------------------------------------------------------
def test_state_dict_layout(device):
    w, b = _params(device)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    _train(opt, (w, b), 1)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1}
    assert set(sd["state"][0]) == {"momentum_buffer"}
    assert opt.param_groups[0]["params"][0] is w  # the optimizer itself is untouched


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_resumes_bit_for_bit(device, name):
    w, b = _params(device)
    opt = OPTIMIZERS[name]([w, b])
    _train(opt, (w, b), 3)
    saved_params = [w.detach().clone(), b.detach().clone()]
    saved_state = copy.deepcopy(opt.state_dict())
    _train(opt, (w, b), 2)
    want = [w.detach().cpu().numpy(), b.detach().cpu().numpy()]

    # a fresh optimizer on fresh parameters, resumed from the snapshot
    w2, b2 = (s.clone().requires_grad_() for s in saved_params)
    opt2 = OPTIMIZERS[name]([w2, b2])
    opt2.load_state_dict(saved_state)
    _train(opt2, (w2, b2), 2)
    np.testing.assert_array_equal(w2.detach().cpu().numpy(), want[0])
    np.testing.assert_array_equal(b2.detach().cpu().numpy(), want[1])


def test_load_state_dict_copies_and_does_not_alias(device):
    w, b = _params(device)
    opt = optim.Adam([w, b], lr=0.1)
    _train(opt, (w, b), 1)
    sd = opt.state_dict()
    opt2 = optim.Adam([w, b], lr=0.1)
    opt2.load_state_dict(sd)
    assert opt2.state[w]["exp_avg"] is not opt.state[w]["exp_avg"]
    _train(opt2, (w, b), 1)
    assert opt.state[w]["step"].item() == 1 and opt2.state[w]["step"].item() == 2


def test_load_state_dict_moves_state_to_the_parameters_device_and_dtype(device):
    w_cpu = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([w_cpu], lr=0.1)
    w_cpu.grad = torch.ones(2, dtype=torch.float64)
    opt.step()
    w_dev = torch.tensor([1.0, 2.0], device=device, requires_grad=True)  # float32
    opt2 = optim.Adam([w_dev], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    state = opt2.state[w_dev]
    assert state["exp_avg"].device == w_dev.device and state["exp_avg"].dtype == torch.float32
    assert state["step"].device == torch.device("cpu")  # the counter stays where it was
    w_dev.grad = torch.ones(2, device=device)
    opt2.step()
    assert state["step"].item() == 2


def test_load_state_dict_validates_groups(device):
    w, b = _params(device)
    opt = optim.SGD([w, b], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([w], lr=0.1).load_state_dict(opt.state_dict())


def test_load_state_dict_restores_group_options(device):
    w, b = _params(device)
    opt = optim.SGD([w, b], lr=0.1, momentum=0.5)
    opt.param_groups[0]["lr"] = 0.01
    opt2 = optim.SGD([w, b], lr=0.3)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["momentum"] == 0.5
    assert opt2.param_groups[0]["params"][0] is w


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_load_state_dict_of_an_older_version(device, name):
    # groups lacking newer options get the constructor's defaults; a plain-number step counter
    # becomes a tensor (PyTorch's __setstate__ does both)
    w, b = _params(device)
    opt = OPTIMIZERS[name]([w, b])
    _train(opt, (w, b), 2)
    old = copy.deepcopy(opt.state_dict())  # (its dicts are the optimizer's own, as PyTorch's)
    for key in ("maximize", "foreach", "fused", "capturable", "differentiable",
                "decoupled_weight_decay"):
        old["param_groups"][0].pop(key, None)
    for state in old["state"].values():
        if "step" in state:
            state["step"] = int(state["step"].item())
    w2, b2 = _params(device)
    with torch.no_grad():
        w2.copy_(w), b2.copy_(b)
    resumed = OPTIMIZERS[name]([w2, b2])
    resumed.load_state_dict(old)
    assert resumed.param_groups[0]["maximize"] is False
    assert resumed.param_groups[0]["foreach"] is None
    _train(opt, (w, b), 2)
    _train(resumed, (w2, b2), 2)
    np.testing.assert_allclose(w2.detach().cpu().numpy(), w.detach().cpu().numpy(), rtol=1e-6)


def test_repr():
    p = torch.zeros(1, requires_grad=True)
    text = repr(optim.SGD([p], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


def test_required_option():
    from minitorch_np.optim.optimizer import Optimizer, required

    class Custom(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            return None

    p = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Custom([p])
    assert Custom([{"params": [p], "lr": 0.1}]).param_groups[0]["lr"] == 0.1
    opt = Custom([{"params": [p], "lr": 0.1}])
    assert not opt._opt_called
    opt.step()
    assert opt._opt_called  # subclasses' steps are recorded for the schedulers' check
