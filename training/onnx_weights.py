"""The PyTorch network inside an exported head (models/*.onnx), for the tools that need its
gradients (training/guided_backprop.py): the shipped heads have no checkpoint any more.

`load_network(path)` builds the architecture of training/models.py whose convolutions fit the
file's, folds its BatchNorms into the convolutions that feed them (what the exporter's constant
folding did), and copies the file's conv weights and biases in. The mapping is written out here
rather than taken from a converter: the project has no onnx2torch dependency, and for our two
architectures it is a few lines: the Conv nodes of the file's plain pass, in graph order, are the
network's nn.Conv2d in the order its forward() calls them, and nothing else in these graphs holds
parameters. A flip test-time-augmentation graph (training/flip_graph.py) runs the same
convolutions again on the flipped faces; only its plain pass is read.

`file_probs` computes from that network what the file computes, flip averaging included.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from face_analysis.core.errors import ModelError
from face_analysis.core.preprocess import METADATA_PREFIX, PreprocessSpec
from training.flip_graph import FLIP_KEY, MARGIN_KEY, has_flip, plain_network
from training.models import ARCHITECTURES

PARITY_TOL = 1e-4  # max |PyTorch - onnxruntime| probability, as training/export.py checks


def _layout(node: onnx.NodeProto) -> tuple:
    """(group, strides, pads, dilations) of a 2-D Conv node, with ONNX's defaults."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    return (
        attrs.get("group", 1),
        tuple(attrs.get("strides", (1, 1))),
        tuple(attrs.get("pads", (0, 0, 0, 0))),
        tuple(attrs.get("dilations", (1, 1))),
    )


def _torch_layout(conv: nn.Conv2d) -> tuple:
    return conv.groups, conv.stride, conv.padding * 2, conv.dilation


def file_convs(model: onnx.ModelProto, source: str) -> list[tuple[tuple, np.ndarray, np.ndarray]]:
    """(layout, weight, bias or None) of each Conv node of the plain pass, in graph order. The
    exporter stores a tensor once and reaches repeats through Identity nodes (the zero biases of
    an untrained network are one initializer), so names are followed to their initializer."""
    graph = plain_network(model).graph
    tensors = {t.name: t for t in graph.initializer}
    aliases = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}

    def value(name: str) -> np.ndarray:
        while name in aliases:
            name = aliases[name]
        if name not in tensors:
            raise ModelError(f"{source}: conv parameter '{name}' is not a constant of the graph")
        return numpy_helper.to_array(tensors[name])

    convs = []
    for node in graph.node:
        if node.op_type == "Conv":
            bias = value(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            convs.append((_layout(node), value(node.input[1]), bias))
    return convs


def _set_module(root: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, child, module)


def fuse_batchnorms(model: nn.Module, input_size: int) -> list[nn.Conv2d]:
    """Folds each BatchNorm of `model` (eval mode) into the conv whose output it normalises (the
    BatchNorm becomes Identity); returns the convs in the order forward() runs them. The pairs
    come from one forward pass, as the modules' nesting differs between the architectures."""
    names = {module: name for name, module in model.named_modules()}
    outputs, order, pairs = {}, [], []

    def on_conv(module, _inputs, output):
        outputs[id(output)] = (output, names[module])  # the tensor kept: its id stays unique
        order.append(names[module])

    def on_batchnorm(module, inputs, _output):
        if id(inputs[0]) not in outputs:
            raise ValueError(f"BatchNorm {names[module]} does not follow a conv")
        pairs.append((outputs[id(inputs[0])][1], names[module]))

    hooks = [
        m.register_forward_hook(on_batchnorm if isinstance(m, nn.BatchNorm2d) else on_conv)
        for m in names
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))
    ]
    with torch.no_grad():
        model(torch.zeros(1, 1, input_size, input_size))
    for hook in hooks:
        hook.remove()
    for conv_name, bn_name in pairs:
        modules = dict(model.named_modules())
        _set_module(model, conv_name, fuse_conv_bn_eval(modules[conv_name], modules[bn_name]))
        _set_module(model, bn_name, nn.Identity())
    modules = dict(model.named_modules())
    return [modules[name] for name in dict.fromkeys(order)]


