"""Carry the UTKFace training data to a machine that cannot take the whole file.

`utkface_gray64.npz` (87.5 MB) is over the 64 MiB that travels to the GPU machine, so the
train+val rows (all that training and checkpoint selection read; the test split is scored here,
on the exported ONNX file) go as xz-compressed pixels (delta filter, ~57 MB) plus their labels,
and are unpacked there into an uncompressed `.npz` with the same arrays, bit for bit:

    python -m training.pack_data pack ../shared/data/utkface_gray64.npz runs/devdata   # here
    python -m training.pack_data unpack runs/devdata /tmp/utk_trval.npz                # there
    python -m training.train --task age --data-path /tmp/utk_trval.npz --device cuda ...

Training on the unpacked file is the same as training on the original: `train.py` reads only
the train and val splits for fitting and selection.
"""

from __future__ import annotations

import argparse
import lzma
from pathlib import Path

import numpy as np

LABEL_KEYS = ("age", "gender", "split", "race", "gender_conflict", "dup_group")
FILTERS = [{"id": lzma.FILTER_DELTA, "dist": 1}, {"id": lzma.FILTER_LZMA2, "preset": 6}]


def pack(src, out_dir, splits=(0, 1)) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with np.load(src) as z:
        keep = np.isin(z["split"], splits)
        images = np.ascontiguousarray(z["images"][keep])
        labels = {k: z[k][keep] for k in LABEL_KEYS if k in z.files}
    (out / "images.xz").write_bytes(
        lzma.compress(images.tobytes(), format=lzma.FORMAT_XZ, filters=FILTERS)
    )
    np.savez(out / "labels.npz", shape=np.array(images.shape), **labels)
    return out


def unpack(src_dir, dst) -> Path:
    src = Path(src_dir)
    with np.load(src / "labels.npz") as lab:
        arrays = {k: lab[k] for k in lab.files if k != "shape"}
        shape = tuple(int(v) for v in lab["shape"])
    raw = lzma.decompress((src / "images.xz").read_bytes())
    arrays["images"] = np.frombuffer(raw, np.uint8).reshape(shape)
    np.savez(dst, **arrays)
    return Path(dst)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack", help="npz -> folder of images.xz + labels.npz")
    pk.add_argument("src"), pk.add_argument("out_dir")
    pk.add_argument("--splits", type=int, nargs="+", default=[0, 1])
    up = sub.add_parser("unpack", help="folder -> uncompressed npz")
    up.add_argument("src_dir"), up.add_argument("dst")
    a = p.parse_args(argv)
    if a.cmd == "pack":
        out = pack(a.src, a.out_dir, tuple(a.splits))
        print(
            f"packed into {out}: "
            + ", ".join(f"{f.name} {f.stat().st_size:,d} B" for f in sorted(out.iterdir()))
        )
    else:
        out = unpack(a.src_dir, a.dst)
        with np.load(out) as z:
            print(f"unpacked {out}: images {z['images'].shape}, splits {np.bincount(z['split'])}")


if __name__ == "__main__":
    main()
