#!/usr/bin/env python3
"""Convert resemblyzer 0.1.4's ``pretrained.pt`` into ``tui/diarize/voice_encoder.npz``, without torch.

Run once by a maintainer; the result is committed. Fetch the wheel first (it declares torch, so
never install it)::

    pip download resemblyzer==0.1.4 --no-deps -d /tmp/rz
    python scripts/convert_voice_encoder.py /tmp/rz/Resemblyzer-0.1.4-py3-none-any.whl

``pretrained.pt`` is a torch checkpoint in the legacy (pre-1.6) format: a run of pickles followed by
raw storages. It is read with a restricted unpickler that builds only ``OrderedDict`` and float
tensors (as NumPy arrays); any other global in the pickle stops the conversion. The newer zip
format (``archive/data.pkl`` + ``archive/data/<key>``) is read the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import pickle
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

SOURCE_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
"""sha256 of resemblyzer 0.1.4's ``resemblyzer/pretrained.pt``."""
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64}
KEEP = (
    *(
        f"lstm.{kind}_l{layer}"
        for layer in range(3)
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ),
    "linear.weight",
    "linear.bias",
)
"""The tensors the forward pass needs (the checkpoint also holds training-only similarity weights)."""
DEST = Path(__file__).resolve().parent.parent / "tui" / "diarize" / "voice_encoder.npz"


class _Storage:
    def __init__(self, key: str, dtype: type, size: int) -> None:
        self.key, self.dtype, self.size = key, np.dtype(dtype), size
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(
        self, storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]
    ) -> None:
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride

    def array(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ValueError(f"storage {self.storage.key} was never read")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.shape, strides=tuple(s * item for s in self.stride)
        )
        return np.array(view, copy=True)


def _rebuild_tensor(storage: _Storage, offset: int, shape: Any, stride: Any, *_rest: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(shape), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Builds only what a state dict holds; refuses every other global."""

    def __init__(self, file: Any, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        # ('storage', type, key, location, size[, view_metadata in the legacy format])
        if not isinstance(pid, tuple) or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        dtype, key, size = pid[1], str(pid[2]), int(pid[4])
        if key not in self.storages:
            self.storages[key] = _Storage(key, dtype, size)
        return self.storages[key]


def _load_legacy(raw: bytes) -> dict[str, np.ndarray]:
    f = io.BytesIO(raw)
    if pickle.load(f) != LEGACY_MAGIC:  # plain ints only: no globals
        raise ValueError("not a torch legacy checkpoint")
    pickle.load(f)  # protocol version
    pickle.load(f)  # sys info (dict of plain values)
    storages: dict[str, _Storage] = {}
    checkpoint = _Unpickler(f, storages).load()
    keys = pickle.load(f)
    for key in keys:
        storage = storages[str(key)]
        count = int(np.frombuffer(f.read(8), dtype="<i8")[0])
        if count != storage.size:
            raise ValueError(f"storage {key}: {count} elements, expected {storage.size}")
        storage.data = np.frombuffer(
            f.read(count * storage.dtype.itemsize), dtype=storage.dtype.newbyteorder("<")
        )
    return _state(checkpoint)


def _load_zip(raw: bytes) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        names = archive.namelist()
        pkl = next(n for n in names if n.endswith("/data.pkl"))
        prefix = pkl[: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        checkpoint = _Unpickler(io.BytesIO(archive.read(pkl)), storages).load()
        for key, storage in storages.items():
            blob = archive.read(f"{prefix}data/{key}")
            storage.data = np.frombuffer(blob, dtype=storage.dtype.newbyteorder("<"))[: storage.size]
    return _state(checkpoint)


def _state(checkpoint: Any) -> dict[str, np.ndarray]:
    state = (
        checkpoint["model_state"]
        if isinstance(checkpoint, dict) and "model_state" in checkpoint
        else checkpoint
    )
    return {name: tensor.array() for name, tensor in state.items() if isinstance(tensor, _Tensor)}


def read_checkpoint(raw: bytes) -> dict[str, np.ndarray]:
    """The float tensors of a torch checkpoint's state dict, read without torch."""
    return _load_zip(raw) if raw[:2] == b"PK" else _load_legacy(raw)


def source_bytes(path: Path) -> bytes:
    """``pretrained.pt`` itself, or read out of the resemblyzer wheel."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read("resemblyzer/pretrained.pt")
    return path.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Resemblyzer-0.1.4 wheel or its pretrained.pt")
    parser.add_argument("--out", type=Path, default=DEST)
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    args = parser.parse_args(argv)
    raw = source_bytes(args.source)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"{args.source}: sha256 {digest} is not resemblyzer 0.1.4's pretrained.pt.", file=sys.stderr)
        return 1
    state = read_checkpoint(raw)
    missing = [name for name in KEEP if name not in state]
    if missing:
        print(f"Checkpoint lacks {', '.join(missing)}.", file=sys.stderr)
        return 1
    arrays = {name.replace(".", "_"): state[name].astype(args.dtype) for name in KEEP}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays, source_sha256=np.array(digest))
    print(f"Wrote {args.out} ({args.out.stat().st_size} bytes, {args.dtype}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
