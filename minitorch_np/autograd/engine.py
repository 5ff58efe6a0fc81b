"""The backward engine: walks the graph from the outputs to the leaves, without recursion.

1. **Discover.** An iterative depth-first walk from the roots counts, for every node and
   leaf, how many edges lead into it (its dependencies). With ``inputs`` (``autograd.grad``,
   ``backward(inputs=...)``) a second walk keeps only the nodes that lead to an input: the
   rest of the graph is not run (`_leading_to`).
2. **Execute.** A node runs once all its dependencies have delivered their gradients, so
   each node sees the *sum* of the gradients of its outputs (a diamond or a reused tensor
   is handled by the counting, not by recursion order). Gradients wait in a table that is
   emptied as the walk goes; nothing lives longer than needed.
3. **Conform.** Every gradient an op returns is reduced to the shape of the input it is for
   (undoing broadcasting, in this one place) and checked against that shape.
4. **Deliver.** Only leaves, and tensors that called ``retain_grad()``, get ``.grad``;
   ``autograd.grad`` captures the requested gradients instead and touches no ``.grad``.

Unless ``retain_graph`` is set, each node releases its saved tensors after it runs, so a
second backward through the same graph raises, as in PyTorch. The whole walk runs with grad
mode equal to ``create_graph``: then the backward formulas (Tensor ops) record a graph of
their own and gradients of gradients can be taken.

Two walks take these steps. A plain ``backward()`` — no ``inputs``, no ``create_graph``, no
anomaly mode: every training step — carries the gradients as arrays, since nothing records
them (`_walk_on_arrays`); the general walk (``autograd.grad``, ``backward(inputs=...)``,
``create_graph``, anomaly mode) carries Tensors.
"""
from __future__ import annotations

from .._dtype import from_numpy_dtype
from .._grad_mode import _state as _grad_state
from .._grad_mode import set_grad_enabled
from .._tensor import Tensor
from ..backends import device_guard
from . import anomaly as _anomaly
from .function import BackwardNode

__all__ = ["run_backward"]


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool,
                 inputs=None, allow_unused: bool = False):
    """Backpropagate `grad_roots` from `roots`; with `inputs`, return their gradients."""
    targets = []
    for i, r in enumerate(roots):
        if not r._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        targets.append(r._edge())

    deps = _count_dependencies([t for t, _ in targets])
    if inputs is None and not create_graph and not _anomaly._state.enabled:
        _walk_on_arrays(targets, grad_roots, deps, retain_graph)
        return None
    capture = useful = None
    if inputs is not None:
        capture = {}
        for t in inputs:
            if t._requires_grad:
                capture[_key(t._edge())] = None
        useful = _leading_to([t for t, _ in targets], {key[0] for key in capture})

    # memory a leaf may not adopt as its .grad (see _adopt): here the root gradients,
    # which the caller may hold
    claimed = {id(_owner(g)) for g in grad_roots}
    buffers: dict = {}
    for (target, nr), g in zip(targets, grad_roots):
        _add_to_buffer(buffers, target, nr, g)
    ready = _ready_roots(targets, deps, useful)
    with set_grad_enabled(create_graph):
        while ready:
            target = ready.pop()
            grads = buffers.pop(target, None)
            if isinstance(target, BackwardNode):  # (most targets: the cheaper test first)
                _run_node(target, grads, buffers, deps, ready, capture, retain_graph,
                          create_graph, claimed, useful)
            elif grads is not None:  # a leaf
                _deliver_to_leaf(target, grads[0], capture, create_graph, claimed)

    if capture is None:
        return None
    results = []
    for i, t in enumerate(inputs):
        g = capture.get(_key(t._edge())) if t._requires_grad else None
        if g is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                               "been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        results.append(g)
    return tuple(results)


