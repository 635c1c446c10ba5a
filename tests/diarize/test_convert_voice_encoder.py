"""scripts/convert_voice_encoder.py reads torch checkpoints without torch, and nothing else."""

from __future__ import annotations

import importlib.util
import io
import pickle
import sys
import types
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "convert_voice_encoder.py"


@pytest.fixture(scope="module")
def convert() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("convert_voice_encoder", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    """Just enough of the names a torch checkpoint's pickle refers to, so one can be written here."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args: object) -> None:
        raise AssertionError("never called: only named in the pickle")

    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    yield types.SimpleNamespace(FloatStorage=FloatStorage, rebuild=_rebuild_tensor_v2)


def legacy_checkpoint(
    fake: types.SimpleNamespace, tensors: dict[str, np.ndarray], convert: types.ModuleType
) -> bytes:
    """A checkpoint in torch's legacy format: magic, protocol, sys info, the state pickle whose
    storages are persistent ids, the storage keys, then each storage as count + raw float32."""

    class StorageRef:
        def __init__(self, key: str, size: int) -> None:
            self.key, self.size = key, size

    class TensorRef:
        def __init__(self, storage: StorageRef, shape: tuple[int, ...]) -> None:
            self.storage, self.shape = storage, shape

        def __reduce__(self) -> tuple:
            stride = tuple(int(np.prod(self.shape[i + 1 :])) for i in range(len(self.shape)))
            return (fake.rebuild, (self.storage, 0, self.shape, stride, False, OrderedDict()))

    class Writer(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            if isinstance(obj, StorageRef):
                return ("storage", fake.FloatStorage, obj.key, "cpu", obj.size, None)
            return None

    refs = {
        name: TensorRef(StorageRef(str(i), a.size), a.shape) for i, (name, a) in enumerate(tensors.items())
    }
    out = io.BytesIO()
    for header in (convert.LEGACY_MAGIC, 1001, {"little_endian": True}):
        pickle.dump(header, out, protocol=2)
    Writer(out, protocol=2).dump({"step": 1, "model_state": OrderedDict(refs)})
    pickle.dump([ref.storage.key for ref in refs.values()], out, protocol=2)
    for array in tensors.values():
        out.write(np.int64(array.size).tobytes())
        out.write(np.ascontiguousarray(array, dtype="<f4").tobytes())
    return out.getvalue()


def test_legacy_checkpoint_is_read_without_torch(
    convert: types.ModuleType, fake_torch: types.SimpleNamespace
) -> None:
    rng = np.random.default_rng(0)
    tensors = {
        "lstm.weight_ih_l0": rng.standard_normal((8, 3)).astype(np.float32),
        "linear.bias": np.arange(4.0),
    }
    raw = legacy_checkpoint(fake_torch, tensors, convert)
    got = convert.read_checkpoint(raw)
    assert set(got) == set(tensors)
    for name, array in tensors.items():
        np.testing.assert_array_equal(got[name], array.astype(np.float32))


def test_any_other_global_is_refused(convert: types.ModuleType) -> None:
    class Evil:
        def __reduce__(self) -> tuple:
            import os

            return (os.system, ("echo owned",))

    out = io.BytesIO()
    for header in (convert.LEGACY_MAGIC, 1001, {}):
        pickle.dump(header, out, protocol=2)
    pickle.dump({"model_state": Evil()}, out, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing global"):
        convert.read_checkpoint(out.getvalue())


def test_a_file_that_is_not_resemblyzers_is_refused(convert: types.ModuleType, tmp_path: Path) -> None:
    other = tmp_path / "pretrained.pt"
    other.write_bytes(b"something else")
    assert convert.main([str(other), "--out", str(tmp_path / "out.npz")]) == 1
    assert not (tmp_path / "out.npz").exists()
