"""Training the heads: reproducible, out-of-fold thresholds, clear errors on bad corpus files.

These use the hashing fake encoder, so they check the training code, not the model's quality
(scripts/eval_scorer.py measures that on the test split)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voicesim.cli import main
from voicesim.core.labels import LABEL_ORDER, Label
from voicesim.errors import ConfigError
from voicesim.scoring.corpus import (
    CORPUS_DIR,
    examples_of,
    fingerprint,
    read_corpus,
    read_corpus_file,
)
from voicesim.scoring.encoder import DiskCachedEncoder, HashingEncoder
from voicesim.scoring.heads import Heads
from voicesim.scoring.training import ADD_CANDIDATES, DROP_CANDIDATES, TrainOptions, train_heads


def small_corpus(tmp_path: Path) -> list[Path]:
    """The first 150 lines of two packaged files: enough to train, quick to embed."""
    paths = []
    for name in ("en-w1.jsonl", "da-w1.jsonl"):
        lines = (CORPUS_DIR / name).read_text(encoding="utf-8").splitlines()[:150]
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_same_data_and_seed_give_the_same_heads(tmp_path: Path) -> None:
    rows = read_corpus(small_corpus(tmp_path))
    options = TrainOptions(folds=3, newton_steps=8)
    first, _ = train_heads(rows, HashingEncoder(), options)
    second, _ = train_heads(rows, HashingEncoder(), options)
    first.save(tmp_path / "a.npz")
    second.save(tmp_path / "b.npz")
    a, b = Heads.load(tmp_path / "a.npz"), Heads.load(tmp_path / "b.npz")
    for label in LABEL_ORDER:
        assert np.array_equal(a.labels[label].weights, b.labels[label].weights)
        assert a.add_threshold[label] == b.add_threshold[label]
        assert a.add_threshold[label] in ADD_CANDIDATES
        assert a.drop_threshold[label] in DROP_CANDIDATES
    assert a.meta == b.meta
    assert a.meta["data"] == fingerprint(rows) and a.meta["replies"] == 300


def test_the_fingerprint_follows_the_labels(tmp_path: Path) -> None:
    rows = read_corpus(small_corpus(tmp_path))
    changed = [rows[0].__class__(**{**rows[0].__dict__, "labels": frozenset()}), *rows[1:]]
    assert fingerprint(rows) != fingerprint(changed)


def test_clauses_carry_the_labels_whose_evidence_covers_them() -> None:
    line = {"id": "x", "text": "I'm sorry the parcel went missing. What did the driver say?",
            "labels": ["apology", "question"],
            "evidence": [{"label": "apology", "phrase": "I'm sorry the parcel went missing"},
                         {"label": "question", "phrase": "What did the driver say?"}],
            "apology": "specific", "question": "open", "style": "written"}  # fmt: skip
    from voicesim.scoring.corpus import parse_row

    examples = examples_of([parse_row(json.dumps(line), "here", "en", "en-x", 1)])
    assert [e.labels for e in examples] == [{Label.APOLOGY}, {Label.QUESTION}]
    assert examples[0].specific_apology is True and examples[1].open_question is True


def test_the_disk_cache_embeds_each_text_once(tmp_path: Path) -> None:
    class Counting(HashingEncoder):
        calls = 0

        def embed(self, texts):  # type: ignore[no-untyped-def]
            Counting.calls += len(texts)
            return super().embed(texts)

    cache = tmp_path / "cache.npz"
    first = DiskCachedEncoder(Counting(), cache).embed(["a b", "c d", "a b"])
    again = DiskCachedEncoder(Counting(), cache).embed(["c d", "a b"])
    assert Counting.calls == 2
    assert np.array_equal(first[1], again[0]) and np.array_equal(first[0], again[1])


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"text": "hi", "labels": ["kindness"]}', "labels must be a list of"),
        ('{"text": "hi", "labels": ["apology"], "evidence": [{"label": "apology", "phrase": "sorry"}]}',
         "must quote the text"),
        ('{"text": "sorry", "labels": [], "apology": "blanket"}', '"apology" must be one of'),
    ],
)  # fmt: skip
def test_a_bad_corpus_line_is_named_with_its_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "en-bad.jsonl"
    path.write_text('{"text": "fine", "labels": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as caught:
        read_corpus_file(path)
    assert f"{path}:2" in str(caught.value)


def test_scorer_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, _ = small_corpus(tmp_path)
    assert main(["scorer", "check", str(good)]) == 0
    assert "150 replies OK" in capsys.readouterr().out
    bad = tmp_path / "xx-w1.jsonl"
    bad.write_text('{"text": "hi", "labels": []}\n', encoding="utf-8")
    assert main(["scorer", "check", str(bad)]) == 1
    assert "must start with a language" in capsys.readouterr().err
