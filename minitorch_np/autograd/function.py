"""`Function`: one differentiable operation, its forward and its backward side by side.

Calling ``MyOp.apply(*args)`` runs ``forward`` and, when grad mode is on and an input
requires grad, records a graph node: the context object ``ctx`` handed to ``forward`` *is*
the node (the output's ``grad_fn``). ``backward(ctx, *grad_outputs)`` later receives the
gradients of the outputs and returns one gradient per ``forward`` argument (None where there
is none). Backward formulas are written with Tensor operations, so running them with grad
mode on (``create_graph=True``) records their own graph: gradients of gradients for free.

Two kinds of forward exist:

* user-defined Functions follow PyTorch: ``forward`` receives Tensors (run under
  ``no_grad``) and returns Tensors;
* the built-in ops (``minitorch_np/_functions``) derive from `ArrayFunction`: ``forward``
  receives the backend arrays of tensor arguments and returns arrays; it calls the array
  library through ``ctx.xp``. Arrays it saves with ``ctx.save_for_backward`` come back from
  ``ctx.saved_tensors`` as the input or output *Tensors* they were (so double backward sees
  the graph), or as constants when they were computed inside forward.

A built-in op whose backward formula uses only what arrays and Tensors share (operators,
``.T``, ``reshape``) sets ``_array_backward = True``: a plain backward (no ``create_graph``)
runs that formula on the arrays, ``ctx.saved_tensors`` then giving arrays too.

A node holds edges to the nodes of its inputs (or to the leaf tensors themselves), with the
inputs' shapes and dtypes (the engine reduces broadcast gradients to them), and what forward
saved; saved values are released after backward unless ``retain_graph=True``.
"""
from __future__ import annotations

import functools

from .._grad_mode import _state as _grad_state
from .._grad_mode import no_grad
from .._tensor import Tensor
from . import anomaly as _anomaly

__all__ = ["Function", "BackwardNode", "FunctionCtx", "once_differentiable"]

_PACKAGE = __name__.split(".")[0] + "."  # where the built-in Functions live
_INPUT, _OUTPUT, _CONST = "input", "output", "const"  # the kinds of saved values


