"""``minitorch_np.transforms``: torchvision's image transforms on NumPy images and tensors,
without PIL.

``transforms.py`` holds the classes (``Compose``, ``ToTensor``, ``Normalize``, ``RandomCrop``,
``RandomHorizontalFlip``, ``RandomAffine``, ``Resize``, ``Grayscale``, ``Lambda``, ...),
``functional.py`` the functions they call, ``_image.py`` the index-map sampling underneath.
"""
from . import functional
from ._image import InterpolationMode
from .transforms import (
                         CenterCrop,
                         Compose,
                         Grayscale,
                         Lambda,
                         Normalize,
                         Pad,
                         RandomAffine,
                         RandomCrop,
                         RandomHorizontalFlip,
                         RandomRotation,
                         RandomVerticalFlip,
                         Resize,
                         ToTensor,
)

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomCrop", "CenterCrop", "Pad",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomAffine", "RandomRotation",
           "Resize", "Grayscale", "InterpolationMode", "functional"]
