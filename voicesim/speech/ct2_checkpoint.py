"""CTranslate2 Whisper weights as an openai-whisper checkpoint, converted in memory.

No registry package ships openai-whisper ``.pt`` files, but the CTranslate2 ``model.bin``
that faster-whisper loads holds the same genuine weights. This module reads that file and
builds the ``{"dims", "model_state_dict"}`` checkpoint ``whisper.model.Whisper`` loads, so both
engines run the very same model. Nothing is written to disk.

The ``model.bin`` layout (CTranslate2 binary format version 6, little-endian):

    u32 version, str spec name, u32 spec revision, u32 variable count,
    per variable: str name, u8 rank, u32 dims[rank], u8 dtype, u32 byte count, bytes,
    u32 alias count, per alias: str alias, str target name;
    str = u16 length including a trailing NUL, then the UTF-8 bytes and the NUL.

Mapping pitfalls, each handled below: self-attention q/k/v and cross-attention k/v are fused
and must be split; the key bias (stored as zeros) has no place in openai-whisper and is
dropped; float16 becomes float32 for the CPU; the dimensions come from tensor shapes; the
output projection aliases the token embedding (openai-whisper ties them too); the alignment
heads for word timestamps come from ``config.json``.

Only numpy is needed to read and map; torch is imported when tensors are requested.
"""

from __future__ import annotations

import base64
import gzip
import json
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicesim.errors import ModelNotFoundError

SUPPORTED_BINARY_VERSION = 6
WHISPER_SPEC_NAME = "WhisperSpec"
# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_FLOAT32, _INT8, _INT16, _INT32, _FLOAT16, _BFLOAT16 = range(6)
_NUMPY_DTYPES: dict[int, str] = {
    _FLOAT32: "<f4", _INT8: "<i1", _INT16: "<i2", _INT32: "<i4", _FLOAT16: "<f2",
    _BFLOAT16: "<u2",  # no numpy bfloat16: read the raw bits, widen below
}

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Ct2Model:
    """The parsed contents of a CTranslate2 ``model.bin``."""

    spec_name: str
    revision: int
    variables: dict[str, Array]  # float tensors already widened to float32
    aliases: dict[str, str]  # alias name -> the variable it shares storage with


@dataclass(frozen=True)
class WhisperCheckpoint:
    """What ``whisper.model.Whisper`` needs: dimensions, weights and alignment heads."""

    dims: dict[str, int]  # the fields of whisper.model.ModelDimensions
    state: dict[str, Array]  # openai-whisper parameter name -> float32 array
    alignment_heads: tuple[tuple[int, int], ...]  # (decoder layer, head) pairs

    def to_torch(self) -> dict[str, Any]:
        """The checkpoint dict ``whisper.load_model`` would read from a ``.pt`` file."""
        import torch

        return {"dims": dict(self.dims),
                "model_state_dict": {k: torch.from_numpy(v) for k, v in self.state.items()}}

    def alignment_heads_dump(self) -> bytes:
        """The heads in the base85+gzip form ``Whisper.set_alignment_heads`` accepts."""
        mask = np.zeros((self.dims["n_text_layer"], self.dims["n_text_head"]), dtype=bool)
        for layer, head in self.alignment_heads:
            mask[layer, head] = True
        return base64.b85encode(gzip.compress(mask.tobytes()))


def read_ct2_model_bin(path: Path) -> Ct2Model:
    """Parses a CTranslate2 ``model.bin``; float16/bfloat16 tensors come back as float32."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(buf)
    except (OSError, ValueError, struct.error) as exc:
        raise ModelNotFoundError(
            f"cannot read the CTranslate2 model {path} ({exc}): reinstall the model package or "
            "point to a complete model folder") from exc


def convert_ct2_to_whisper(model_dir: Path) -> WhisperCheckpoint:
    """Reads a CTranslate2 Whisper folder and maps it onto openai-whisper's parameter names."""
    model = read_ct2_model_bin(model_dir / "model.bin")
    if model.spec_name != WHISPER_SPEC_NAME:
        raise ModelNotFoundError(
            f"{model_dir / 'model.bin'} holds a {model.spec_name}, not a Whisper model: point to "
            "a CTranslate2 Whisper folder")
    if any(name.endswith("_scale") for name in model.variables):
        raise ModelNotFoundError(
            f"{model_dir / 'model.bin'} is quantized (int8/int16) and cannot be converted for "
            "openai-whisper: use a float16 or float32 CTranslate2 export")
    try:
        dims = whisper_dims(model.variables)
        state = whisper_state(model.variables, dims)
    except KeyError as exc:
        raise ModelNotFoundError(
            f"{model_dir / 'model.bin'} lacks the Whisper tensor {exc}: the file is incomplete "
            "or not a Whisper model") from exc
    heads = _alignment_heads(model_dir / "config.json", dims)
    return WhisperCheckpoint(dims=dims, state=state, alignment_heads=heads)


