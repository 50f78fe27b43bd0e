"""Test-time flip averaging of an exported head, rebuilt so that it costs less.

`training.export --flip-tta` bakes `0.5 * (softmax(f(x)) + softmax(f(flip(x))))` into the graph:
every face runs the network twice. This module rewrites such a file, keeping its contract (input
`input` (N, 1, S, S), output `probs` (N, C), the same metadata):

- `plain_network`: the unflipped network alone (the branch of the graph without the flip).
- `batch_flip`: the flip as a doubled batch, `mean(f([x; flip(x)]))` - the same numbers, one pass
  over 2N faces instead of two over N.
- `adaptive_flip`: the flip only where it can change the answer: the network runs on every face,
  and again on the flipped faces whose top-two probability margin is below `margin`; those get
  the flip average (exactly as before), the confident ones their plain probabilities. The margin
  is chosen on the validation split (FER-2013 PublicTest) with `--choose-margin`.

    python -m training.flip_graph --model models/emotion.onnx --mode adaptive --margin 0.4 \\
        --output runs/emotion_adaptive.onnx
    python -m training.flip_graph --model models/emotion.onnx --choose-margin   # PublicTest only
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from face_analysis.core.preprocess import METADATA_PREFIX

FLIP_KEY = METADATA_PREFIX + "flip"  # metadata: "none", "in_graph", "batch", "adaptive"
MARGIN_KEY = METADATA_PREFIX + "flip_margin"
INT64_MIN = np.iinfo(np.int64).min


def _producers(graph) -> dict:
    return {out: node for node in graph.node for out in node.output}


def _ancestor_ops(graph, name: str) -> set[str]:
    producers, seen, stack, ops = _producers(graph), set(), [name], set()
    while stack:
        tensor = stack.pop()
        if tensor in seen or tensor not in producers:
            continue
        seen.add(tensor)
        node = producers[tensor]
        ops.add(node.op_type)
        stack.extend(node.input)
    return ops


def has_flip(model: onnx.ModelProto) -> bool:
    return sum(n.op_type == "Softmax" for n in model.graph.node) == 2


def plain_network(model: onnx.ModelProto) -> onnx.ModelProto:
    """The network without its flip branch (a model without flip is returned as it is)."""
    if not has_flip(model):
        return model
    graph = model.graph
    softmaxes = [n for n in graph.node if n.op_type == "Softmax"]
    (plain,) = [n for n in softmaxes if "Slice" not in _ancestor_ops(graph, n.output[0])]
    keep, stack, producers = set(), [plain.output[0]], _producers(graph)
    while stack:
        tensor = stack.pop()
        node = producers.get(tensor)
        if node is None or id(node) in keep:
            continue
        keep.add(id(node))
        stack.extend(node.input)
    nodes = [onnx.NodeProto() for n in graph.node if id(n) in keep]
    for copy, node in zip(nodes, [n for n in graph.node if id(n) in keep]):
        copy.CopyFrom(node)
        copy.output[:] = ["probs" if o == plain.output[0] else o for o in copy.output]
    used = {t for n in nodes for t in n.input}
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    initializers = [i for i in model.graph.initializer if i.name in used]
    del out.graph.initializer[:]
    out.graph.initializer.extend(initializers)
    del out.graph.value_info[:]
    _set_meta(out, {FLIP_KEY: json.dumps("none")})
    return out


def _renamed(plain: onnx.ModelProto, prefix: str, x: str) -> list:
    """The plain network's nodes with intermediate tensors prefixed, reading `x`, writing
    prefix + 'probs'."""
    initializers = {i.name for i in plain.graph.initializer}

    def name(t: str) -> str:
        if t == "input":
            return x
        return t if t == "" or t in initializers else prefix + t

    nodes = []
    for node in plain.graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        copy.input[:] = [name(t) for t in node.input]
        copy.output[:] = [name(t) for t in node.output]
        nodes.append(copy)
    return nodes


def _const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _set_meta(model: onnx.ModelProto, extra: dict[str, str]) -> None:
    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(extra)
    helper.set_model_props(model, meta)


def _with_nodes(plain: onnx.ModelProto, nodes: list, constants: list) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(plain)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    out.graph.initializer.extend(constants)
    del out.graph.value_info[:]
    return out


def _flip_nodes(x: str, y: str) -> tuple[list, list]:
    constants = [
        _const("flip/starts", np.array([-1], np.int64)),
        _const("flip/ends", np.array([INT64_MIN], np.int64)),
        _const("flip/axes", np.array([3], np.int64)),
        _const("flip/steps", np.array([-1], np.int64)),
    ]
    node = helper.make_node(
        "Slice", [x, "flip/starts", "flip/ends", "flip/axes", "flip/steps"], [y]
    )
    return [node], constants


def batch_flip(model: onnx.ModelProto) -> onnx.ModelProto:
    """Flip averaging as one pass over the doubled batch [x; flip(x)]."""
    plain = plain_network(model)
    classes = plain.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    flip, constants = _flip_nodes("input", "both/flipped")
    nodes = [
        *flip,
        helper.make_node("Concat", ["input", "both/flipped"], ["both/x"], axis=0),
        *_renamed(plain, "both/", "both/x"),
        helper.make_node("Reshape", ["both/probs", "both/shape"], ["both/pairs"]),
        helper.make_node("ReduceMean", ["both/pairs"], ["probs"], axes=[0], keepdims=0),
    ]
    constants.append(_const("both/shape", np.array([2, -1, classes], np.int64)))
    out = _with_nodes(plain, nodes, constants)
    _set_meta(out, {FLIP_KEY: json.dumps("batch")})
    return out


def adaptive_flip(model: onnx.ModelProto, margin: float) -> onnx.ModelProto:
    """Flip averaging for the faces whose top-two margin is below `margin` only (one call)."""
    plain = plain_network(model)
    flip, constants = _flip_nodes("adaptive/unsure_x", "flip/x")
    constants += [
        _const("adaptive/k", np.array([2], np.int64)),
        _const("adaptive/margin", np.array(margin, np.float32)),
        _const("adaptive/half", np.array(0.5, np.float32)),
        _const("adaptive/i0", np.array([0], np.int64)),
        _const("adaptive/i1", np.array([1], np.int64)),
        _const("adaptive/i2", np.array([2], np.int64)),
    ]
    make = helper.make_node
    nodes = [
        *_renamed(plain, "plain/", "input"),
        make("TopK", ["plain/probs", "adaptive/k"], ["adaptive/top", "adaptive/top_i"], axis=1),
        make("Slice", ["adaptive/top", "adaptive/i0", "adaptive/i1", "adaptive/i1"], ["a/p1"]),
        make("Slice", ["adaptive/top", "adaptive/i1", "adaptive/i2", "adaptive/i1"], ["a/p2"]),
        make("Sub", ["a/p1", "a/p2"], ["adaptive/gap"]),
        make("Less", ["adaptive/gap", "adaptive/margin"], ["adaptive/unsure"]),  # (N, 1)
        make("NonZero", ["adaptive/unsure"], ["adaptive/nonzero"]),  # (2, K): rows, cols
        make(
            "Slice",
            ["adaptive/nonzero", "adaptive/i0", "adaptive/i1", "adaptive/i0"],
            ["adaptive/rows"],
        ),  # (1, K)
        make("Squeeze", ["adaptive/rows", "adaptive/i0"], ["adaptive/index"]),  # (K,)
        make("Transpose", ["adaptive/rows"], ["adaptive/scatter_index"], perm=[1, 0]),  # (K, 1)
        make("Gather", ["input", "adaptive/index"], ["adaptive/unsure_x"], axis=0),
        *flip,
        *_renamed(plain, "flip/", "flip/x"),
        make("Gather", ["plain/probs", "adaptive/index"], ["adaptive/unsure_p"], axis=0),
        make("Add", ["adaptive/unsure_p", "flip/probs"], ["adaptive/sum"]),
        make("Mul", ["adaptive/sum", "adaptive/half"], ["adaptive/mean"]),
        make(
            "ScatterND",
            ["plain/probs", "adaptive/scatter_index", "adaptive/mean"],
            ["probs"],
        ),
    ]
    out = _with_nodes(plain, nodes, constants)
    _set_meta(out, {FLIP_KEY: json.dumps("adaptive"), MARGIN_KEY: json.dumps(float(margin))})
    return out


def choose_margin(model_path: str, data_path=None, margins=None) -> dict:
    """Accuracy and flipped fraction per margin on FER-2013 PublicTest (the validation split;
    against the FER+ majority for a FER+ model), and the smallest margin whose accuracy equals
    full flip averaging there."""
    from training import data as D
    from training import onnx_head
    from training.classifiers import emotion_test_data

    margins = margins or [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]
    plain_file = Path(model_path).with_suffix(".plain.tmp.onnx")
    onnx.save(plain_network(onnx.load(model_path)), plain_file)
    try:
        head = onnx_head.load(plain_file)
        fer = emotion_test_data(
            head.spec, data_path or D.default_data_path("emotion", D.default_repo_data_dir())
        )
        val = fer.subset(fer.split == 1)
        p = onnx_head.predict(head, val.images)
        pf = onnx_head.predict(head, np.ascontiguousarray(val.images[:, :, ::-1]))
    finally:
        plain_file.unlink(missing_ok=True)
    top = np.sort(p, axis=1)
    gap = top[:, -1] - top[:, -2]
    full = float(((p + pf).argmax(1) == val.labels).mean())
    rows = []
    for m in margins:
        unsure = gap < m
        mixed = np.where(unsure[:, None], 0.5 * (p + pf), p)
        rows.append(
            {
                "margin": m,
                "flipped": float(unsure.mean()),
                "acc": float((mixed.argmax(1) == val.labels).mean()),
            }
        )
    chosen = next((r["margin"] for r in rows if r["acc"] >= full), None)
    return {
        "split": "PublicTest",
        "plain_acc": float((p.argmax(1) == val.labels).mean()),
        "flip_acc": full,
        "rows": rows,
        "chosen": chosen,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export with --flip-tta")
    parser.add_argument("--mode", choices=("plain", "batch", "adaptive"), default="adaptive")
    parser.add_argument("--margin", type=float, default=None)
    parser.add_argument("--output", help="where to write the rewritten model")
    parser.add_argument(
        "--choose-margin", action="store_true", help="print accuracy per margin on PublicTest"
    )
    parser.add_argument("--data-path", default=None)
    args = parser.parse_args(argv)
    if args.choose_margin:
        print(json.dumps(choose_margin(args.model, args.data_path), indent=2))
        return
    if not args.output:
        parser.error("--output is needed unless --choose-margin")
    model = onnx.load(args.model)
    if args.mode == "plain":
        out = plain_network(model)
    elif args.mode == "batch":
        out = batch_flip(model)
    else:
        if args.margin is None:
            parser.error("--mode adaptive needs --margin (see --choose-margin)")
        out = adaptive_flip(model, args.margin)
    onnx.checker.check_model(out, full_check=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(out, args.output)
    print(f"wrote {args.output} ({args.mode})")


if __name__ == "__main__":
    main()
