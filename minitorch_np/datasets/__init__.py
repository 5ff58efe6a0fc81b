"""``minitorch_np.datasets``: image-classification datasets held as host arrays.

``MNIST5k`` ships inside the package (the offline default); ``MNIST``, ``FashionMNIST`` (IDX
files) and ``CIFAR10`` (python pickle batches, read with a restricted unpickler) read
torchvision's file layout under ``root`` and can download the official files. ``describe``
is lecture 004's data exploration.
"""
from .cifar import CIFAR10
from .exploration import describe
from .mnist import MNIST, FashionMNIST
from .mnist5k import MNIST5k
from .vision import VisionDataset

__all__ = ["MNIST5k", "MNIST", "FashionMNIST", "CIFAR10", "VisionDataset", "describe"]
