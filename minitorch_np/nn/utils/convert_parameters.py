"""All parameters as one flat vector, and back (e.g. for line searches or second-order
methods that see the model as a function of one vector)."""
from __future__ import annotations

from collections.abc import Iterable

from ..._functions.shape import cat
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(op: str, params: list[Tensor]) -> None:
    for p in params[1:]:
        if p.device != params[0].device:
            raise TypeError(f"{op}: Found two parameters on different devices ({params[0].device}"
                            f" and {p.device}), this is currently not supported.")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor: every parameter flattened, concatenated in order (differentiable)."""
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, got {type(p).__name__} at "
                            f"position {i}")
    if not params:
        raise RuntimeError("parameters_to_vector: expected at least one parameter")
    _check_same_device("parameters_to_vector", params)
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the matching slice of `vec` (the inverse of
    `parameters_to_vector`; the parameters then share memory with `vec`, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_same_device("vector_to_parameters", params)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements "
                           f"(the parameters' total), got shape {list(vec.shape)}")
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
