"""Guided back-propagation (Springenberg et al. 2015), as in the paper's Figs. 5, 6 and 8.

    PYTHONPATH=. python -m training.guided_backprop --checkpoint runs/emotion/best.pth \
        --output runs/guided_backprop.png --per-class 3
    PYTHONPATH=. python -m training.guided_backprop --faces demo --output out.png \
        --model models/emotion.onnx --model models/emotion_sequential.onnx

Guided ReLU rule: in the backward pass through a ReLU, the gradient is kept only where BOTH the
forward input was positive (normal ReLU backward) AND the incoming gradient is positive; negative
gradients and negative activations are zeroed.

--faces dataset (one network; the checkpoint's test images, which may not be committed): a row per
class, for each sample the face, the guided-backprop map of the most activated unit of the last
conv layer (the paper's choice: the final class-map conv of mini-Xception; `--layer` selects
another conv by its module name) and the map of the predicted class score (logit).

--faces demo (any number of networks, e.g. mini-Xception beside the sequential baseline, as the
paper's Figs. 5-6): faces of the public-domain demo photos, found and cropped as the package's
nodes do (FaceAnalyzer's YuNet, FaceClassifier's crop of each head's spec); a row per face, the
crop, then per network the map of the class it predicts (the label the file outputs, flip
averaging included) and with --unit that of its most activated last-conv unit. An ONNX head
(--model, repeatable) is read back into PyTorch by training/onnx_weights.py; its parity with
onnxruntime on these faces is printed.
"""

from __future__ import annotations

import argparse
import copy
import io
from pathlib import Path

import numpy as np
import torch
from torch import nn

from training import data as D

# The demo photos whose terms allow committing pictures made of them (../shared/data/README.md:
# NASA's portrait and the 1927 Solvay photo are public domain), and how many faces of each.
DEMO_PHOTOS = {"astronaut_eileen_collins.png": 1, "solvay_conference_1927_1280.png": 5}
NO_FLIP = ("none", None)


class GuidedReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * (x > 0).to(grad_out.dtype) * (grad_out > 0).to(grad_out.dtype)


class GuidedReLU(nn.Module):
    def forward(self, x):
        return GuidedReLUFunction.apply(x)


def guided_copy(model: nn.Module) -> nn.Module:
    """A copy of `model` (eval mode) with every nn.ReLU replaced by GuidedReLU."""
    model = copy.deepcopy(model).eval()
    for _name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, child_name, GuidedReLU())
    return model


def guided_backprop(
    guided_model: nn.Module,
    x: torch.Tensor,
    target: str = "class",
    layer: nn.Module | None = None,
    class_index: int | None = None,
):
    """Gradient of a scalar w.r.t. the input x (1,1,H,W) under the guided rule.

    target="class": the logit of `class_index` (default: the predicted class).
    target="unit": the single most activated unit (channel, y, x) of `layer`'s output.
    Returns (map (H,W) numpy, info dict).
    """
    x = x.detach().clone().requires_grad_(True)
    captured = {}
    handle = None
    if target == "unit":
        handle = layer.register_forward_hook(lambda m, i, o: captured.__setitem__("out", o))
    logits = guided_model(x)
    if handle is not None:
        handle.remove()
    if target == "class":
        c = int(logits.argmax(1)) if class_index is None else class_index
        score, info = logits[0, c], {"class": c}
    else:
        out = captured["out"][0]
        flat = int(out.argmax())
        ch, rem = divmod(flat, out.shape[1] * out.shape[2])
        yy, xx = divmod(rem, out.shape[2])
        score, info = (
            out[ch, yy, xx],
            {"channel": ch, "y": yy, "x": xx, "value": float(out[ch, yy, xx].detach())},
        )
    guided_model.zero_grad(set_to_none=True)
    score.backward()
    return x.grad[0, 0].detach().numpy(), info


def to_image(grad: np.ndarray) -> np.ndarray:
    """Gradient map -> 0..1 for display (zero-centred, scaled by 3 std, as in common GB code)."""
    g = grad - grad.mean()
    g = g / (g.std() + 1e-8) * 0.15 + 0.5
    return np.clip(g, 0, 1)


def get_args_parser():
    p = argparse.ArgumentParser(description="guided back-propagation grid (paper Figs. 5, 6, 8)")
    p.add_argument("--checkpoint", default=None, help="a training checkpoint (.pth)")
    p.add_argument(
        "--model", action="append", default=[], help="an exported head (.onnx); repeatable"
    )
    p.add_argument("--output", required=True, help="PNG file")
    p.add_argument(
        "--faces",
        choices=("dataset", "demo"),
        default="dataset",
        help="dataset: test images per class (one network); demo: the public-domain demo photos",
    )
    p.add_argument("--data-path", default=None, help="fer2013.npz/csv (default ../shared/data)")
    p.add_argument("--demo-dir", default=None, help="the demo photos (default ../shared/data/demo)")
    p.add_argument("--per-class", type=int, default=2, help="samples per emotion")
    p.add_argument("--split", type=int, default=2, help="FER usage to draw from (2 = PrivateTest)")
    p.add_argument(
        "--layer", default=None, help="module name of the conv layer (default: last conv)"
    )
    p.add_argument("--unit", action="store_true", help="demo: also the last-conv unit's map")
    p.add_argument("--seed", type=int, default=0)
    return p