def _walk_on_arrays(targets, grad_roots, deps, retain_graph: bool) -> None:
    """The walk of a plain ``backward()`` (no ``inputs``, no ``create_graph``, no anomaly
    mode), the one every training step takes: the same steps, with the gradients carried as
    the backend's arrays, since nothing records them. They become Tensors only where someone
    sees them: ``.grad``, a hook, a Function whose backward is written with Tensor ops
    (`_node_on_tensors`). A built-in `_array_backward` formula runs on the arrays directly.
    """
    claimed = {id(_owner(g)) for g in grad_roots}  # see _adopt
    buffers: dict = {}
    for (target, nr), g in zip(targets, grad_roots):
        with device_guard(g._device):
            _add_to_buffer(buffers, target, nr, g._data)
    ready = _ready_roots(targets, deps)
    with set_grad_enabled(False):
        while ready:
            target = ready.pop()
            grads = buffers.pop(target, None)
            if isinstance(target, BackwardNode):
                if target.device.index:
                    with device_guard(target.device):
                        _node_on_arrays(target, grads, buffers, deps, ready, retain_graph,
                                        claimed)
                else:
                    _node_on_arrays(target, grads, buffers, deps, ready, retain_graph, claimed)
            elif grads is not None:
                _leaf_on_arrays(target, grads[0], claimed)


def _node_on_arrays(node, grads, buffers, deps, ready, retain_graph, claimed) -> None:
    """Run one node of the plain walk and pass its (array) gradients down its edges."""
    out = None
    if grads is not None:
        fn = node._forward_cls
        if fn._array_backward and node._builtin and len(grads) == 1 and not node._watch:
            node._on_arrays = True
            try:
                out = fn.backward(node, grads[0])
            finally:
                node._on_arrays = False
            if type(out) is not tuple:
                out = (out,)
        else:
            out = _node_on_tensors(node, grads, claimed)
    if not retain_graph:
        node._release()
    i = 0  # (a counter, not enumerate: this runs for every edge of every node)
    for edge in node._edges:
        if edge is not None:
            target = edge[0]
            if out is not None:
                g = out[i]
                if g is not None:
                    if g.shape != edge[2] or g.dtype != edge[3]:
                        g = _conform_array(node, i, g)
                    buf = buffers.get(target)  # (_add_to_buffer, inlined)
                    if buf is None:
                        buf = buffers[target] = [None] * edge[4]
                    nr = edge[1]
                    prev = buf[nr]
                    buf[nr] = g if prev is None else prev + g
            left = deps[target] - 1
            deps[target] = left
            if left == 0:
                ready.append(target)
        i += 1


def _node_on_tensors(node, grads, claimed) -> list:
    """A node of the plain walk that needs Tensors: hooks or ``retain_grad()`` on its
    outputs, several outputs, or a backward written with Tensor ops (a user's Function).
    Its gradients are wrapped, it runs as on the general walk, and its results are checked
    and unwrapped."""
    meta = node._output_meta
    grads = [None if g is None else Tensor._make(g, meta[nr][2]) for nr, g in enumerate(grads)]
    if node._watch:
        _run_watched(node, grads, None, False, claimed)
    out = _call_backward(node, grads, False)
    if not node._builtin:
        # a user's backward may return arrays it keeps: never adopt those
        claimed.update(id(_owner(g)) for g in out if isinstance(g, Tensor))
    arrays = []
    for i, edge in enumerate(node._edges):
        g = out[i]
        if edge is not None and g is not None:
            _check_gradient(node, i, g)
            g = g._data
        arrays.append(g)
    return arrays


def _leaf_on_arrays(leaf: Tensor, a, claimed) -> None:
    """``leaf.grad += a`` on the plain walk, after the leaf's hooks."""
    if leaf._hooks:
        g = Tensor._make(a, leaf._device)
        claimed.add(id(_owner(g)))  # a hook may keep what it is given, or return its own
        g = _run_hooks(leaf._hooks, g)
        claimed.add(id(_owner(g)))
        a = g._data
    _accumulate_array(leaf, a, claimed)


def _ready_roots(targets, deps, useful=None) -> list:
    """The roots no other root leads to, each once (and, with `useful`, only those on it):
    where the walk starts."""
    ready = []
    for target, _ in targets:
        if deps.get(target, 0) == 0 and all(target is not r for r in ready) and \
                (useful is None or id(target) in useful):
            ready.append(target)
    return ready


def _key(edge):
    return (id(edge[0]), edge[1])


