"""Every scheduler's sequence over 30+ steps against its closed form."""
from __future__ import annotations

import math
import warnings

import pytest

import minitorch_np as torch
from minitorch_np import optim
from minitorch_np.optim import lr_scheduler as S

STEPS = 40


def _optimizer(lr=0.1, groups=1, cls=optim.SGD, **kwargs):
    params = [torch.zeros(2, requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p]} for p in params], lr=lr, **kwargs)


def _run(scheduler, steps=STEPS, key="lr"):
    """The option `key` of each group at epochs 0..steps (optimizer.step() first)."""
    opt = scheduler.optimizer
    seq = [[g[key] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        seq.append([g[key] for g in opt.param_groups])
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return seq


def _check(seq, closed_form, rel=1e-12):
    for epoch, lrs in enumerate(seq):
        want = closed_form(epoch)
        want = want if isinstance(want, list) else [want]
        assert lrs == pytest.approx(want, rel=rel, abs=1e-15), f"epoch {epoch}"


def test_step_lr_lecture_004():
    # StepLR(optimizer, 10, 0.5): "divide learning rate by 2 every 10 epochs"
    sched = S.StepLR(_optimizer(0.1), 10, 0.5)
    _check(_run(sched), lambda e: 0.1 * 0.5 ** (e // 10))


def test_step_lr_default_gamma_and_groups():
    sched = S.StepLR(_optimizer(0.1, groups=2), step_size=3)
    sched.optimizer.param_groups[1]["lr"] = 1.0  # (before any step: the base stays 0.1)
    _check(_run(sched), lambda e: [0.1 * 0.1 ** (e // 3), 1.0 * 0.1 ** (e // 3)])


def test_multistep_lr():
    sched = S.MultiStepLR(_optimizer(0.5), milestones=[5, 12, 12, 30], gamma=0.1)
    _check(_run(sched), lambda e: 0.5 * 0.1 ** sum(m <= e for m in [5, 12, 12, 30]))


def test_exponential_lr_is_lecture_002_exponential_decay():
    k = 0.1  # α = α₀ e^{-kt}
    sched = S.ExponentialLR(_optimizer(0.2), gamma=math.exp(-k))
    _check(_run(sched), lambda e: 0.2 * math.exp(-k * e), rel=1e-10)


def test_inverse_time_lr_is_lecture_002_one_over_t_decay():
    sched = S.InverseTimeLR(_optimizer(0.3, groups=2), decay_rate=0.5)
    _check(_run(sched), lambda e: [0.3 / (1 + 0.5 * e)] * 2)
    with pytest.raises(ValueError, match="decay_rate"):
        S.InverseTimeLR(_optimizer(), decay_rate=-1)


def test_lambda_lr_one_per_group():
    sched = S.LambdaLR(_optimizer(0.1, groups=2), [lambda e: 0.95 ** e, lambda e: e // 7])
    _check(_run(sched), lambda e: [0.1 * 0.95 ** e, 0.1 * (e // 7)])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(_optimizer(groups=2), [lambda e: 1.0])


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_lr(eta_min):
    # past T_max it climbs back: the closed form holds for every epoch
    T = 12
    sched = S.CosineAnnealingLR(_optimizer(0.1), T_max=T, eta_min=eta_min)
    _check(_run(sched), lambda e: eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * e / T)) / 2,
           rel=1e-9)


def _triangle(e, up, down):
    """Where iteration e is in its cycle: (cycle number, height in [0, 1])."""
    total = up + down
    cycle = math.floor(1 + e / total)
    pos = e - (cycle - 1) * total
    return cycle, (pos / up if pos <= up else 1 - (pos - up) / down)


@pytest.mark.parametrize("mode, scale", [
    ("triangular", lambda cycle, e: 1.0),
    ("triangular2", lambda cycle, e: 0.5 ** (cycle - 1)),
    ("exp_range", lambda cycle, e: 0.97 ** e),
])
@pytest.mark.parametrize("up, down", [(4, None), (3, 5)])
def test_cyclic_lr(mode, scale, up, down):
    def make():
        return S.CyclicLR(_optimizer(1.0, momentum=0.9), base_lr=0.01, max_lr=0.1,
                          step_size_up=up, step_size_down=down, mode=mode, gamma=0.97,
                          base_momentum=0.8, max_momentum=0.95)

    down = down or up

    def amplitude(e):  # height in the cycle × the mode's scaling
        cycle, height = _triangle(e, up, down)
        return height * scale(cycle, e)

    _check(_run(make()), lambda e: 0.01 + (0.1 - 0.01) * amplitude(e))
    # momentum cycles the other way: max_momentum at base_lr, base_momentum at max_lr
    _check(_run(make(), key="momentum"), lambda e: 0.95 - (0.95 - 0.8) * amplitude(e))


def test_cyclic_lr_cycles_adams_beta1_and_needs_momentum():
    opt = _optimizer(1.0, cls=optim.Adam)
    sched = S.CyclicLR(opt, 0.001, 0.01, step_size_up=5, base_momentum=0.85, max_momentum=0.95)
    seq = _run(sched, key="betas")
    for e, [betas] in enumerate(seq):
        assert betas[1] == 0.999
        assert betas[0] == pytest.approx(0.95 - 0.1 * _triangle(e, 5, 5)[1])
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        S.CyclicLR(_optimizer(cls=optim.Adagrad), 0.001, 0.01)
    S.CyclicLR(_optimizer(cls=optim.Adagrad), 0.001, 0.01, cycle_momentum=False)


def test_cyclic_lr_custom_scale_fn():
    sched = S.CyclicLR(_optimizer(1.0), 0.0, 1.0, step_size_up=2, cycle_momentum=False,
                       scale_fn=lambda x: 1 / x, scale_mode="cycle")
    _check(_run(sched), lambda e: _triangle(e, 2, 2)[1] / _triangle(e, 2, 2)[0])


def _one_cycle(e, total, pct, max_lr, div=25.0, final_div=1e4, anneal="cos"):
    """Smith's 1cycle: up from max_lr/div to max_lr, then down to (max_lr/div)/final_div."""
    def interp(a, b, x):
        if anneal == "cos":
            return b + (a - b) / 2 * (1 + math.cos(math.pi * x))
        return a + (b - a) * x
    initial = max_lr / div
    peak = pct * total - 1
    if e <= peak:
        return interp(initial, max_lr, e / peak)
    return interp(max_lr, initial / final_div, (e - peak) / (total - 1 - peak))


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_lr(anneal):
    total = STEPS
    opt = _optimizer(1.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.2, total_steps=total, pct_start=0.25,
                         anneal_strategy=anneal)
    _check(_run(sched, steps=total - 1),
           lambda e: _one_cycle(e, total, 0.25, 0.2, anneal=anneal), rel=1e-9)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.2 / 25)
    # momentum: 0.95 → 0.85 while the rate rises, back to 0.95 while it falls
    opt2 = _optimizer(1.0, momentum=0.9)
    sched2 = S.OneCycleLR(opt2, max_lr=0.2, total_steps=total, pct_start=0.25,
                          anneal_strategy=anneal)
    moms = _run(sched2, steps=total - 1, key="momentum")
    assert moms[0] == [pytest.approx(0.95)] and moms[9] == [pytest.approx(0.85)]
    assert moms[-1] == [pytest.approx(0.95)]
    with pytest.raises(ValueError, match="Tried to step 41 times"):
        opt2.step()
        sched2.step()
        sched2.step()


def test_one_cycle_lr_three_phase_and_epochs():
    opt = _optimizer(1.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, epochs=4, steps_per_epoch=10, pct_start=0.25,
                         three_phase=True, anneal_strategy="linear")
    seq = _run(sched, steps=39)
    # rise over 0..9, fall back to the initial rate over 9..18, then down to min_lr at 39
    assert seq[0] == [pytest.approx(0.04)] and seq[9] == [pytest.approx(1.0)]
    assert seq[18] == [pytest.approx(0.04)]
    assert seq[39] == [pytest.approx(0.04 / 1e4)]
    assert seq[28] == [pytest.approx(0.04 + (0.04e-4 - 0.04) * 10 / 21)]
    with pytest.raises(ValueError, match="total_steps OR"):
        S.OneCycleLR(_optimizer(), max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        S.OneCycleLR(_optimizer(), max_lr=1.0, total_steps=10, pct_start=1.5)


def test_reduce_lr_on_plateau():
    opt = _optimizer(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, threshold=0.1,
                                min_lr=0.2)
    metrics = [10, 9.5, 9.5, 9.5, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    # epochs 2-4: 9.5 is not 10 % better than 10 → 3 bad epochs (> patience 2): halve at 4.
    # 5: 8.0 is a new best (and the cooldown epoch). 6-8: bad → halve at 8. 9: cooldown.
    # 10-12: bad → halve at 12, but not below min_lr 0.2.
    lrs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2]
    assert sched.best == 8.0
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode bogus is unknown"):
        S.ReduceLROnPlateau(opt, mode="bogus")


def test_reduce_lr_on_plateau_max_mode_abs_and_tensor_metric():
    opt = _optimizer(1.0)
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold=0.05,
                                threshold_mode="abs")
    for m in [0.5, 0.6, 0.62, 0.7]:
        sched.step(torch.tensor(m))
    # 0.62 is not 0.05 better than 0.6 → reduced at once (patience 0); 0.7 is
    assert sched.get_last_lr() == [pytest.approx(0.1)]


# -- the order check, state dicts ------------------------------------------------------------
def test_warns_when_scheduler_steps_before_optimizer():
    opt = _optimizer()
    sched = S.StepLR(opt, 3)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _optimizer()
    sched = S.ExponentialLR(opt, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 4, 0.5),
    lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    lambda o: S.ExponentialLR(o, 0.9),
    lambda o: S.InverseTimeLR(o, 0.3),
    lambda o: S.MultiStepLR(o, [3, 6]),
    lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    lambda o: S.OneCycleLR(o, 0.5, total_steps=30),
])
def test_scheduler_state_dict_resumes(make):
    opt = _optimizer(0.1, momentum=0.9)
    sched = make(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sched_state and sched_state["last_epoch"] == 5
    want = _run(sched, steps=10)

    opt2 = _optimizer(0.1, momentum=0.9)
    sched2 = make(opt2)  # build first, then load both (PyTorch's order)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert _run(sched2, steps=10) == want


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_optimizer(), 3, last_epoch=4)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), 3)


def test_step_with_epoch_uses_the_closed_form():
    opt = _optimizer(1.0)
    sched = S.StepLR(opt, 2, 0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.get_last_lr() == [0.125]


@pytest.mark.parametrize("make", [
    lambda o: S.LambdaLR(o, lambda e: 0.5 ** e),
    lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2, cycle_momentum=False)])
def test_a_group_added_after_the_scheduler_is_an_error(make):
    # PyTorch raises (zip(strict=True)); scheduling only the old groups would be silent
    opt = _optimizer()
    sched = make(opt)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 1.0})
    opt.step()
    before = (sched.last_epoch, [g["lr"] for g in opt.param_groups])
    with pytest.raises(ValueError, match="2 param groups but.*1 learning rates"):
        sched.step()
    assert (sched.last_epoch, [g["lr"] for g in opt.param_groups]) == before


def test_cosine_annealing_needs_its_groups_at_the_bottom_of_the_cosine():
    # the recursive update follows any number of groups, except the step up from eta_min,
    # which reads base_lrs: there PyTorch's zip(strict=True) raises, and so does ours
    opt = _optimizer()
    sched = S.CosineAnnealingLR(opt, T_max=2)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 1.0})
    for _ in range(2):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ValueError, match="zip"):
        sched.step()
    assert sched.last_epoch == 2 and sched._step_count == 3


def test_chainable_schedules_follow_an_added_group():
    opt = _optimizer(1.0)
    sched = S.StepLR(opt, 1, 0.5)  # PyTorch's get_lr scales each group's current rate
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 4.0})
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.5, 2.0]
