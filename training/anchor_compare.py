"""Side by side with the paper: its published Keras weights vs our shipped ONNX model.

    PYTHONPATH=. python -m training.anchor_compare --task emotion --model models/emotion.onnx
    PYTHONPATH=. python -m training.anchor_compare --task gender  --model models/gender.onnx

The anchor HDF5 (Keras 2.0.5, ../shared/anchors) is read with h5py by our own loader into a PyTorch
re-implementation of the published forward pass: TF-style asymmetric 'same' max-pooling, BatchNorm
eps 1e-3, 64x64 input via cv2.resize (bilinear), pixels x/255 then (x-0.5)*2. The anchor weights
are only evaluated here; they are never used to initialise, distil or ship anything.
Both models are scored on the same test images with the same metric.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from training import data as D
from training.models import MiniXception

ANCHORS = {
    "emotion": "fer2013_mini_XCEPTION.102-0.66.hdf5",
    "gender": "gender_mini_XCEPTION.21-0.95.hdf5",
}
# anchor output index -> our label index
ANCHOR_TO_OURS = {
    "emotion": [0, 1, 2, 3, 4, 5, 6],
    "gender": [1, 0],
}  # gender anchor: 0 woman, 1 man


class AnchorFormatError(ValueError):
    pass


def _weights(h5, layer: str) -> dict[str, np.ndarray]:
    g = h5["model_weights"][layer]
    out = {}
    for wname in g.attrs["weight_names"]:
        wname = wname.decode() if isinstance(wname, bytes) else wname
        out[wname.split("/")[-1].split(":")[0]] = np.asarray(g[wname])
    return out


def load_keras_mini_xception(path) -> MiniXception:
    """Build a TF-compatible MiniXception and fill it from a Keras mini_XCEPTION HDF5 file."""
    import h5py

    with h5py.File(path, "r") as h5:
        cfg = json.loads(h5.attrs["model_config"])
        layers = cfg["config"]["layers"]
        by_name = {layer["config"]["name"]: layer for layer in layers}
        convs = [
            layer["config"]["name"]
            for layer in layers
            if layer["class_name"] in ("Conv2D", "SeparableConv2D")
        ]
        n_classes = _weights(h5, convs[-1])["kernel"].shape[-1]
        model = MiniXception(n_classes, bn_eps=1e-3, tf_pool=True).eval()
        # our conv modules in the order the Keras graph lists its conv layers
        ours = [model.stem[0], model.stem[3]]
        keras_kinds = [by_name[n]["class_name"] for n in convs]
        mods = list(model.modules_)
        for m in mods:  # Keras order within a module: sep1, sep2, shortcut conv
            ours += [m.sep1, m.sep2, m.shortcut[0]]
        ours.append(model.classifier)
        if len(ours) != len(convs):
            raise AnchorFormatError(f"{path}: {len(convs)} conv layers, expected {len(ours)}")
        bn_after = {}  # torch conv module -> following torch BN
        bn_after[id(model.stem[0])] = model.stem[1]
        bn_after[id(model.stem[3])] = model.stem[4]
        for m in mods:
            bn_after[id(m.sep1)], bn_after[id(m.sep2)], bn_after[id(m.shortcut[0])] = (
                m.bn1,
                m.bn2,
                m.shortcut[1],
            )
        keras_to_torch = {}
        for name, kind, mod in zip(convs, keras_kinds, ours):
            w = _weights(h5, name)
            keras_to_torch[name] = mod
            with torch.no_grad():
                if kind == "SeparableConv2D":
                    if not isinstance(mod, nn.Sequential):
                        raise AnchorFormatError(
                            f"{name}: separable conv where a plain conv was expected"
                        )
                    mod.depthwise.weight.copy_(
                        torch.from_numpy(w["depthwise_kernel"].transpose(2, 3, 0, 1))
                    )
                    mod.pointwise.weight.copy_(
                        torch.from_numpy(w["pointwise_kernel"].transpose(3, 2, 0, 1))
                    )
                else:
                    mod.weight.copy_(torch.from_numpy(w["kernel"].transpose(3, 2, 0, 1)))
                    if "bias" in w:
                        mod.bias.copy_(torch.from_numpy(w["bias"]))
        n_bn = 0
        for layer in layers:
            if layer["class_name"] != "BatchNormalization":
                continue
            src = layer["inbound_nodes"][0][0][0]
            if src not in keras_to_torch:
                raise AnchorFormatError(
                    f"{layer['config']['name']}: BN input '{src}' is not a conv layer"
                )
            if abs(layer["config"]["epsilon"] - 1e-3) > 1e-9:
                raise AnchorFormatError(
                    f"{layer['config']['name']}: epsilon {layer['config']['epsilon']}"
                )
            bn = bn_after[id(keras_to_torch[src])]
            w = _weights(h5, layer["config"]["name"])
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(w["gamma"]))
                bn.bias.copy_(torch.from_numpy(w["beta"]))
                bn.running_mean.copy_(torch.from_numpy(w["moving_mean"]))
                bn.running_var.copy_(torch.from_numpy(w["moving_variance"]))
            n_bn += 1
        if n_bn != 14:
            raise AnchorFormatError(f"{path}: {n_bn} BatchNorm layers, expected 14")
    return model


def anchor_predict(model, gray_images: np.ndarray, size: int = 64, batch: int = 512) -> np.ndarray:
    """Anchor preprocessing: cv2.resize (bilinear) to 64x64, x/255, (x-0.5)*2."""
    out = []
    with torch.no_grad():
        for i in range(0, len(gray_images), batch):
            imgs = [
                cv2.resize(g, (size, size)) if g.shape != (size, size) else g
                for g in gray_images[i : i + batch]
            ]
            x = (np.stack(imgs).astype(np.float32) / 255.0 - 0.5) * 2.0
            out.append(torch.softmax(model(torch.from_numpy(x)[:, None]), 1).numpy())
    return np.concatenate(out)


def default_anchor_path(task: str) -> Path:
    """The paper's weights for `task` in ../shared/anchors."""
    return D.default_repo_data_dir().parent / "anchors" / ANCHORS[task]


