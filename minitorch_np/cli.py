"""The ``minitorch-np`` command (also ``python -m minitorch_np``).

``minitorch-np train`` trains the lectures' MLP (784-400-256-10, lecture 003) on MNIST5k —
the 5000 MNIST digits shipped with the package, split 4000/1000 with the class proportions
kept — showing a progress bar and lecture 004's per-epoch lines, then saves the learning
curves (when matplotlib is there) and a checkpoint, and prints the test accuracy. Options
choose the network, optimizer, schedule, dataset and device; ``minitorch-np train --help``
lists them.

``minitorch-np info`` prints the version, the backends and devices, and the BLAS NumPy uses.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]

# per-channel mean and standard deviation of the training images, scaled to [0, 1]
STATS = {
    "mnist5k": ((0.1307,), (0.3081,)),   # MNIST's, as everyone normalises it
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.49139968, 0.48215841, 0.44653091),   # lecture 004, "Data exploration"
                (0.24703223, 0.24348513, 0.26158784)),
}
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}


# ==============================================================================================
# the parser
# ==============================================================================================
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minitorch-np",
        description="minitorch_np: a deep-learning framework written from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train", help="train a network (default: the lectures' MLP on MNIST5k)",
        description="Train a network and report its test accuracy. With no option: the "
                    "lectures' MLP 784-400-256-10 on MNIST5k (4000 training / 1000 test "
                    "images), SGD with momentum and a cosine schedule, 20 epochs.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    what = train.add_argument_group("what to train")
    what.add_argument("--model", choices=("mlp", "convnet", "resnet"), default="mlp",
                      help="mlp: 784-400-256-10 with ReLU (lecture 003); convnet: the MNIST "
                           "conv net of lecture 000; resnet: ResNet-20 (--depth)")
    what.add_argument("--depth", type=int, default=20, help="ResNet depth, 6n+2")
    what.add_argument("--dataset", choices=tuple(STATS), default="mnist5k",
                      help="mnist5k ships with the package; the others are read from --root")
    what.add_argument("--root", default="data",
                      help="folder holding MNIST/, FashionMNIST/ or cifar-10-batches-py/")
    what.add_argument("--download", action="store_true",
                      help="download the dataset into --root if it is missing")
    what.add_argument("--limit", type=int, default=None, metavar="N",
                      help="train on a stratified subset of N training images")
    what.add_argument("--val-fraction", type=float, default=0.0, metavar="F",
                      help="hold out this fraction of the training set (stratified) to "
                           "evaluate each epoch on; 0: evaluate each epoch on the test set")

    how = train.add_argument_group("how to train")
    how.add_argument("--optimizer", choices=tuple(DEFAULT_LR), default="sgd")
    how.add_argument("--lr", type=float, default=None,
                     help="learning rate (default: 0.1 for sgd, 1e-3 for the others)")
    how.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    how.add_argument("--weight-decay", type=float, default=0.0)
    how.add_argument("--label-smoothing", type=float, default=0.1,
                     help="of the cross-entropy loss")
    how.add_argument("--schedule", choices=("none", "cosine", "step", "onecycle"),
                     default="cosine",
                     help="cosine: CosineAnnealingLR over the epochs; step: StepLR(10, 0.5) "
                          "(lecture 004); onecycle: OneCycleLR peaking at --lr")
    how.add_argument("--epochs", type=int, default=20,
                     help="epochs in all (with --resume: including those already done)")
    how.add_argument("--batch-size", type=int, default=100)
    how.add_argument("--accumulate", default="1", metavar="K",
                     help="update once every K batches, or 'epoch' (lecture 003's rules)")
    how.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                     help="stop after PATIENCE epochs without a lower eval_loss and restore "
                          "the best weights")
    how.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, fakegpu")
    how.add_argument("--seed", type=int, default=0)

    out = train.add_argument_group("output")
    out.add_argument("--out", default=os.path.join("runs", "minitorch-np"), metavar="DIR",
                     help="where checkpoint.safetensors and curves.png go")
    out.add_argument("--resume", default=None, metavar="CHECKPOINT",
                     help="continue the run saved in this checkpoint (same options)")
    out.add_argument("--no-plot", action="store_true", help="do not draw curves.png")
    bar = out.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show the progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="never show it (default: only on a terminal)")
    train.set_defaults(func=cmd_train)

    info = commands.add_parser("info", help="version, backends, devices and BLAS")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``minitorch-np`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"minitorch-np {args.command}: error: {e}", file=sys.stderr)
        return 1


# ==============================================================================================
# minitorch-np train
# ==============================================================================================
def load_datasets(name: str, root: str, download: bool):
    """The raw training and test datasets (uint8 images, int labels)."""
    from . import datasets
    if name == "mnist5k":
        return datasets.MNIST5k(train=True), datasets.MNIST5k(train=False)
    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST,
           "cifar10": datasets.CIFAR10}[name]
    try:
        return (cls(root, train=True, download=download),
                cls(root, train=False, download=download))
    except (RuntimeError, FileNotFoundError) as e:
        if download:
            raise
        raise type(e)(f"{e} (here: add --download, or point --root at the files)") from e


def preprocess(dataset, stats, flatten: bool):
    """A ``TensorDataset`` of the whole dataset, preprocessed at once (no per-sample
    transform): images scaled to [0, 1], normalised per channel, as (N, C, H, W) or, for an
    MLP, (N, C·H·W); labels as int64."""
    import minitorch_np as torch

    from .utils.data import TensorDataset
    images = torch.as_tensor(dataset.data)
    labels = torch.as_tensor(dataset.targets).long()
    if images.ndim == 3:                      # (N, H, W) grey → (N, 1, H, W)
        images = images.unsqueeze(1)
    else:                                     # (N, H, W, C) → (N, C, H, W)
        images = images.permute(0, 3, 1, 2)
    mean, std = (torch.tensor(v).reshape(1, -1, 1, 1) for v in stats)
    images = images.float()                   # one float32 copy, then in place
    images.div_(255.0).sub_(mean).div_(std)
    if flatten:
        images = images.reshape(images.shape[0], -1)
    return TensorDataset(images.contiguous(), labels)


def build_net(args, in_shape: tuple[int, ...]):
    from . import models
    channels, height, width = in_shape
    if args.model == "mlp":
        return models.MLP([channels * height * width, 400, 256, 10])
    if args.model == "convnet":
        if in_shape != (1, 28, 28):
            raise ValueError(f"--model convnet is the MNIST network: it takes 1×28×28 images, "
                             f"and {args.dataset} has {channels}×{height}×{width}")
        return models.ConvNet()
    return models.ResNet(depth=args.depth, num_classes=10, in_channels=channels)


def build_optimizer(args, params):
    from . import optim
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    if args.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=args.momentum,
                             weight_decay=args.weight_decay)
    cls = optim.Adam if args.optimizer == "adam" else optim.AdamW
    return cls(params, lr=lr, weight_decay=args.weight_decay)


def build_scheduler(args, optimizer, steps_per_epoch: int):
    from .optim import lr_scheduler
    if args.schedule == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    if args.schedule == "step":
        return lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    if args.schedule == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"],
                                       total_steps=args.epochs * steps_per_epoch)
    return None


def cmd_train(args) -> int:
    import minitorch_np as torch

    from . import nn
    from .training import EarlyStopping, Model
    from .utils.data import DataLoader, stratified_split

    _check_train_args(args)
    accumulate = args.accumulate if args.accumulate == "epoch" else int(args.accumulate)
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    split_generator = torch.Generator().manual_seed(args.seed)

    raw_train, raw_test = load_datasets(args.dataset, args.root, args.download)
    flatten = args.model == "mlp"
    train_set = preprocess(raw_train, STATS[args.dataset], flatten)
    test_set = preprocess(raw_test, STATS[args.dataset], flatten)
    if args.limit is not None and args.limit < len(train_set):
        train_set = stratified_split(train_set, [args.limit, len(train_set) - args.limit],
                                     generator=split_generator)[0]
    eval_set, eval_name = test_set, "test"
    if args.val_fraction > 0:
        train_set, eval_set = stratified_split(
            train_set, [1 - args.val_fraction, args.val_fraction], generator=split_generator)
        eval_name = "validation"
    in_shape = tuple(raw_train.data.shape[1:])
    in_shape = (1, *in_shape) if len(in_shape) == 2 else (in_shape[2], in_shape[0], in_shape[1])

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    eval_loader = DataLoader(eval_set, batch_size=1000)
    test_loader = DataLoader(test_set, batch_size=1000)

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: CUDA is not available (is CuPy installed and is "
                           "there a GPU?); `minitorch-np info` shows what was found")
    net = build_net(args, in_shape).to(device)
    optimizer = build_optimizer(args, net.parameters())
    scheduler = build_scheduler(args, optimizer, len(train_loader))
    model = Model(net, device=device).compile(
        optimizer, nn.CrossEntropyLoss(label_smoothing=args.label_smoothing),
        scheduler=scheduler)

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.safetensors")
    if args.resume:
        model.load_checkpoint(args.resume)
        print(f"resumed from {args.resume} after epoch {model.epoch}")
    n_params = sum(p.numel() for p in net.parameters())
    group = optimizer.param_groups[0]
    print(f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(train_set)} training"
          f", {len(eval_set)} {eval_name} images; {type(optimizer).__name__} lr "
          f"{group.get('initial_lr', group['lr']):g}, {args.schedule} schedule, batch "
          f"{args.batch_size}, device {device}", flush=True)

    early_stopping = (EarlyStopping(patience=args.early_stopping)
                      if args.early_stopping is not None else None)
    fit_start = time.perf_counter()
    model.fit(train_loader, eval_loader, epochs=max(args.epochs - model.epoch, 0),
              early_stopping=early_stopping, accumulate=accumulate, seed=args.seed,
              checkpoint=checkpoint, progress=args.progress)
    fit_seconds = time.perf_counter() - fit_start
    if model.epoch == 0:  # nothing trained (e.g. --epochs 0): still leave a checkpoint
        model.save_checkpoint(checkpoint)

    if not args.no_plot and len(model.history.epoch) > 0:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("matplotlib is not installed: no curves.png (pip install matplotlib)")
        else:
            curves = os.path.join(args.out, "curves.png")
            model.history.plot(curves, title=f"{args.model} on {args.dataset}")
            print(f"learning curves: {curves}")
    print(f"checkpoint: {checkpoint}")
    logs = model.evaluate(test_loader, verbose=False, progress=False)
    n_test = len(test_set)
    correct = round(logs["eval_acc"] * n_test)
    print(f"test accuracy {logs['eval_acc']:.4f} ({correct}/{n_test}), test loss "
          f"{logs['eval_loss']:.4f}; training {fit_seconds:.1f} s, total "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    return 0


def _check_train_args(args) -> None:
    if args.epochs < 0:
        raise ValueError(f"--epochs must be >= 0, got {args.epochs}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.limit is not None and args.limit < 10:
        raise ValueError(f"--limit must be at least 10 (one image per class), got {args.limit}")
    if not 0 <= args.val_fraction < 1:
        raise ValueError(f"--val-fraction must be in [0, 1), got {args.val_fraction}")
    if args.accumulate != "epoch" and not (args.accumulate.isdigit()
                                           and int(args.accumulate) >= 1):
        raise ValueError(f"--accumulate must be a positive int or 'epoch', got "
                         f"{args.accumulate!r}")
    if args.model == "resnet" and (args.depth < 8 or (args.depth - 2) % 6):
        raise ValueError(f"--depth must be 6n+2 (20, 32, 44, ...), got {args.depth}")


# ==============================================================================================
# minitorch-np info
# ==============================================================================================
def cmd_info(args) -> int:
    import numpy as np

    import minitorch_np as torch

    from .backends import get_backend

    print(f"minitorch_np {torch.__version__} ({os.path.dirname(os.path.abspath(torch.__file__))})")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.platform()}")
    print(f"NumPy {np.__version__}")
    print("backends:")
    print(f"  cpu      NumPy {np.__version__}: device cpu ({os.cpu_count()} cores)")
    cuda = get_backend("cuda")
    cupy_version = _dist_version("cupy") or _dist_version("cupy-cuda12x") \
        or _dist_version("cupy-cuda11x")
    if cuda.is_available():
        n = cuda.device_count()
        names = ", ".join(f"cuda:{i}" for i in range(n))
        print(f"  cuda     CuPy {cupy_version or '?'}: {n} device(s): {names}")
    else:
        why = "CuPy not installed" if cupy_version is None and not _importable("cupy") \
            else "CuPy installed, no GPU visible"
        print(f"  cuda     unavailable ({why})")
    fake = get_backend("fakegpu")
    print(f"  fakegpu  NumPy behind a CuPy-like wrapper, for tests: "
          f"{fake.device_count()} devices (fakegpu:0 ...)")
    print("BLAS:")
    for line in _blas_lines():
        print(f"  {line}")
    print("optional packages:")
    for dist in ("tqdm", "matplotlib", "threadpoolctl", "safetensors", "torch"):
        print(f"  {dist:<14}{_dist_version(dist) or 'not installed'}")
    return 0


def _blas_lines() -> list[str]:
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        lines = []
        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") != "blas":
                continue
            kernel = info.get("architecture") or info.get("corename")
            lines.append(f"{info.get('internal_api')} {info.get('version') or ''}, "
                         f"{info.get('num_threads')} threads"
                         + (f", kernel {kernel}" if kernel else ""))
        if lines:
            return lines
    import numpy as np
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return [f"{blas.get('name')} {blas.get('version', '')} (install threadpoolctl for the "
                f"threads and kernel)"]
    except Exception:  # noqa: BLE001 - an older NumPy without mode='dicts'
        return ["unknown (install threadpoolctl)"]


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _version() -> str:
    try:
        from . import __version__
        return __version__
    except ImportError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
