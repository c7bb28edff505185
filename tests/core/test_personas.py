"""Persona files: the validator names the file, the line or field, and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.conftest import DATA
from voicesim.core.personas import find_persona, load_persona, load_personas
from voicesim.errors import PersonaError, UnknownPersonaError

GOOD = (DATA / "personas" / "test-caller.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_with_facts_filled(test_persona: object) -> None:
    persona = load_persona(DATA / "personas" / "test-caller.toml")
    assert persona.key == "en/test-caller"
    assert persona.fill(persona.opening) == "OPENING where is T-1?"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("patience = 1.0", 'patience = "high"', "field temper.patience: must be a number"),
        ("patience = 1.0", "patience = 9.0", "field temper.patience: must be between"),
        ('language = "en"', 'language = "fr"', "field language: 'fr' is not one of"),
        ('difficulty = "medium"', 'difficulty = "brutal"', "field difficulty"),
        ('id = "test-caller"', 'id = "Test Caller"', "field id"),
        (
            'hostility = ["L4 a", "L4 b"]',
            'hostility = ["L4 a"]',
            "field lines.hostility: must be a list of at least 2",
        ),
        ('heard = ["HEARD"]', 'heard = [""]', "field reactions.heard[0]: must be non-empty"),
        (
            'heard = ["HEARD"]',
            'heard = ["HEARD {evidence}"]',
            "field reactions.heard[0]: unknown placeholder {evidence}",
        ),
        (
            'opening = "OPENING where is {order_number}?"',
            'opening = "where is {order_nr}?"',
            "unknown placeholder {order_nr}",
        ),
        ("[demand]", "[demands]", "field demands: unknown field"),
        (
            "reasonable = false",
            'reasonable = "no"',
            "field demand.reasonable: must be true or false",
        ),
        ('ended = "ENDED fine, bye."\n', "", "field lines.ended: missing"),
    ],
)
def test_schema_errors_name_the_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('title = "Test caller"', 'title = "Test caller'))
    with pytest.raises(PersonaError, match=r"bad\.toml: TOML syntax error: .*line 5"):
        load_persona(path)


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("Terry", "T\xe9rry").encode("latin-1"))
    with pytest.raises(PersonaError, match=r"latin1\.toml"):
        load_persona(path)
    with pytest.raises(PersonaError, match="no such persona file"):
        load_persona(tmp_path / "nope.toml")


def test_duplicate_id_in_one_language_is_refused(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(PersonaError, match="also defined in"):
        load_personas([tmp_path])


def test_unknown_id_lists_the_valid_ones(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.toml")
    personas = load_personas([tmp_path])
    with pytest.raises(
        UnknownPersonaError, match=r"unknown persona 'nobody'; valid personas: test-caller \(en\)"
    ):
        find_persona(personas, "nobody")
    assert find_persona(personas, "test-caller").id == "test-caller"
    with pytest.raises(UnknownPersonaError):
        find_persona(personas, "test-caller", "da")


def test_same_id_in_two_languages_is_picked_by_lang(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "da").mkdir()
    write(tmp_path / "en", GOOD, "x.toml")
    write(tmp_path / "da", GOOD.replace('language = "en"', 'language = "da"'), "x.toml")
    personas = load_personas([tmp_path])
    assert find_persona(personas, "test-caller", "da").language == "da"
    assert find_persona(personas, "test-caller").language == "en"


def test_language_must_match_its_folder(tmp_path: Path) -> None:
    (tmp_path / "sv").mkdir()
    path = write(tmp_path / "sv", GOOD)
    with pytest.raises(PersonaError, match="but the file is in sv/"):
        load_persona(path)