def _count_dependencies(start) -> dict:
    """How many edges lead into each node and leaf reachable from `start` (keys by identity:
    both hash by address, so a Tensor's elementwise ``__eq__`` is never called)."""
    deps: dict = {}
    roots = {id(n) for n in start}
    # once per node: two roots can be outputs of the same node (its edges count once)
    stack = list({id(n): n for n in start if isinstance(n, BackwardNode)}.values())
    while stack:
        node = stack.pop()
        for edge in node._edges:
            if edge is not None:
                target = edge[0]
                if target in deps:
                    deps[target] += 1
                else:  # reached for the first time: walk on from it
                    deps[target] = 1
                    if isinstance(target, BackwardNode) and id(target) not in roots:
                        stack.append(target)
    return deps


def _leading_to(start, wanted: set) -> set:
    """The ids of the nodes and leaves, reachable from `start`, from which a node or leaf
    whose id is in `wanted` can be reached (those included): the part of the graph that
    ``autograd.grad`` / ``backward(inputs=...)`` runs. Nodes off it are not run — their
    hooks do not fire, their saved tensors stay for a later backward — as in PyTorch.
    An iterative depth-first walk: a node is decided once all its targets are."""
    def targets(node):
        if isinstance(node, Tensor):
            return []
        return [edge[0] for edge in node._edges if edge is not None]

    useful, done = set(), set()
    for root in start:
        if id(root) in done:
            continue
        stack = [(root, iter(targets(root)))]
        while stack:
            node, pending = stack[-1]
            for t in pending:
                if id(t) not in done:
                    stack.append((t, iter(targets(t))))
                    break
            else:
                stack.pop()
                done.add(id(node))
                if id(node) in wanted or any(id(t) in useful for t in targets(node)):
                    useful.add(id(node))
    return useful


def _add_to_buffer(buffers: dict, target, nr: int, g) -> None:
    """Keep gradient `g` (conformed: the shape and dtype of output `nr` of `target`) until
    `target` runs; a second one for the same output is added to it."""
    buf = buffers.get(target)
    if buf is None:
        n = len(target._output_meta) if isinstance(target, BackwardNode) else 1
        buf = buffers[target] = [None] * n
    buf[nr] = g if buf[nr] is None else _sum(buf[nr], g)


def _sum(a, b):
    """Two gradients for one output: ``a + b`` (arrays on the plain walk; Tensors on the
    general one, on their arrays when no graph is recorded)."""
    if not isinstance(a, Tensor):
        return a + b
    x, y = a._data, b._data
    if (not _grad_state.enabled and x.shape == y.shape and x.dtype == y.dtype
            and a._device is b._device and not a._device.index):
        return Tensor._make(x + y, a._device)
    return a + b


def _run_hooks(hooks: dict, g: Tensor) -> Tensor:
    """A tensor's hooks in registration order; each sees the previous one's result. A hook
    may return None (keep the gradient) or a Tensor of the same shape, dtype and device."""
    for hook in list(hooks.values()):
        new = hook(g)
        if new is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(new, Tensor):
            raise TypeError(f"expected Tensor, but hook {name!r} returned "
                            f"{type(new).__name__!r}")
        if new._data.shape != g._data.shape:
            raise RuntimeError(f"hook {name!r} has changed the size of value (was "
                               f"{list(g.shape)} got {list(new.shape)})")
        if new._data.dtype != g._data.dtype or new._device is not g._device:
            raise RuntimeError(f"hook {name!r} has changed the type of value (was {g.dtype} "
                               f"on {g.device} got {new.dtype} on {new.device})")
        g = new
    return g


def _accumulate_grad(tensor: Tensor, g: Tensor, create_graph: bool, claimed=None) -> None:
    """``tensor.grad += g``: in place when no graph is kept, otherwise recorded.

    `g` has the tensor's shape, dtype and device (the engine conformed it, hooks' results
    and root gradients are checked), so ``.grad``'s own checks are skipped here.
    """
    if create_graph:
        tensor.grad = g if tensor._grad is None else tensor._grad + g
    else:
        _accumulate_array(tensor, g._data, claimed)


