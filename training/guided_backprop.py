"""Guided back-propagation (Springenberg et al. 2015), as in the paper's Fig. 8.

    PYTHONPATH=. python -m training.guided_backprop --checkpoint runs/emotion/best.pth \
        --output runs/guided_backprop.png --per-class 3

Guided ReLU rule: in the backward pass through a ReLU, the gradient is kept only where BOTH the
forward input was positive (normal ReLU backward) AND the incoming gradient is positive; negative
gradients and negative activations are zeroed.

For each sample the grid shows the face, the guided-backprop map of the most activated unit of the
last conv layer (the paper's choice: the final class-map conv of mini-Xception; `--layer` selects
another conv by its module name), and the map of the predicted class score (logit).
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch
from torch import nn

from training import data as D


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
    p = argparse.ArgumentParser(description="guided back-propagation grid (paper Fig. 8)")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--output", required=True, help="PNG file")
    p.add_argument("--data-path", default=None, help="fer2013.npz/csv (default ../shared/data)")
    p.add_argument("--per-class", type=int, default=2, help="samples per emotion")
    p.add_argument("--split", type=int, default=2, help="FER usage to draw from (2 = PrivateTest)")
    p.add_argument(
        "--layer", default=None, help="module name of the conv layer (default: last conv)"
    )
    p.add_argument("--seed", type=int, default=0)
    return p


def main(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from training.export import load_checkpoint
    from training.models import last_conv

    torch.set_num_threads(1)
    model, spec, _ = load_checkpoint(args.checkpoint)
    gmodel = guided_copy(model)
    layer = dict(gmodel.named_modules())[args.layer] if args.layer else last_conv(gmodel)
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
    fig.suptitle(
        f"guided back-propagation ({args.checkpoint}); layer: {args.layer or 'last conv'}",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    plt.close(fig)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