def anchor_probs(model, task: str, gray_images: np.ndarray) -> np.ndarray:
    """`anchor_predict` with the columns in our label order (the gender anchor's differs)."""
    pa = anchor_predict(model, gray_images)
    probs = np.empty_like(pa)
    probs[:, ANCHOR_TO_OURS[task]] = pa
    return probs


def get_args_parser():
    p = argparse.ArgumentParser(
        description="paper anchor weights vs our ONNX model, same images/metric"
    )
    p.add_argument("--task", choices=["emotion", "gender"], required=True)
    p.add_argument("--model", required=True, help="our ONNX model")
    p.add_argument("--anchor", default=None, help="anchor .hdf5 (default ../shared/anchors/<file>)")
    p.add_argument("--data-path", default=None)
    p.add_argument("--json", default=None)
    return p


def main(args):
    from training import onnx_head
    from training.classifiers import summarize

    torch.set_num_threads(1)
    anchor_path = args.anchor or default_anchor_path(args.task)
    anchor = load_keras_mini_xception(anchor_path)
    head = onnx_head.load(args.model)
    spec = head.spec
    if spec.task != args.task:
        raise SystemExit(f"{args.model} is a '{spec.task}' model, not '{args.task}'")
    path = args.data_path or D.default_data_path(args.task, D.default_repo_data_dir())
    a = D.load_task(args.task, path)
    if args.task == "emotion":
        subsets = {"PrivateTest": a.split == 2, "PublicTest+PrivateTest": a.split >= 1}
    else:
        t = a.split == 2
        subsets = {"test": t}
        if "age" in a.extras:
            subsets["test, age >= 13"] = t & (a.extras["age"] >= 13)
    results = {}
    print(
        f"anchor {anchor_path} (PyTorch re-implementation, 64x64) vs ours {args.model} "
        f"({spec.input_size}x{spec.input_size}, onnxruntime)"
    )
    print("| subset | N | paper anchor | ours |\n|---|---|---|---|")
    for name, mask in subsets.items():
        s = a.subset(mask)
        ra = summarize(s.labels, anchor_probs(anchor, args.task, s.images), spec.labels)
        ro = summarize(s.labels, onnx_head.predict(head, s.images), spec.labels)
        results[name] = {
            "n": len(s),
            "anchor_acc": ra["acc"],
            "ours_acc": ro["acc"],
            "anchor_per_class": ra["per_class"],
            "ours_per_class": ro["per_class"],
        }
        print(f"| {name} | {len(s)} | {100 * ra['acc']:.2f} % | {100 * ro['acc']:.2f} % |")
    last = list(results)[-1]
    print(f"\nper class on {last}:\n| class | paper anchor | ours |\n|---|---|---|")
    for lab in spec.labels:
        print(
            f"| {lab} | {100 * results[last]['anchor_per_class'][lab]:.1f} % | "
            f"{100 * results[last]['ours_per_class'][lab]:.1f} % |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main(get_args_parser().parse_args())