class BackwardNode:
    """A node of the backward graph, and the ``ctx`` of its Function's forward."""

    _forward_cls: type = None  # the Function subclass, set by Function.__init_subclass__
    _builtin = False           # a Function of this package (the engine trusts its backward)

    # Defaults live on the class: a node is made for every op, so __init__ sets nothing.
    needs_input_grad: tuple = ()
    device = None
    output_device = None   # set by a forward whose outputs live on another device
    # per argument, None or (BackwardNode | leaf Tensor, output_nr, shape, numpy dtype,
    # n_outputs): where its gradient goes, the shape and dtype the gradient must have, and
    # how many outputs (gradients) the target has: 1 for a leaf
    _edges: tuple = ()
    _output_meta: tuple = ()    # per output: (shape, numpy dtype, device)
    _to_save = None             # what forward passed to save_for_backward
    _saved = None               # resolved: (kind, value, version counter, version) each
    _released = False
    _watch = None               # {output_nr: (its tensor's hooks or None, weakref to it)}
    _anomaly_trace = None
    _tensor_args: tuple = ()   # per argument of a user's Function: was it a Tensor

    # -- for forward --------------------------------------------------------------------
    xp = None  # the array module of the device this op runs on (set by apply)

    def save_for_backward(self, *values) -> None:
        """Keep inputs, outputs or constants for backward (arrays in built-in ops)."""
        self._to_save = values

    _non_differentiable = ()    # ids of outputs forward marked as such
    materialize_grads = True    # an output without a gradient gets zeros, not None

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs of forward that get no gradient (indices, masks): they do not require
        grad, and backward receives zeros (or None, see `set_materialize_grads`) for them."""
        self._non_differentiable = tuple(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None, not zeros, for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    _on_arrays = False  # set by the engine while it runs an `_array_backward` on arrays

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved, as Tensors (as arrays while the engine runs a plain backward
        on arrays, see `Function._array_backward`); raises if released or modified in place
        since."""
        if self._released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have already been freed). Saved intermediate "
                "values of the graph are freed when you call .backward() or autograd.grad(). "
                "Specify retain_graph=True if you need to backward through the graph a second "
                "time or if you need to access saved tensors after calling backward.")
        out = []
        if self._on_arrays:  # (the plain walk's case, and the most frequent: kept apart)
            for kind, value, counter, version in self._saved or ():
                if kind is _INPUT:  # a tensor's counter, made when it was first changed in place
                    counter = value._counter
                    if counter is not None and counter.value != version:
                        self._stale(kind, value, counter, version)
                    out.append(value._data)
                elif kind is _OUTPUT:
                    if counter.value != version:
                        self._stale(kind, value, counter, version)
                    out.append(value[1])
                else:
                    out.append(value._data if isinstance(value, Tensor) else value)
            return tuple(out)
        for kind, value, counter, version in self._saved or ():
            if kind is _INPUT:
                counter = value._counter
            if counter is not None and counter.value != version:
                self._stale(kind, value, counter, version)
            if kind is _OUTPUT:
                nr, array = value
                t = Tensor._make(array, self._output_meta[nr][2], requires_grad=True,
                                 grad_fn=self, output_nr=nr)
                t._version_counter = counter
                out.append(t)
            else:
                out.append(value)
        return tuple(out)

    def _stale(self, kind, value, counter, version):
        """Raise: a saved input or output was changed in place after it was saved."""
        # an output is saved as (output_nr, array), an input as its Tensor
        t = Tensor._make(value[1], self._output_meta[value[0]][2]) if kind is _OUTPUT \
            else value
        raise RuntimeError(
            f"{self.name()}: one of the variables needed for gradient computation has "
            f"been modified by an inplace operation: [{t.dtype} {list(t.shape)}] is at "
            f"version {counter.value}; expected version {version} instead.")

    # -- graph inspection ---------------------------------------------------------------
    @classmethod
    def name(cls) -> str:
        return cls.__name__

    @property
    def next_functions(self) -> tuple:
        """``((node_or_AccumulateGrad, output_nr), ...)`` per forward argument, as PyTorch."""
        return tuple((None, 0) if e is None else
                     ((AccumulateGrad(e[0]) if isinstance(e[0], Tensor) else e[0]), e[1])
                     for e in self._edges)

    def _input_shape(self, i: int) -> tuple:
        """The shape of forward's argument `i` (one that needs a gradient)."""
        return self._edges[i][2]

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def _release(self) -> None:
        self._saved = None
        self._released = True


FunctionCtx = BackwardNode


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf: the tensor whose ``.grad`` accumulates."""

    def __init__(self, variable: Tensor):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class Function:
    """Base class of differentiable operations; subclass it with static forward and backward.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         x, = ctx.saved_tensors
    ...         return 3 * x ** 2 * grad
    >>> y = Cube.apply(x)
    """

    #: built-in ops: forward gets and returns backend arrays (see the module docstring)
    _array_forward = False
    #: built-in ops whose backward formula is written with operators and methods that arrays
    #: and Tensors share (``g * y``, ``g.T @ x``): a plain backward (no ``create_graph``),
    #: where nothing would record the formula's Tensor ops, runs it on the arrays instead,
    #: ``saved_tensors`` then giving arrays too; with ``create_graph`` it runs on Tensors.
    #: (A fused op whose two formulas differ branches on ``ctx._on_arrays``.)
    _array_backward = False
    #: fused ops whose backward works on raw arrays refuse create_graph=True
    _once_differentiable = False
    _backward_cls: type = BackwardNode

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(f"{cls.__name__}Backward0", (BackwardNode,),
                                 {"_forward_cls": cls, "__module__": cls.__module__,
                                  "_builtin": cls.__module__.startswith(_PACKAGE)})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on `args` and record the node when gradients are needed."""
        # one pass over the arguments: their device, which need a gradient, their arrays,
        # and (when grad mode is on) the edges to the nodes or leaves gradients go to
        recording = _grad_state.enabled
        device = None
        needs = []
        raw = []
        edges = []
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a._device
                elif a._device is not device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors to be on the same device, but "
                        f"found at least two devices, {device} and {a._device}")
                data = a._data
                raw.append(data)
                if a._base is not None and a._base.grad_fn is not None:
                    _refuse_stale_view(cls, a)
                if a._requires_grad:
                    needs.append(True)
                    if recording:  # the edge to its node, or to the leaf itself (_edges)
                        node = a.grad_fn
                        edges.append((a, 0, data.shape, data.dtype, 1) if node is None else
                                     (node, a._output_nr, data.shape, data.dtype,
                                      len(node._output_meta)))
                        continue
                else:
                    needs.append(False)
            else:
                needs.append(False)
                raw.append(a)
            edges.append(None)
        if device is None:
            raise TypeError(f"{cls.__name__}.apply: expected at least one Tensor argument")
        ctx = cls._backward_cls()
        ctx.device = device
        ctx.xp = device.backend.xp
        # a tuple, as PyTorch's, already in forward (and under no_grad too, as there)
        ctx.needs_input_grad = needs = tuple(needs)
        if recording and True in needs:
            ctx._edges = edges
            return _record(cls, ctx, args, raw, kwargs)
        # nothing to record: the node is only forward's ctx, the outputs plain tensors
        if not cls._array_forward:
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
            if isinstance(out, tuple):
                return tuple([_unrecorded(o) for o in out])
            return _unrecorded(out)
        if device.index:
            with device.backend.device_context(device.index):
                out = cls.forward(ctx, *raw, **kwargs)
        else:
            out = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
        if ctx.output_device is not None:
            device = ctx.output_device
        if type(out) is tuple:
            return tuple([Tensor._make(o, device) for o in out])
        return Tensor._make(out, device)