def _accumulate_array(tensor: Tensor, a, claimed) -> None:
    """``tensor.grad += a`` in place, for an array `a` of the tensor's shape, dtype and device.

    Users update ``.grad`` in place (clip_grad_norm_, the next backward's ``+=``), so a first
    gradient must own its memory: `a` itself when nothing else can reach it (`_adopt`), else
    a copy.
    """
    device = tensor._device
    grad = tensor._grad
    if grad is None:
        if not _adopt(a, device.backend, claimed):
            with device_guard(device):
                a = a.copy()
        tensor._grad = Tensor._make(a, device)
    else:
        with device_guard(device):
            grad._data += a
        grad._version_counter.value += 1


def _owner(g: Tensor):
    return g._device.backend.owner(g._data)


def _adopt(a, backend, claimed) -> bool:
    """May a leaf keep array `a` as its ``.grad``, saving a copy (PyTorch steals it too)?

    Only when nothing else can reach that memory: it is a whole, writable, contiguous array
    that no leaf has taken yet and that the caller, a hook or a user's ``Function`` never
    saw (`claimed` holds those owners, by identity). Built-in backward formulas return
    fresh arrays or views of their incoming gradient, and never write into their inputs.
    """
    if claimed is None:
        return False
    if not (a.flags.c_contiguous and backend.is_writable(a)):
        return False
    owner = backend.owner(a)
    if getattr(owner, "size", -1) != a.size or id(owner) in claimed:
        return False
    claimed.add(id(owner))
    return True


def _deliver_to_leaf(leaf: Tensor, g: Tensor, capture, create_graph: bool, claimed) -> None:
    if leaf._hooks:
        claimed.add(id(_owner(g)))  # a hook may keep what it is given, or return its own
        g = _run_hooks(leaf._hooks, g)
        claimed.add(id(_owner(g)))
    if capture is not None:
        key = (id(leaf), 0)
        if key in capture:
            capture[key] = g
        return
    _accumulate_grad(leaf, g, create_graph, claimed)


def _run_node(node, grads, buffers, deps, ready, capture, retain_graph, create_graph, claimed,
              useful=None):
    if useful is not None and not any(edge is not None and id(edge[0]) in useful
                                      for edge in node._edges):
        # a requested non-leaf input whose own inputs are not needed: capture, do not run
        if grads is not None:
            for nr, g in enumerate(grads):
                if (id(node), nr) in capture:
                    capture[(id(node), nr)] = g
        return
    in_grads = None
    if grads is not None:
        if node._watch:
            _run_watched(node, grads, capture, create_graph, claimed)
        if capture is not None:
            for nr, g in enumerate(grads):
                key = (id(node), nr)
                if key in capture:
                    capture[key] = g
        # (a node is recorded only when an input needs a gradient: it has an edge)
        if node.device.index:
            with device_guard(node.device):
                in_grads = _call_backward(node, grads, create_graph)
        else:
            in_grads = _call_backward(node, grads, create_graph)
        if not node._builtin:
            # a user's backward may return arrays it keeps: never adopt those
            claimed.update(id(_owner(g)) for g in in_grads if isinstance(g, Tensor))
    if not retain_graph:
        node._release()

    for i, edge in enumerate(node._edges):
        if edge is None or useful is not None and id(edge[0]) not in useful:
            continue
        target, nr = edge[0], edge[1]
        g = in_grads[i] if in_grads is not None else None
        if g is not None:
            _add_to_buffer(buffers, target, nr, _conform(node, i, g))
        deps[target] -= 1
        if deps[target] == 0:
            ready.append(target)


def _run_watched(node, grads: list, capture, create_graph: bool, claimed) -> None:
    """The hooks of the node's output tensors (each output's gradient replaced by what they
    return) — kept by the node, so they run even if the tensor is gone — and ``.grad`` for
    those that called ``retain_grad()`` and still exist."""
    for nr, (hooks, ref) in node._watch.items():
        if grads[nr] is None:
            continue
        if hooks:
            claimed.add(id(_owner(grads[nr])))
            grads[nr] = _run_hooks(hooks, grads[nr])
            claimed.add(id(_owner(grads[nr])))
        t = ref()
        if t is not None and t._retains_grad and capture is None:
            _accumulate_grad(t, grads[nr], create_graph, claimed)


