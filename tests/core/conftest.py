"""Fixtures for the pure core: a small test persona and a way to build scored replies by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicesim.core.labels import ApologyKind, Evidence, Label, ReplyScore
from voicesim.core.personas import Persona, load_persona

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def test_persona() -> Persona:
    return load_persona(DATA / "personas" / "test-caller.toml")


def reply(
    *labels: Label, text: str = "some reply", apology: ApologyKind | None = None
) -> ReplyScore:
    """A scored reply with the given labels, each quoting a recognisable phrase."""
    if Label.APOLOGY in labels and apology is None:
        apology = ApologyKind.SPECIFIC
    evidence = tuple(Evidence(label, f"<{label}>", 0, len(text)) for label in labels)
    return ReplyScore(text=text, lang="en", labels=labels, evidence=evidence, apology=apology)
