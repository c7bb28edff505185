"""The scorer table: one place that hands out scorers by name."""

from __future__ import annotations

import pytest

from voicesim.cli import main
from voicesim.errors import BackendError
from voicesim.scoring import DEFAULT_SCORER, SCORER_NAMES, scorer_name, scorer_named


def test_names_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICESIM_SCORER", raising=False)
    assert SCORER_NAMES == ("lexicon", "hybrid")
    assert scorer_name() == DEFAULT_SCORER == "hybrid"
    monkeypatch.setenv("VOICESIM_SCORER", "lexicon")
    assert scorer_name() == "lexicon"
    assert scorer_name("Hybrid") == "hybrid"  # a flag beats the environment
    assert scorer_named("lexicon") is scorer_named("lexicon")  # one per process


def test_an_unknown_name_lists_the_valid_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        BackendError, match="--scorer: unknown scorer 'neural'; choose one of: lexicon, hybrid"
    ):
        scorer_name("neural")
    monkeypatch.setenv("VOICESIM_SCORER", "rules")
    with pytest.raises(BackendError, match="VOICESIM_SCORER: unknown scorer 'rules'"):
        scorer_name()


def test_the_flag_reaches_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score-text", "--scorer", "nope", "hi"]) == 1
    assert "unknown scorer 'nope'" in capsys.readouterr().err
