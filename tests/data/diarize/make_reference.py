"""Make reference.npz once, in a scratch virtualenv (never in the project's): numpy, scipy,
soundfile, librosa, onnx, onnxruntime.

    python tests/data/diarize/make_reference.py WEIGHTS_F32.npz

``WEIGHTS_F32.npz`` is ``scripts/convert_voice_encoder.py --dtype float32`` output. The reference
embeddings run the LSTM through ONNX Runtime's own LSTM operator (an implementation independent
of tui/diarize/encoder.py) on float32 weights; the mel filterbank is librosa's.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]


def main(weights_f32: str) -> None:
    import librosa
    import onnxruntime as ort
    import soundfile as sf
    from onnx import TensorProto, helper, numpy_helper

    errors = types.ModuleType("tui.errors")
    errors.ModelLoadError = RuntimeError  # type: ignore[attr-defined]
    package = types.ModuleType("tui")  # only tui.diarize.encoder: no project dependencies needed
    package.__path__ = [str(REPO / "tui")]  # type: ignore[attr-defined]
    sys.modules["tui"] = package
    sys.modules["tui.errors"] = errors
    from tui.diarize import encoder as enc

    w = np.load(weights_f32)

    def reorder(a: np.ndarray) -> np.ndarray:  # torch gates i, f, g, o -> ONNX i, o, f, c
        i, f, g, o = np.split(a.astype(np.float32), 4, axis=0)
        return np.concatenate([i, o, f, g], axis=0)

    nodes, inits, prev = [], [], "X"
    for n in range(3):
        bias = np.concatenate([reorder(w[f"lstm_bias_ih_l{n}"]), reorder(w[f"lstm_bias_hh_l{n}"])])
        inits += [
            numpy_helper.from_array(reorder(w[f"lstm_weight_ih_l{n}"])[None], f"W{n}"),
            numpy_helper.from_array(reorder(w[f"lstm_weight_hh_l{n}"])[None], f"R{n}"),
            numpy_helper.from_array(bias[None], f"B{n}"),
        ]
        nodes.append(
            helper.make_node(
                "LSTM", [prev, f"W{n}", f"R{n}", f"B{n}", "L"], [f"Y{n}", f"H{n}"], hidden_size=256
            )
        )
        nodes.append(helper.make_node("Squeeze", [f"Y{n}", "one"], [f"S{n}"]))
        prev = f"S{n}"
    inits += [
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(w["linear_weight"].astype(np.float32).T.copy(), "LW"),
        numpy_helper.from_array(w["linear_bias"].astype(np.float32), "LB"),
    ]
    nodes += [
        helper.make_node("Squeeze", ["H2", "zero"], ["h"]),
        helper.make_node("MatMul", ["h", "LW"], ["m"]),
        helper.make_node("Add", ["m", "LB"], ["a"]),
        helper.make_node("Relu", ["a"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "voice_encoder",
        [
            helper.make_tensor_value_info("X", TensorProto.FLOAT, [160, None, 40]),
            helper.make_tensor_value_info("L", TensorProto.INT32, [None]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
        inits,
    )
    session = ort.InferenceSession(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    )

    def ort_forward(self: object, mels: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        out = session.run(
            None, {"X": np.ascontiguousarray(mels.transpose(1, 0, 2)), "L": lengths.astype(np.int32)}
        )[0]
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    enc.VoiceEncoder._forward = ort_forward  # type: ignore[method-assign]
    audio = REPO / "tests" / "data" / "audio"
    beckett, rate = sf.read(audio / "beckett.wav", dtype="float32")
    clone, rate2 = sf.read(audio / "clone-test.wav", dtype="float32")
    assert rate == rate2 == 16000
    clips = [beckett, beckett[:rate], clone]
    embeddings = enc.VoiceEncoder(Path(weights_f32)).embed_many(clips)
    mel = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    probe = (np.random.default_rng(7).standard_normal(4000) * 0.1).astype(np.float32)
    frames = librosa.feature.melspectrogram(y=probe, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    np.savez_compressed(
        Path(__file__).with_name("reference.npz"),
        embeddings=embeddings.astype(np.float32),
        librosa_mel=mel.astype(np.float32),
        probe=probe,
        probe_mel=frames.astype(np.float32),
        librosa_version=np.array(librosa.__version__),
    )


if __name__ == "__main__":
    main(sys.argv[1])