def load_networks(args) -> list[tuple[str, nn.Module, object, tuple]]:
    """(name, network, PreprocessSpec, flip) of the checkpoint and each --model, in that order."""
    from training import onnx_weights
    from training.export import load_checkpoint
    from training.models import last_conv

    networks = []
    if args.checkpoint:
        model, spec, _ = load_checkpoint(args.checkpoint)
        path = Path(args.checkpoint)
        networks.append((f"{path.parent.name}/{path.stem}", model, spec, NO_FLIP))
    for path in args.model:
        model, spec = onnx_weights.load_network(path)
        if last_conv(model).out_channels != len(spec.labels):
            raise SystemExit(
                f"{path}: a head of task {spec.task}; the maps are of classifiers' labels"
            )
        networks.append((Path(path).stem, model, spec, onnx_weights.flip_of(path)))
    return networks


def conv_layer(model: nn.Module, name: str | None) -> nn.Module:
    from training.models import last_conv

    return dict(model.named_modules())[name] if name else last_conv(model)


def dataset_grid(args, plt, model, spec):
    """A row per class of the task's test images, `per_class` samples each: the face, the map
    of the most activated unit of `layer` and the map of the predicted class."""
    gmodel = guided_copy(model)
    layer = conv_layer(gmodel, args.layer)
    path = args.data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    arrays = D.load_task(spec.task, path)
    arrays = arrays.subset(arrays.split == args.split)
    rng = np.random.default_rng(args.seed)
    rows = []
    for c in range(len(spec.labels)):
        idx = np.flatnonzero(arrays.labels == c)
        rows.append(rng.choice(idx, size=min(args.per_class, len(idx)), replace=False))
    ncol = 3 * args.per_class
    fig, axes = plt.subplots(len(rows), ncol, figsize=(1.6 * ncol, 1.75 * len(rows)), squeeze=False)
    for r, idxs in enumerate(rows):
        for k in range(args.per_class):
            for j in range(3):
                axes[r, 3 * k + j].axis("off")
            if k >= len(idxs):
                continue
            i = idxs[k]
            px = D.to_model_pixels(arrays.images[i : i + 1], spec.input_size)
            x = D.normalize_tensor(torch.from_numpy(px)[:, None], spec)
            unit_map, uinfo = guided_backprop(gmodel, x, "unit", layer)
            cls_map, cinfo = guided_backprop(gmodel, x, "class")
            ax = axes[r, 3 * k : 3 * k + 3]
            ax[0].imshow(px[0], cmap="gray", vmin=0, vmax=255)
            ax[0].set_title(
                f"{spec.labels[arrays.labels[i]]}\npred {spec.labels[cinfo['class']]}", fontsize=7
            )
            ax[1].imshow(to_image(unit_map), cmap="gray", vmin=0, vmax=1)
            ax[1].set_title(f"unit ch{uinfo['channel']}", fontsize=7)
            ax[2].imshow(to_image(cls_map), cmap="gray", vmin=0, vmax=1)
            ax[2].set_title("class", fontsize=7)
    source = args.checkpoint or args.model[0]
    fig.suptitle(
        f"guided back-propagation ({source}); layer: {args.layer or 'last conv'}", fontsize=8
    )
    return fig


def demo_faces(demo_dir) -> list[tuple[np.ndarray, object]]:
    """(gray photo, FaceBox) of the DEMO_PHOTOS faces as the package finds them (FaceAnalyzer's
    detector, default settings, one photo at a time as `face-analysis image` analyses it): per
    photo its widest faces (the most pixels, the clearest), left to right."""
    import cv2

    from face_analysis.core.analyzer import FaceAnalyzer
    from face_analysis.core.config import AnalyzerConfig
    from face_analysis.core.image import clip_box
    from face_analysis.core.preprocess import to_gray

    config = AnalyzerConfig(emotion_model=None, gender_model=None, age_model=None)
    faces = []
    for name, count in DEMO_PHOTOS.items():
        image = cv2.imread(str(Path(demo_dir) / name))
        if image is None:
            raise FileNotFoundError(f"demo photo {Path(demo_dir) / name} not readable")
        # a new analyzer per photo: a single image gets the full-resolution small-face search
        found = FaceAnalyzer(config).detect(image)
        found = sorted(found, key=lambda f: (f.width, f.score), reverse=True)[:count]
        gray = to_gray(image)
        faces += [(gray, clip_box(f, image.shape)) for f in sorted(found, key=lambda f: f.x_min)]
    return faces