class ArrayFunction(Function):
    """The base of the built-in ops (``minitorch_np/_functions``): ``forward`` gets the
    backend arrays of its tensor arguments and returns arrays (see the module docstring)."""

    _array_forward = True


def _refuse_stale_view(cls, view: Tensor) -> None:
    """Refuse a view whose base, part of a graph, was changed in place after the view was made.

    The view shows the new values, but its ``grad_fn`` still describes the view of the old
    base, so its gradient would be silently wrong (or lost, when the base had no graph when
    the view was made). PyTorch rebuilds such a view's ``grad_fn`` on top of the in-place op;
    minitorch_np does not, and says so. Without grad mode no graph is built: nothing to refuse.
    """
    if _grad_state.enabled and view._counter.value != view._view_version:
        raise RuntimeError(
            f"{cls.__name__}: this tensor is a view of a tensor that was modified in place after "
            f"the view was made (the base is at version {view._counter.value}, the view was made "
            f"at version {view._view_version}); minitorch_np does not rebuild a view's graph "
            "after an in-place change of its base, so its gradient would be wrong. Take the "
            "view again after the in-place operation, or use an out-of-place operation.")


def once_differentiable(backward):
    """Decorate a custom Function's ``backward`` written on values, not recorded ops: it runs
    without grad mode; under ``create_graph=True`` its results can be used, but
    differentiating them again raises (PyTorch's ``torch.autograd.function``)."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            out = backward(ctx, *grads)
        if not _grad_state.enabled:
            return out
        outs = out if isinstance(out, tuple) else (out,)
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grads):
            return out
        # each result re-enters the graph through a node whose backward raises (a detached
        # alias requiring grad, so that the node is recorded), as PyTorch does
        name = ctx.name()
        outs = tuple(_DelayedError.apply(g.detach().requires_grad_(), name)
                     if isinstance(g, Tensor) else g for g in outs)
        return outs if isinstance(out, tuple) else outs[0]
    return wrapper


def _unrecorded(out):
    """A user Function's output, as a new tensor outside the graph (on its own device); an
    output that is not a tensor (a number, a string) is returned as it is."""
    if isinstance(out, Tensor):
        return Tensor._make(out._data, out._device)
    return out


def _record(cls, ctx, args, raw, kwargs):
    """`Function.apply` when the graph is recorded: forward, then the node's edges, the
    inputs' and outputs' shapes, and what forward saved."""
    if not cls._array_forward:
        return _record_user(cls, ctx, args, kwargs)
    if ctx.device.index:
        with ctx.device.backend.device_context(ctx.device.index):
            out = cls.forward(ctx, *raw, **kwargs)
    else:
        out = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
    device = ctx.output_device if ctx.output_device is not None else ctx.device
    if type(out) is tuple:
        outs = out
        results = tuple([_output(ctx, o, i, device) for i, o in enumerate(out)])
        ctx._output_meta = [(o.shape, o.dtype, device) for o in out]
    else:  # one output, as most ops have
        outs = (out,)
        results = (_output(ctx, out, 0, device),)
        ctx._output_meta = ((out.shape, out.dtype, device),)
    if _anomaly._state.enabled:
        ctx._anomaly_trace = _anomaly.current_stack()
    if ctx._to_save is not None:
        ctx._saved = _resolve_saved(ctx._to_save, args, raw, outs, outs, results)
        ctx._to_save = None
    return results if type(out) is tuple else results[0]


def _output(ctx, o, i: int, device) -> Tensor:
    """Output `i` of a node, as a tensor of the graph unless it cannot have a gradient (an
    integer or bool array, or one forward marked non-differentiable)."""
    if o.dtype.kind == "f" and not (ctx._non_differentiable and id(o) in ctx._non_differentiable):
        return Tensor._make(o, device, True, ctx, i)
    return Tensor._make(o, device)


def _record_user(cls, ctx, args, kwargs):
    """`_record` for a user's Function: forward on Tensors; it may return numbers or other
    objects beside tensors, and each output tensor keeps its own device."""
    with no_grad():
        out = cls.forward(ctx, *args, **kwargs)
    returned = out if isinstance(out, tuple) else (out,)
    marked = ctx._non_differentiable
    results, output_meta, outs = [], [], []
    for i, r in enumerate(returned):
        if not isinstance(r, Tensor):
            results.append(r)  # a number or other object a user's forward also returns
            output_meta.append(None)
            outs.append(r)
            continue
        o = r._data
        differentiable = o.dtype.kind == "f" and id(r) not in marked
        results.append(Tensor._make(o, r._device, differentiable,
                                    ctx if differentiable else None, i))
        output_meta.append((o.shape, o.dtype, r._device))
        outs.append(o)
    ctx._output_meta = output_meta
    if _anomaly._state.enabled:
        ctx._anomaly_trace = _anomaly.current_stack()
    ctx._tensor_args = tuple(isinstance(a, Tensor) for a in args)  # backward's results checked
    if ctx._to_save is not None:
        ctx._saved = _resolve_saved(ctx._to_save, args, args, outs, returned, results)
        ctx._to_save = None
    return results[0] if not isinstance(out, tuple) else tuple(results)


def _resolve_saved(values, args, raw_args, outs, returned, results) -> tuple:
    """Map what forward saved back to input Tensors, output markers or constants.

    Each entry is (kind, value, version counter, its value now). An input's counter is
    looked up on the tensor when backward checks it (it may not exist yet: tensors get one
    when first changed in place, or viewed, and a new counter starts at 0); an output's is
    made now, because the node may not hold the output tensor itself (that would be a cycle).
    `outs` are the outputs' arrays, `returned` what forward returned (the same for built-in
    ops; a user's forward returns Tensors).
    """
    saved = []
    for v in values:
        if v is None:
            saved.append(_NOTHING)
            continue
        i = 0
        for r in raw_args:  # identity first: most saved values are inputs
            if r is v and isinstance(args[i], Tensor):
                a = args[i]
                saved.append((_INPUT, a, None, 0 if a._counter is None else a._counter.value))
                break
            i += 1
        else:
            for i, o in enumerate(outs):
                if o is v or returned[i] is v:
                    counter = results[i]._version_counter
                    saved.append((_OUTPUT, (i, o), counter, counter.value))
                    break
            else:
                if type(v) in (bool, int, float):
                    # a Python scalar is kept as it is; not a NumPy scalar (np.float64
                    # subclasses float), which ufuncs return for 0-d arrays
                    saved.append((_CONST, v, None, 0))
                elif isinstance(v, Tensor):
                    saved.append((_INPUT, v, None,
                                  0 if v._counter is None else v._counter.value))
                else:  # an array computed inside forward: a constant for double backward
                    device = results[0]._device
                    saved.append((_CONST, Tensor._make(v, device), None, 0))
    return tuple(saved)


_NOTHING = (_CONST, None, None, 0)  # what a None passed to save_for_backward becomes


class _DelayedError(Function):
    """Passes a value on; differentiating it raises (see `once_differentiable`)."""

    @staticmethod
    def forward(ctx, value, name):
        ctx.fn_name = name
        return value.clone()

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"{ctx.fn_name}: trying to differentiate twice a function that was "
                           "marked with @once_differentiable")
