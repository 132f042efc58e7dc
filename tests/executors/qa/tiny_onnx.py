"""A tiny random face-embedding model as an ONNX file, written without the onnx package.

Not a test module. ``write_tiny_embedder(path)`` writes the protobuf of a graph with SFace's
interface (input ``data`` float (1, 3, 112, 112), output ``fc1`` float (1, DIM)) that flattens
the image and multiplies it by a fixed random matrix: ``cv2.FaceRecognizerSF.create`` loads it
through the same path as the real ``face_recognition_sface_2021dec.onnx``. The fields used are
ONNX's ModelProto/GraphProto/NodeProto/TensorProto/ValueInfoProto field numbers (onnx.proto).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIM = 16
SIDE = 112


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n)


def _bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(field << 3 | 2) + _varint(len(raw)) + raw


def _value_info(name: str, shape: tuple[int, ...]) -> bytes:
    dims = b"".join(_bytes(1, _int(1, d)) for d in shape)  # Dimension.dim_value
    tensor_type = _int(1, 1) + _bytes(2, dims)  # elem_type FLOAT, shape
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))  # name, TypeProto.tensor_type


def write_tiny_embedder(path: Path, seed: int = 0) -> Path:
    """Write the model to ``path``; returns it."""
    weights = np.random.default_rng(seed).standard_normal((3 * SIDE * SIDE, DIM)).astype("<f4")
    tensor = _int(1, weights.shape[0]) + _int(1, DIM) + _int(2, 1) + _bytes(8, "w")
    tensor += _bytes(9, weights.tobytes())
    flatten = _bytes(1, "data") + _bytes(2, "flat") + _bytes(3, "flatten") + _bytes(4, "Flatten")
    matmul = _bytes(1, "flat") + _bytes(1, "w") + _bytes(2, "fc1") + _bytes(3, "mm")
    matmul += _bytes(4, "MatMul")
    graph = _bytes(1, flatten) + _bytes(1, matmul) + _bytes(2, "tiny-sface") + _bytes(5, tensor)
    graph += _bytes(11, _value_info("data", (1, 3, SIDE, SIDE)))
    graph += _bytes(12, _value_info("fc1", (1, DIM)))
    model = _int(1, 7) + _bytes(7, graph) + _bytes(8, _int(2, 13))  # ir_version 7, opset 13
    path.write_bytes(model)
    return path