def whisper_dims(variables: dict[str, Array]) -> dict[str, int]:
    """``ModelDimensions`` read off the tensor shapes (nothing is assumed per model size)."""
    conv1 = variables["encoder/conv1/weight"]  # (n_audio_state, n_mels, 3)
    embeddings = variables["decoder/embeddings/weight"]  # (n_vocab, n_text_state)
    return {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": _count_layers(variables, "encoder"),
        "n_vocab": int(embeddings.shape[0]),  # 51864 for tiny.en, 51865 for base
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": _count_layers(variables, "decoder"),
    }


def whisper_state(variables: dict[str, Array], dims: dict[str, int]) -> dict[str, Array]:
    """openai-whisper's state dict (parameter name -> array) from CTranslate2's variables."""
    v = variables
    state: dict[str, Array] = {
        "encoder.conv1.weight": v["encoder/conv1/weight"],
        "encoder.conv1.bias": v["encoder/conv1/bias"],
        "encoder.conv2.weight": v["encoder/conv2/weight"],
        "encoder.conv2.bias": v["encoder/conv2/bias"],
        "encoder.positional_embedding": v["encoder/position_encodings/encodings"],
        "encoder.ln_post.weight": v["encoder/layer_norm/gamma"],
        "encoder.ln_post.bias": v["encoder/layer_norm/beta"],
        "decoder.token_embedding.weight": v["decoder/embeddings/weight"],
        "decoder.positional_embedding": v["decoder/position_encodings/encodings"],
        "decoder.ln.weight": v["decoder/layer_norm/gamma"],
        "decoder.ln.bias": v["decoder/layer_norm/beta"],
    }
    for i in range(dims["n_audio_layer"]):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        _self_attention(state, v, f"{src}/self_attention", f"{dst}.attn", f"{dst}.attn_ln")
        _mlp(state, v, f"{src}/ffn", dst)
    for i in range(dims["n_text_layer"]):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _self_attention(state, v, f"{src}/self_attention", f"{dst}.attn", f"{dst}.attn_ln")
        _cross_attention(state, v, f"{src}/attention", f"{dst}.cross_attn",
                         f"{dst}.cross_attn_ln")
        _mlp(state, v, f"{src}/ffn", dst)
    return state


def _self_attention(state: dict[str, Array], v: dict[str, Array], src: str, dst: str,
                    ln: str) -> None:
    # linear_0 is q, k and v stacked along the output axis; linear_1 is the output projection.
    q, k, val = np.split(v[f"{src}/linear_0/weight"], 3, axis=0)
    q_bias, _key_bias, v_bias = np.split(v[f"{src}/linear_0/bias"], 3)
    # The key bias is dropped: openai-whisper has none, and adding the same vector to every
    # key shifts all of a query's attention logits equally, which softmax ignores.
    state.update({
        f"{dst}.query.weight": q, f"{dst}.query.bias": q_bias,
        f"{dst}.key.weight": k,
        f"{dst}.value.weight": val, f"{dst}.value.bias": v_bias,
        f"{dst}.out.weight": v[f"{src}/linear_1/weight"],
        f"{dst}.out.bias": v[f"{src}/linear_1/bias"],
        f"{ln}.weight": v[f"{src}/layer_norm/gamma"],
        f"{ln}.bias": v[f"{src}/layer_norm/beta"],
    })


def _cross_attention(state: dict[str, Array], v: dict[str, Array], src: str, dst: str,
                     ln: str) -> None:
    # linear_0 is q (from the text side); linear_1 is k and v stacked (from the audio side).
    k, val = np.split(v[f"{src}/linear_1/weight"], 2, axis=0)
    _key_bias, v_bias = np.split(v[f"{src}/linear_1/bias"], 2)
    state.update({
        f"{dst}.query.weight": v[f"{src}/linear_0/weight"],
        f"{dst}.query.bias": v[f"{src}/linear_0/bias"],
        f"{dst}.key.weight": k,
        f"{dst}.value.weight": val, f"{dst}.value.bias": v_bias,
        f"{dst}.out.weight": v[f"{src}/linear_2/weight"],
        f"{dst}.out.bias": v[f"{src}/linear_2/bias"],
        f"{ln}.weight": v[f"{src}/layer_norm/gamma"],
        f"{ln}.bias": v[f"{src}/layer_norm/beta"],
    })