def _call_backward(node, grads, create_graph):
    fn = node._forward_cls
    if create_graph and fn._once_differentiable:
        raise RuntimeError(f"{node.name()}: this fused op computes its backward on raw arrays "
                           "and cannot record it; create_graph=True is not supported through "
                           f"{fn.__name__}")
    for nr, g in enumerate(grads):
        if g is None and node.materialize_grads and node._output_meta[nr] is not None:
            # an output that received no gradient contributes zeros
            shape, dtype, device = node._output_meta[nr]
            with device_guard(device):
                grads[nr] = Tensor._make(device.backend.xp.zeros(shape, dtype), device)
    if fn._array_backward and not create_graph:
        out = _backward_on_arrays(node, grads)
    else:
        out = fn.backward(node, *grads)
        if not isinstance(out, tuple):
            out = (out,)
    n = len(node._edges)
    if len(out) != n and (len(out) < n or any(g is not None for g in out[n:])):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(out)})")
    if not node._builtin:
        for i, g in enumerate(out[:n]):
            if g is not None and node._edges[i] is None and not node._tensor_args[i]:
                raise RuntimeError(f"function {node.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Tensor")
    if _anomaly._state.enabled:
        _anomaly.check_gradients(node, out)
    return out


def _backward_on_arrays(node, grads) -> tuple | list:
    """Run a built-in formula (`Function._array_backward`) on the gradients' arrays and wrap
    its results: the same formula, without the bookkeeping of Tensor ops nothing records."""
    arrays = []  # (loops, not comprehensions: each of those is a function call in 3.11)
    for g in grads:
        arrays.append(None if g is None else g._data)
    node._on_arrays = True
    try:
        out = node._forward_cls.backward(node, *arrays)
    finally:
        node._on_arrays = False
    device = node.device
    if type(out) is not tuple:
        return (Tensor._make(out, device),)
    wrapped = []
    for a in out:
        wrapped.append(None if a is None else Tensor._make(a, device))
    return wrapped


def _check_gradient(node, i: int, g) -> None:
    """A gradient a backward formula returned for argument `i`: a Tensor on the node's device."""
    if not isinstance(g, Tensor):
        raise TypeError(f"{node.name()}: backward must return Tensors or None, got "
                        f"{type(g).__name__} for argument {i}")
    if g._device is not node.device:
        raise RuntimeError(f"{node.name()}: backward returned a gradient on {g._device} for "
                           f"argument {i}, which lives on {node.device}")


def _conform(node, i: int, g) -> Tensor:
    """Reduce a gradient to its input's shape (undoing broadcasting) and dtype; check both."""
    _check_gradient(node, i, g)
    edge = node._edges[i]
    shape, dtype = edge[2], edge[3]
    if g._data.shape != shape:
        g = sum_to(g, shape)
        if g._data.shape != shape:
            _wrong_shape(node, i, g._data.shape, shape)
    if g._data.dtype != dtype:
        g = g.to(dtype=from_numpy_dtype(dtype))
    return g


def _conform_array(node, i: int, a):
    """`_conform` on the plain walk, for a built-in formula's array result."""
    shape, dtype = node._edges[i][2], node._edges[i][3]
    if a.shape != shape:
        a = sum_to(a, shape)
        if a.shape != shape:
            _wrong_shape(node, i, a.shape, shape)
    if a.dtype != dtype:
        a = a.astype(dtype)
    return a


def _wrong_shape(node, i: int, got, shape):
    raise RuntimeError(f"{node.name()}: backward returned a gradient of shape {tuple(got)} "
                       f"for argument {i} of shape {tuple(shape)}")


def sum_to(g, shape):
    """Sum `g` (a Tensor or an array) over the dimensions broadcasting added or stretched,
    to get `shape` back.

    Leaves `g` unchanged when `shape` cannot be a broadcast of it (the caller reports).
    """
    lead = g.ndim - len(shape)
    if lead < 0:
        return g
    dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    if dims:
        g = g.sum(dims, keepdim=True) if isinstance(g, Tensor) else g.sum(dims, keepdims=True)
    if lead:
        g = g.reshape(shape) if g.shape[lead:] == tuple(shape) else g
    return g