def face_input(gray, face, spec) -> tuple[np.ndarray, torch.Tensor]:
    """The uint8 crop FaceClassifier cuts for a head of this spec (eyes level where the face
    has landmarks and the package aligns) and its normalised (1, 1, S, S) input."""
    from face_analysis.core.classify import ALIGN
    from face_analysis.core.preprocess import crop_plan, normalize

    landmarks = face.landmarks if ALIGN else None
    pixels = crop_plan(face.as_tuple(), spec, gray.shape, landmarks).write(gray)
    return pixels, torch.from_numpy(normalize(pixels, spec)[None, None])


def demo_grid(args, plt, networks, faces):
    """A row per demo face: its crop, then per network the map of the label it predicts (and
    with --unit its most activated last-conv unit's); a further crop column wherever a network
    frames faces differently from the crop shown before it."""
    from face_analysis.core.classify import framing
    from training.onnx_weights import file_probs

    columns, shown = [], None  # (kind, network index)
    for i, (_name, _model, spec, _flip) in enumerate(networks):
        if framing(spec) != shown:
            columns.append(("face", i))
            shown = framing(spec)
        columns += [("class", i)] + ([("unit", i)] if args.unit else [])
    guided = [guided_copy(model) for _name, model, _spec, _flip in networks]
    layers = [conv_layer(g, args.layer) for g in guided]
    fig, axes = plt.subplots(
        len(faces), len(columns), figsize=(1.5 * len(columns), 1.7 * len(faces)), squeeze=False
    )
    for r, (gray, face) in enumerate(faces):
        inputs = [face_input(gray, face, spec) for _name, _model, spec, _flip in networks]
        for ax, (kind, i) in zip(axes[r], columns):
            name, model, spec, flip = networks[i]
            pixels, x = inputs[i]
            ax.axis("off")
            if kind == "face":  # nearest: the model's own pixels, 48 or 64 px alike
                ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
                ax.set_title(f"face {spec.input_size} px", fontsize=7)
                continue
            if kind == "class":
                with torch.no_grad():
                    probs = file_probs(model, x, flip)[0]
                k = int(probs.argmax())
                gmap, _ = guided_backprop(guided[i], x, "class", class_index=k)
                title = f"{spec.labels[k]} {float(probs[k]):.2f}"
            else:
                gmap, info = guided_backprop(guided[i], x, "unit", layers[i])
                title = f"unit ch{info['channel']}"
            ax.imshow(to_image(gmap), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"{name}\n{title}" if r == 0 else title, fontsize=7)
    fig.suptitle(
        "guided back-propagation of the predicted label"
        + (f" and the most activated unit of {args.layer or 'the last conv'}" if args.unit else ""),
        fontsize=8,
    )
    return fig


def onnx_parity(args, networks, faces) -> dict[str, float]:
    """Max |PyTorch - onnxruntime| of each --model's probabilities over the demo faces; exits
    when one exceeds PARITY_TOL (the map would not be of the file's network)."""
    from training import onnx_weights

    results = {}
    for path, (name, model, spec, _flip) in zip(args.model, networks[-len(args.model) :]):
        batch = np.concatenate([face_input(gray, face, spec)[1].numpy() for gray, face in faces])
        results[name] = diff = onnx_weights.parity(path, batch)
        print(
            f"{path}: {type(model).__name__}, parity with onnxruntime on {len(faces)} demo faces:"
            f" max abs diff {diff:.1e} (tolerance {onnx_weights.PARITY_TOL:g})"
        )
        if not diff <= onnx_weights.PARITY_TOL:
            raise SystemExit(f"PARITY CHECK FAILED for {path}")
    return results


def main(args) -> dict[str, float]:
    """Writes the grid; returns the --model files' parity figures (demo faces)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    torch.set_num_threads(1)
    networks = load_networks(args)
    if not networks:
        raise SystemExit("give --checkpoint or --model")
    parity = {}
    if args.faces == "dataset":
        if len(networks) != 1:
            raise SystemExit("--faces dataset draws one network; compare several on --faces demo")
        fig = dataset_grid(args, plt, networks[0][1], networks[0][2])
    else:
        faces = demo_faces(args.demo_dir or D.default_repo_data_dir() / "demo")
        if args.model:
            parity = onnx_parity(args, networks, faces)
        fig = demo_grid(args, plt, networks, faces)
    fig.tight_layout()
    # Every pixel is gray (gray maps, black text): one channel is a third of RGB's bytes.
    rgb = io.BytesIO()
    fig.savefig(rgb, format="png", dpi=110)
    Image.open(rgb).convert("L").save(args.output, optimize=True)
    plt.close(fig)
    print(f"wrote {args.output}")
    return parity


if __name__ == "__main__":
    main(get_args_parser().parse_args())