def _mismatch(convs: list[nn.Conv2d], file: list) -> str | None:
    """Why the network's fused convs cannot hold the file's, or None when they fit."""
    if len(convs) != len(file):
        return f"{len(convs)} convs"
    for i, (conv, (layout, weight, bias)) in enumerate(zip(convs, file)):
        bias_shape = None if bias is None else bias.shape
        for what, have, want in (
            ("weight", weight.shape, tuple(conv.weight.shape)),
            ("bias", bias_shape, None if conv.bias is None else tuple(conv.bias.shape)),
            ("(group, strides, pads, dilations)", layout, _torch_layout(conv)),
        ):
            if have != want:
                return f"conv {i} {what} {want}, the file's {have}"
    return None


def _candidates(num_outputs: int):
    for arch, entry in ARCHITECTURES.items():
        yield arch, entry.build(num_outputs)
        if entry.compact is not None:
            yield f"{arch} (compact head)", entry.compact(num_outputs)


def load_network(path) -> tuple[nn.Module, PreprocessSpec]:
    """The network in ONNX file `path` as a PyTorch module (eval mode, BatchNorms folded, logits
    out) and the file's PreprocessSpec; ModelError naming the file when no architecture fits."""
    source = str(path)
    model = onnx.load(source)
    meta = {p.key: p.value for p in model.metadata_props}
    spec = PreprocessSpec.from_metadata(meta, source=source)
    file = file_convs(model, source)
    if not file:
        raise ModelError(f"{source}: the graph has no Conv node")
    num_outputs = file[-1][1].shape[0]
    if METADATA_PREFIX + "outputs" not in meta:
        if num_outputs != len(spec.labels):  # a classifier: one output per label
            raise ModelError(
                f"{source}: the last conv has {num_outputs} outputs, the metadata "
                f"{len(spec.labels)} labels"
            )
    reasons = []
    for arch, network in _candidates(num_outputs):
        convs = fuse_batchnorms(network.eval(), spec.input_size)
        reason = _mismatch(convs, file)
        if reason is None:
            with torch.no_grad():
                for conv, (_layout, weight, bias) in zip(convs, file):
                    conv.weight.copy_(torch.tensor(weight))
                    if bias is not None:
                        conv.bias.copy_(torch.tensor(bias))
            return network, spec
        reasons.append(f"{arch}: {reason}")
    raise ModelError(
        f"{source}: its {len(file)} convolutions fit no architecture of training/models.py "
        f"with {num_outputs} outputs ({'; '.join(reasons)})"
    )


def flip_of(path) -> tuple[str, float | None]:
    """The file's flip test-time augmentation: ('none' | 'in_graph' | 'batch' | 'adaptive',
    the adaptive margin or None). training.export --flip-tta writes no flip key: its graph
    holds two softmaxes."""
    model = onnx.load(str(path), load_external_data=False)
    meta = {p.key: p.value for p in model.metadata_props}
    mode = json.loads(meta.get(FLIP_KEY, json.dumps("in_graph" if has_flip(model) else "none")))
    if mode not in ("none", "in_graph", "batch", "adaptive"):
        raise ModelError(f"{path}: unknown flip mode {mode!r} in its metadata")
    return mode, (float(json.loads(meta[MARGIN_KEY])) if mode == "adaptive" else None)


def file_probs(network: nn.Module, x: torch.Tensor, flip: tuple[str, float | None]):
    """The probabilities the file computes for the normalised batch x (N, 1, S, S), from its
    network: softmax(f(x)); with flip 'in_graph' or 'batch' the mean with softmax(f(flip(x)));
    'adaptive': that mean only for faces whose top-two margin of softmax(f(x)) is below it."""
    mode, margin = flip
    p = F.softmax(network(x), dim=1)
    if mode == "none":
        return p
    mean = 0.5 * (p + F.softmax(network(torch.flip(x, dims=[3])), dim=1))
    if mode != "adaptive":
        return mean
    top = p.topk(2, dim=1).values
    unsure = top[:, 0] - top[:, 1] < margin
    return torch.where(unsure[:, None], mean, p)


def parity(path, batch: np.ndarray) -> float:
    """Max |file_probs - onnxruntime's output of the file| over a normalised float32 batch."""
    from training.export import onnx_outputs

    network, _spec = load_network(path)
    with torch.no_grad():
        ours = file_probs(network, torch.from_numpy(batch), flip_of(path)).numpy()
    return float(np.abs(ours - onnx_outputs(path, batch)[0]).max())