def _mlp(state: dict[str, Array], v: dict[str, Array], src: str, dst: str) -> None:
    # openai-whisper's mlp is Sequential(Linear, GELU, Linear): indices 0 and 2.
    state.update({
        f"{dst}.mlp.0.weight": v[f"{src}/linear_0/weight"],
        f"{dst}.mlp.0.bias": v[f"{src}/linear_0/bias"],
        f"{dst}.mlp.2.weight": v[f"{src}/linear_1/weight"],
        f"{dst}.mlp.2.bias": v[f"{src}/linear_1/bias"],
        f"{dst}.mlp_ln.weight": v[f"{src}/layer_norm/gamma"],
        f"{dst}.mlp_ln.bias": v[f"{src}/layer_norm/beta"],
    })


def _count_layers(variables: dict[str, Array], side: str) -> int:
    pattern = re.compile(rf"^{side}/layer_(\d+)/")
    indices = {int(m.group(1)) for name in variables if (m := pattern.match(name))}
    if not indices or indices != set(range(max(indices) + 1)):
        raise KeyError(f"{side}/layer_N (found layers {sorted(indices)})")
    return max(indices) + 1


def _alignment_heads(config_path: Path, dims: dict[str, int]) -> tuple[tuple[int, int], ...]:
    """Heads from config.json; without them, openai-whisper's default (last half of layers)."""
    layers, heads = dims["n_text_layer"], dims["n_text_head"]
    default = tuple((layer, head) for layer in range(layers // 2, layers) for head in range(heads))
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        pairs = tuple((int(layer), int(head)) for layer, head in config["alignment_heads"])
    except (OSError, ValueError, KeyError, TypeError):
        return default
    if not pairs or any(not (0 <= lay < layers and 0 <= h < heads) for lay, h in pairs):
        return default
    return pairs


class _Reader:
    """A cursor over the mapped file; every read is bounds-checked by struct/numpy."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return int(value)

    def string(self) -> str:
        length = self.unpack("H")  # includes the trailing NUL
        raw = bytes(self.buf[self.pos:self.pos + length])
        self.pos += length
        if len(raw) != length or not raw.endswith(b"\0"):
            raise ValueError(f"corrupt string at byte {self.pos - length}")
        return raw[:-1].decode("utf-8")

    def tensor(self, shape: tuple[int, ...], dtype_id: int, nbytes: int) -> Array:
        if dtype_id not in _NUMPY_DTYPES:
            raise ValueError(f"unknown tensor data type {dtype_id}")
        if self.pos + nbytes > len(self.buf):
            raise ValueError("the file ends inside a tensor (truncated download or copy?)")
        dtype = np.dtype(_NUMPY_DTYPES[dtype_id])
        raw = np.frombuffer(self.buf, dtype=dtype, count=nbytes // dtype.itemsize,
                            offset=self.pos)
        self.pos += nbytes
        if dtype_id == _BFLOAT16:
            out = (raw.astype(np.uint32) << 16).view(np.float32)
        elif dtype_id in (_FLOAT16, _FLOAT32):
            out = raw.astype(np.float32)  # always a copy: nothing may point into the mapping
        else:
            out = raw.copy()
        del raw
        return out.reshape(shape)


def _parse(buf: mmap.mmap) -> Ct2Model:
    reader = _Reader(buf)
    version = reader.unpack("I")
    if version != SUPPORTED_BINARY_VERSION:
        raise ValueError(f"model format version {version}, expected {SUPPORTED_BINARY_VERSION}; "
                         "reconvert it with a current CTranslate2")
    spec_name = reader.string()
    revision = reader.unpack("I")
    variables: dict[str, Array] = {}
    for _ in range(reader.unpack("I")):
        name = reader.string()
        shape = tuple(reader.unpack("I") for _ in range(reader.unpack("B")))
        dtype_id = reader.unpack("B")
        nbytes = reader.unpack("I")
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(
            _NUMPY_DTYPES.get(dtype_id, "u1")).itemsize
        if nbytes != expected:
            raise ValueError(f"tensor {name} has {nbytes} bytes for shape {shape}")
        variables[name] = reader.tensor(shape, dtype_id, nbytes)
    aliases = {}
    for _ in range(reader.unpack("I")):
        alias = reader.string()
        aliases[alias] = reader.string()
    if reader.pos != len(buf):
        raise ValueError(f"{len(buf) - reader.pos} unexpected bytes after the last alias")
    return Ct2Model(spec_name=spec_name, revision=revision, variables=variables, aliases=aliases)
