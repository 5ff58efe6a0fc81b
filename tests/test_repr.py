"""How tensors print. Every expected string below is what PyTorch 2.x prints for the same
tensor (with ``torch.`` spelled ``minitorch_np.``), so a student's printed output matches the
lectures' and PyTorch's documentation."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_np as torch

DEVICE_SUFFIX = {"cpu": None, "fakegpu": "device='fakegpu:0'", "fakegpu:1": "device='fakegpu:1'",
                 "cuda": "device='cuda:0'"}

# (how to build it, body, suffixes): the repr is body + ", ".join(suffixes) + ")", with the
# device suffix first when the tensor is not on the CPU, as PyTorch orders them.
CASES = {
    "requires_grad": (lambda d: torch.tensor([[1.0, 2.0]], requires_grad=True, device=d),
                      "tensor([[1., 2.]]", ["requires_grad=True"]),
    "grad_fn": (lambda d: torch.tensor([[1.0, 2.0]], requires_grad=True, device=d) + 1,
                "tensor([[2., 3.]]", ["grad_fn=<AddBackward0>"]),
    "grad_fn_mul": (lambda d: torch.tensor([1.0, -2.0], requires_grad=True, device=d) * 2,
                    "tensor([ 2., -4.]", ["grad_fn=<MulBackward0>"]),
    "float64": (lambda d: torch.tensor([1.5, 2.0], dtype=torch.float64, device=d),
                "tensor([1.5000, 2.0000]", ["dtype=minitorch_np.float64"]),
    "float16": (lambda d: torch.ones(2, dtype=torch.float16, device=d),
                "tensor([1., 1.]", ["dtype=minitorch_np.float16"]),
    "int64": (lambda d: torch.tensor([1, 2, 3], device=d), "tensor([1, 2, 3]", []),
    "int32": (lambda d: torch.tensor([1, 2], dtype=torch.int32, device=d),
              "tensor([1, 2]", ["dtype=minitorch_np.int32"]),
    "bool": (lambda d: torch.tensor([True, False], device=d), "tensor([ True, False]", []),
    "0d_float": (lambda d: torch.tensor(3.5, device=d), "tensor(3.5000", []),
    "0d_int": (lambda d: torch.tensor(3, device=d), "tensor(3", []),
    "0d_float64": (lambda d: torch.tensor(-0.25, dtype=torch.float64, device=d),
                   "tensor(-0.2500", ["dtype=minitorch_np.float64"]),
    "empty": (lambda d: torch.tensor([], device=d), "tensor([]", []),
    "empty_2d": (lambda d: torch.zeros(0, 3, device=d), "tensor([]", ["size=(0, 3)"]),
    "empty_int64": (lambda d: torch.zeros(0, dtype=torch.int64, device=d),
                    "tensor([]", ["dtype=minitorch_np.int64"]),
    "empty_float64_2d": (lambda d: torch.zeros(2, 0, dtype=torch.float64, device=d),
                         "tensor([]", ["size=(2, 0)", "dtype=minitorch_np.float64"]),
    "four_decimals": (lambda d: torch.tensor([0.1, 0.25, -3.5], device=d),
                      "tensor([ 0.1000,  0.2500, -3.5000]", []),
    "aligned": (lambda d: torch.tensor([[1.23456, 100.5]], device=d),
                "tensor([[  1.2346, 100.5000]]", []),
    "negative_aligned": (lambda d: torch.tensor([-0.5, 12.25], device=d),
                         "tensor([-0.5000, 12.2500]", []),
    "integers_as_floats": (lambda d: torch.tensor([0.0, 0.0], device=d), "tensor([0., 0.]", []),
    "sci_wide_range": (lambda d: torch.tensor([1e-5, 1e3], device=d),
                       "tensor([1.0000e-05, 1.0000e+03]", []),
    "sci_tiny": (lambda d: torch.tensor([[0.00009, 0.5]], device=d),
                 "tensor([[9.0000e-05, 5.0000e-01]]", []),
    "sci_large": (lambda d: torch.tensor([123456.789, 1.0], device=d),
                  "tensor([1.2346e+05, 1.0000e+00]", []),
    "sci_integers_wide_range": (lambda d: torch.tensor([1.0, 1500.0], device=d),
                                "tensor([1.0000e+00, 1.5000e+03]", []),
    "integers_up_to_1e8": (lambda d: torch.tensor([0.0, 1e8], device=d),
                           "tensor([        0., 100000000.]", []),
    "nonfinite_ints": (lambda d: torch.tensor([float("nan"), 1.0, float("-inf")], device=d),
                       "tensor([nan, 1., -inf]", []),
    "nonfinite_floats": (lambda d: torch.tensor([float("nan"), 1.5, float("inf")], device=d),
                         "tensor([   nan, 1.5000,    inf]", []),
    "matrix": (lambda d: torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
               "tensor([[1., 2.],\n        [3., 4.]]", []),
    "3d": (lambda d: torch.arange(8.0, device=d).reshape(2, 2, 2),
           ("tensor([[[0., 1.],\n         [2., 3.]],\n\n"
            "        [[4., 5.],\n         [6., 7.]]]"), []),
    # the lecture's dropout example input, as PyTorch prints it today
    "lecture_full": (lambda d: torch.full((3, 6), 1.0, device=d).requires_grad_(),
                     ("tensor([[1., 1., 1., 1., 1., 1.],\n"
                      "        [1., 1., 1., 1., 1., 1.],\n"
                      "        [1., 1., 1., 1., 1., 1.]]"), ["requires_grad=True"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_pytorch(device, name):
    make, body, suffixes = CASES[name]
    dev = DEVICE_SUFFIX[device]
    expected = body + "".join(", " + s for s in ([dev] if dev else []) + suffixes) + ")"
    assert repr(make(device)) == expected


def test_str_is_repr(device):
    t = torch.tensor([1.0, 2.0], device=device)
    assert str(t) == repr(t)


def test_print_follows_the_default_dtype():
    torch.set_default_dtype(torch.float64)  # restored by the conftest fixture
    assert repr(torch.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(torch.tensor([1.0], dtype=torch.float32)) == \
        "tensor([1.], dtype=minitorch_np.float32)"


def test_long_rows_wrap_at_80_columns():
    assert repr(torch.linspace(0, 1, 25)) == (
        "tensor([0.0000, 0.0417, 0.0833, 0.1250, 0.1667, 0.2083, 0.2500, 0.2917, 0.3333,\n"
        "        0.3750, 0.4167, 0.4583, 0.5000, 0.5417, 0.5833, 0.6250, 0.6667, 0.7083,\n"
        "        0.7500, 0.7917, 0.8333, 0.8750, 0.9167, 0.9583, 1.0000])")


def test_wrapped_rows_of_a_matrix_with_grad_fn():
    x = torch.arange(30.0).reshape(3, 10).requires_grad_()
    assert repr(x * 1.123) == (
        "tensor([[ 0.0000,  1.1230,  2.2460,  3.3690,  4.4920,  5.6150,  6.7380,  7.8610,\n"
        "          8.9840, 10.1070],\n"
        "        [11.2300, 12.3530, 13.4760, 14.5990, 15.7220, 16.8450, 17.9680, 19.0910,\n"
        "         20.2140, 21.3370],\n"
        "        [22.4600, 23.5830, 24.7060, 25.8290, 26.9520, 28.0750, 29.1980, 30.3210,\n"
        "         31.4440, 32.5670]], grad_fn=<MulBackward0>)")


# -- summarisation: more than 1000 elements ------------------------------------------------------
def test_1000_elements_are_printed_in_full():
    text = repr(torch.arange(1000.0))
    assert "..." not in text
    assert text.startswith("tensor([  0.,   1.,   2.,") and text.endswith(" 998., 999.])")
    assert text.count(",") == 999


def test_1001_elements_are_summarised(device):
    dev = DEVICE_SUFFIX[device]
    assert repr(torch.arange(1001.0, device=device)) == (
        "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.]"
        + (f", {dev}" if dev else "") + ")")


def test_summary_format_is_chosen_from_the_edges_only():
    # the shown values span 1..1999 (> 1000×), so PyTorch switches to scientific notation
    assert repr(torch.arange(2000.0)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])")


def test_summarised_matrix():
    assert repr(torch.arange(2000).reshape(40, 50)) == (
        "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
        "        [  50,   51,   52,  ...,   97,   98,   99],\n"
        "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
        "        ...,\n"
        "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
        "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
        "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])")


def test_summarised_matrix_in_scientific_notation():
    assert repr(torch.arange(2000.0).reshape(40, 50) / 7) == (
        "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 6.7143e+00, 6.8571e+00,\n"
        "         7.0000e+00],\n"
        "        [7.1429e+00, 7.2857e+00, 7.4286e+00,  ..., 1.3857e+01, 1.4000e+01,\n"
        "         1.4143e+01],\n"
        "        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.1000e+01, 2.1143e+01,\n"
        "         2.1286e+01],\n"
        "        ...,\n"
        "        [2.6429e+02, 2.6443e+02, 2.6457e+02,  ..., 2.7100e+02, 2.7114e+02,\n"
        "         2.7129e+02],\n"
        "        [2.7143e+02, 2.7157e+02, 2.7171e+02,  ..., 2.7814e+02, 2.7829e+02,\n"
        "         2.7843e+02],\n"
        "        [2.7857e+02, 2.7871e+02, 2.7886e+02,  ..., 2.8529e+02, 2.8543e+02,\n"
        "         2.8557e+02]])")


def test_a_big_tensor_prints_quickly_and_shortly(device):
    t = torch.zeros(300, 400, device=device)
    text = repr(t)
    assert len(text.splitlines()) == 7 and len(text) < 600


def test_repr_does_not_change_the_tensor(device):
    t = torch.tensor([[1.0, 2.0]], device=device, requires_grad=True)
    version = t._version
    repr(t)
    assert t._version == version and t.requires_grad and t.grad is None


def test_repr_of_a_view_shows_the_view():
    base = torch.arange(12.0).reshape(3, 4)
    assert repr(base[:, 1]) == "tensor([1., 5., 9.])"
    assert repr(base.T[0]) == "tensor([0., 4., 8.])"


def test_repr_matches_numpy_values_at_four_decimals():
    a = np.random.default_rng(0).uniform(-5, 5, size=(3, 4)).astype(np.float32)
    text = repr(torch.tensor(a))
    for v in a.ravel():
        assert f"{v:.4f}" in text
