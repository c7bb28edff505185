"""The learned layer's trained heads: one logistic regression per label over a clause's
features, the two kind heads (open question, specific apology) and the rules' thresholds.

They are trained by ``voicesim scorer train`` (``voicesim.scoring.training``) and shipped as a
small ``.npz`` file beside this module. A head set fits one encoder: loading it with another
is refused.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicesim.core.labels import LABEL_ORDER, Label
from voicesim.errors import ConfigError

Matrix = npt.NDArray[np.float32]
PACKAGED_HEADS = Path(__file__).with_name("data") / "heads.npz"
EXTRA_FEATURES = (
    "question_mark_at_end",
    "question_mark_inside",
    "opens_closed_question",
    "opens_open_question",
)
OPENERS_FILE = Path(__file__).with_name("data") / "question_openers.toml"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def clause_features(
    texts: list[str], vectors: Matrix, replies: list[int], langs: list[str]
) -> Matrix:
    """What a head sees of a clause: the encoder's vector of the clause, the mean vector of
    all clauses of its reply (the context: "it's only two days" reads differently after an
    apology than alone), and four surface facts a vector blurs: whether the clause ends in a
    question mark, whether it holds one anywhere, and whether its first word opens a closed or
    an open question (``question_openers.toml``: transcribed questions have no question mark).
    ``replies[i]`` is the reply clause ``i`` belongs to, ``langs[i]`` its language."""
    groups = np.asarray(replies)
    context = np.zeros_like(vectors, dtype=np.float32)
    for reply in np.unique(groups):
        members = groups == reply
        context[members] = vectors[members].mean(axis=0)
    extra = np.array(
        [
            [t.rstrip().endswith("?"), "?" in t.rstrip()[:-1], *question_opener(t, lang)]
            for t, lang in zip(texts, langs, strict=True)
        ],
        dtype=np.float32,
    ).reshape(len(texts), len(EXTRA_FEATURES))
    return np.hstack([vectors.astype(np.float32), context, extra])


@dataclass(frozen=True)
class _Openers:
    lead_ins: dict[str, frozenset[str]]
    closed: dict[str, frozenset[str]]
    open: dict[str, frozenset[str]]


@cache
def _openers() -> _Openers:
    data = tomllib.loads(OPENERS_FILE.read_text(encoding="utf-8"))

    def table(name: str) -> dict[str, frozenset[str]]:
        return {lang: frozenset(words) for lang, words in data[name].items()}

    return _Openers(table("lead_ins"), table("closed"), table("open"))


def question_opener(text: str, lang: str) -> tuple[bool, bool]:
    """(opens a closed question, opens an open one), by the first word after lead-ins."""
    openers = _openers()
    skip = openers.lead_ins.get(lang, frozenset())
    for word in _WORD.findall(text.lower()):
        word = word.replace("'", "").replace("’", "")
        if word in skip:
            continue
        return word in openers.closed.get(lang, frozenset()), word in openers.open.get(
            lang, frozenset()
        )
    return False, False


def sigmoid(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * values))
    return result


@dataclass(frozen=True)
class LogisticHead:
    """``p = sigmoid(((x - mean) / scale) @ weights + bias)``."""

    weights: npt.NDArray[np.float64]
    bias: float

    def probability(self, standardised: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return sigmoid(standardised @ self.weights + self.bias)


@dataclass(frozen=True)
class Heads:
    """Everything the hybrid scorer learned, with the thresholds its rules use."""

    encoder: str  # the encoder the heads were trained on (its ``name``)
    mean: npt.NDArray[np.float64]  # feature standardisation
    scale: npt.NDArray[np.float64]
    labels: dict[Label, LogisticHead]
    add_threshold: dict[Label, float]  # add a label the lexicons missed at or above this
    drop_threshold: dict[Label, float]  # drop a lexicon label whose clause scores below this
    open_question: LogisticHead  # P(open | a question clause)
    specific_apology: LogisticHead  # P(specific | an apology clause)
    meta: dict[str, Any]  # data fingerprint, seed, counts: how these heads were made

    def standardise(self, features: Matrix) -> npt.NDArray[np.float64]:
        standardised: npt.NDArray[np.float64] = (
            features.astype(np.float64) - self.mean
        ) / self.scale
        return standardised

    def label_probabilities(self, features: Matrix) -> dict[Label, npt.NDArray[np.float64]]:
        x = self.standardise(features)
        return {label: head.probability(x) for label, head in self.labels.items()}

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "meta": np.array(json.dumps({**self.meta, "encoder": self.encoder}, sort_keys=True)),
        }
        for label in LABEL_ORDER:
            head = self.labels[label]
            arrays[f"w_{label}"] = head.weights.astype(np.float32)
            arrays[f"b_{label}"] = np.float32(head.bias)
            arrays[f"add_{label}"] = np.float64(self.add_threshold[label])
            arrays[f"drop_{label}"] = np.float64(self.drop_threshold[label])
        for name, head in (("open", self.open_question), ("specific", self.specific_apology)):
            arrays[f"w_{name}"] = head.weights.astype(np.float32)
            arrays[f"b_{name}"] = np.float32(head.bias)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:  # np.savez on a path would append ".npz"
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path: Path = PACKAGED_HEADS) -> Heads:
        try:
            data = np.load(path, allow_pickle=False)
            meta = json.loads(str(data["meta"]))

            def head(name: str) -> LogisticHead:
                return LogisticHead(data[f"w_{name}"].astype(np.float64), float(data[f"b_{name}"]))

            return cls(
                encoder=str(meta.pop("encoder")),
                mean=data["mean"].astype(np.float64),
                scale=data["scale"].astype(np.float64),
                labels={label: head(str(label)) for label in LABEL_ORDER},
                add_threshold={label: float(data[f"add_{label}"]) for label in LABEL_ORDER},
                drop_threshold={label: float(data[f"drop_{label}"]) for label in LABEL_ORDER},
                open_question=head("open"),
                specific_apology=head("specific"),
                meta=meta,
            )
        except (OSError, KeyError, ValueError) as error:
            raise ConfigError(
                f"{path}: not a usable scorer heads file ({error}); rebuild it with "
                "`voicesim scorer train` or use --scorer lexicon"
            ) from error
