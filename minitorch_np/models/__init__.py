"""Ready-made networks from the lectures (``minitorch_np.models``).

* `MLP`: a fully connected network, with optional dropout and batch normalization
  (lectures 000 and 004);
* `ConvNet`: the lecture's MNIST convolutional network (lecture 000, "Full example");
* `BasicBlock` and `ResNet`: He et al.'s residual networks for 32×32 images (lecture 000,
  "Residual networks").

They are ordinary ``nn.Module``s built from ``minitorch_np.nn`` layers, with the parameter
names PyTorch gives the same architecture.
"""
from .convnet import ConvNet
from .mlp import MLP
from .resnet import BasicBlock, ResNet

__all__ = ["MLP", "ConvNet", "BasicBlock", "ResNet"]
