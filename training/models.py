"""The paper's two architectures, in PyTorch.

* `MiniXception`: two 3x3 convs (8 channels), four residual modules of depthwise-separable 3x3 convs
  (16/32/64/128 channels) with a strided 1x1 conv shortcut, BatchNorm + ReLU, a last 3x3 conv to the
  classes, global average pooling, no fully connected layer (~58k parameters for 7 classes).
* `SequentialFCN`: the paper's "sequential fully-convolutional" baseline (oarriaga's `simple_CNN`):
  9 conv layers + BN + ReLU + average pooling + dropout, last conv to the classes, global average
  pooling (~640k parameters for 7 classes; "approximately 600,000" in the paper).

Both return logits; the softmax is added at export time (see `training/export.py`). `ARCHITECTURES`
names them for `--arch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


class TFSameMaxPool2d(nn.Module):
    """3x3/stride-2 max-pool with TensorFlow 'same' padding (extra padding at bottom/right).

    Used to reproduce the Keras anchor models exactly. Our own models use `nn.MaxPool2d(3, 2, 1)`,
    which gives the same output size but pads symmetrically.
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pads = []
        for n in (w, h):
            out = -(-n // self.stride)
            total = max((out - 1) * self.stride + self.kernel_size - n, 0)
            pads += [total // 2, total - total // 2]
        x = F.pad(x, pads, value=float("-inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)


class SeparableConv2d(nn.Sequential):
    """Keras SeparableConv2D (depth multiplier 1, 'same', no bias): depthwise 3x3 then pointwise 1x1."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3):
        super().__init__()
        self.depthwise = nn.Conv2d(
            in_ch, in_ch, kernel_size, padding=kernel_size // 2, groups=in_ch, bias=False
        )
        self.pointwise = nn.Conv2d(in_ch, out_ch, 1, bias=False)


class ResidualModule(nn.Module):
    """sepconv-BN-ReLU-sepconv-BN-maxpool(3, stride 2), plus a 1x1 stride-2 conv + BN shortcut."""

    def __init__(self, in_ch: int, out_ch: int, bn_eps: float = 1e-5, tf_pool: bool = False):
        super().__init__()
        self.shortcut = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 1, stride=2, bias=False), nn.BatchNorm2d(out_ch, eps=bn_eps)
        )
        self.sep1 = SeparableConv2d(in_ch, out_ch)
        self.bn1 = nn.BatchNorm2d(out_ch, eps=bn_eps)
        self.relu = nn.ReLU()
        self.sep2 = SeparableConv2d(out_ch, out_ch)
        self.bn2 = nn.BatchNorm2d(out_ch, eps=bn_eps)
        self.pool = TFSameMaxPool2d() if tf_pool else nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.shortcut(x)
        x = self.relu(self.bn1(self.sep1(x)))
        x = self.pool(self.bn2(self.sep2(x)))
        return x + residual


class MiniXception(nn.Module):
    """The paper's mini-Xception (Fig. 4). Input (N, 1, S, S); output logits (N, num_classes)."""

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 1,
        bn_eps: float = 1e-5,
        tf_pool: bool = False,
        widths=(16, 32, 64, 128),
        head_kernel: int = 3,
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 8, 3, bias=False),
            nn.BatchNorm2d(8, eps=bn_eps),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, bias=False),
            nn.BatchNorm2d(8, eps=bn_eps),
            nn.ReLU(),
        )
        modules, ch = [], 8
        for width in widths:
            modules.append(ResidualModule(ch, width, bn_eps, tf_pool))
            ch = width
        self.modules_ = nn.Sequential(*modules)
        # last conv: one map per class (3x3 as in the paper; 1x1 for the age head's many bins)
        self.classifier = nn.Conv2d(ch, num_classes, head_kernel, padding=head_kernel // 2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.classifier(self.modules_(self.stem(x)))
        return torch.flatten(self.pool(x), 1)


class SequentialFCN(nn.Module):
    """The paper's sequential fully-convolutional baseline (no FC layer)."""

    def __init__(self, num_classes: int, in_channels: int = 1, dropout: float = 0.5):
        super().__init__()

        def block(cin, cout, k):
            return [
                nn.Conv2d(cin, cout, k, padding=k // 2),
                nn.BatchNorm2d(cout),
                nn.Conv2d(cout, cout, k, padding=k // 2),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.AvgPool2d(2, ceil_mode=True),
                nn.Dropout(dropout),
            ]

        layers = block(in_channels, 16, 7) + block(16, 32, 5) + block(32, 64, 3) + block(64, 128, 3)
        layers += [
            nn.Conv2d(128, 256, 3, padding=1),
            nn.BatchNorm2d(256),
            nn.Conv2d(256, num_classes, 3, padding=1),
        ]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.features(x)), 1)


@dataclass(frozen=True)
class Architecture:
    """How to build one network for `num_outputs` outputs; `compact` builds it with a cheaper
    last conv for heads of many outputs (the age bins: a 3x3 conv to 59 bins alone would take
    68k parameters), where the architecture has one."""

    build: Callable[[int], nn.Module]
    title: str  # how a model card names it
    compact: Callable[[int], nn.Module] | None = None


# `--arch` names; a new architecture is a new entry
ARCHITECTURES = {
    "mini_xception": Architecture(
        MiniXception, "Mini-Xception", lambda n: MiniXception(n, head_kernel=1)
    ),
    "sequential_fcn": Architecture(SequentialFCN, "The sequential fully-convolutional baseline"),
}


def build_model(arch: str, num_outputs: int, compact_head: bool = False) -> nn.Module:
    """The network `arch` with `num_outputs` outputs; `compact_head`: its compact variant if any."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture '{arch}', choose from {sorted(ARCHITECTURES)}")
    entry = ARCHITECTURES[arch]
    build = entry.compact if compact_head and entry.compact is not None else entry.build
    return build(num_outputs)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def multiply_adds(model: nn.Module, input_size: int) -> int:
    """Multiply-accumulates of one forward pass on one gray input_size x input_size face: torch's
    own FLOP counter (convolutions and matrix products, 2 FLOPs per multiply-add; BatchNorm,
    activations and pooling, which it leaves out, are a few percent here)."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 1, input_size, input_size))
    model.train(was_training)
    return counter.get_total_flops() // 2


def last_conv(model: nn.Module) -> nn.Conv2d:
    """The last conv layer (the one whose units guided back-propagation visualises)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1]


if __name__ == "__main__":
    from training.tasks import TASKS

    for arch in ARCHITECTURES:
        for task in TASKS.values():
            n, size = task.default_outputs, task.image_sets[2]
            model = task.build_model(arch, n)
            print(
                f"{arch:15s} {task.name:8s} {count_parameters(model):>9,d} parameters, "
                f"{multiply_adds(model, size) / 1e6:6.1f} M multiply-adds at {size}x{size} "
                f"({n} {task.output_kind})"
            )
