"""Persona files: the schema, the loader and the validator (format: personas/README.md).

A persona is data. Every problem in a file is reported as one ``PersonaError`` line naming
the file, the line (TOML syntax) or the field (schema), and what is wrong.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from voicesim.core.levels import Level
from voicesim.errors import PersonaError, UnknownPersonaError

LANGUAGES = ("en", "da", "nl", "sv", "pl")
DIFFICULTIES = ("easy", "medium", "hard")
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# [lines] keys for the levels a caller can speak at (level 5 has only the hang-up line).
LEVEL_KEYS: dict[Level, str] = {
    Level.DISAGREEMENT: "disagreement",
    Level.BLAME: "blame",
    Level.MORE_PROBLEMS: "more_problems",
    Level.HOSTILITY: "hostility",
}


class Reaction(StrEnum):
    """Keys of [reactions]: the caller's answer to one kind of trainee move."""

    STORY = "story"
    HEARD = "heard"
    APOLOGY_ACCEPTED = "apology_accepted"
    APOLOGY_BLANKET = "apology_blanket"
    REFOCUS = "refocus"
    BOUNDARY_ACCEPTED = "boundary_accepted"
    BOUNDARY_DEFIED = "boundary_defied"
    DISMISSIVE = "dismissive"
    ARGUE = "argue"
    BLAME_SHIFT = "blame_shift"
    VAGUE_PROMISE = "vague_promise"
    PREMATURE_SOLUTION = "premature_solution"
    RESOLVED = "resolved"


# Only reactions to a harmful move may quote the trainee: the caller throws their words back.
QUOTING_REACTIONS = frozenset(
    {Reaction.DISMISSIVE, Reaction.ARGUE, Reaction.BLAME_SHIFT, Reaction.VAGUE_PROMISE}
)
_MIN_STORY_PIECES = 3
_MIN_LEVEL_LINES = 2


@dataclass(frozen=True)
class Temper:
    """How the caller reacts: see personas/README.md [temper]."""

    start_level: Level
    patience: float  # calming points needed to come down one step
    fuse: float  # anger points that push the caller one step up
    heard_needed: float  # listening points over the call before next steps can resolve it


@dataclass(frozen=True)
class Persona:
    """One simulated caller, validated."""

    id: str
    language: str
    title: str
    difficulty: str
    voice: str
    briefing: str
    opening: str
    temper: Temper
    caller_name: str
    facts: Mapping[str, str]
    level_lines: Mapping[Level, tuple[str, ...]]
    silence: tuple[str, ...]
    hang_up: str
    ended: str
    reactions: Mapping[Reaction, tuple[str, ...]]
    side_grievance: str
    demand: str
    demand_reasonable: bool
    resolution: str
    path: Path

    @property
    def key(self) -> str:
        """Unique across languages: ``id`` alone is unique only within one language."""
        return f"{self.language}/{self.id}"

    def fill(self, line: str, evidence: str = "") -> str:
        """Put the caller's facts (and the trainee's quoted words) into a line."""
        values = {"name": self.caller_name, "evidence": evidence, **self.facts}
        return line.format_map(values)


def _fail(path: Path, where: str, problem: str) -> PersonaError:
    return PersonaError(f"{path}: {where}: {problem}")


class _Reader:
    """Typed access to one parsed TOML document, with errors that name the field."""

    def __init__(self, path: Path, data: Mapping[str, Any]):
        self.path = path
        self.data = data

    def _get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise _fail(self.path, f"field {dotted}", "missing (see personas/README.md)")
            node = node[part]
        return node

    def text(self, dotted: str) -> str:
        value = self._get(dotted)
        if not isinstance(value, str) or not value.strip():
            raise _fail(self.path, f"field {dotted}", f"must be non-empty text, got {value!r}")
        return value.strip()

    def number(self, dotted: str, low: float, high: float) -> float:
        value = self._get(dotted)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(self.path, f"field {dotted}", f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise _fail(
                self.path, f"field {dotted}", f"must be between {low} and {high}, got {value}"
            )
        return float(value)

    def flag(self, dotted: str) -> bool:
        value = self._get(dotted)
        if not isinstance(value, bool):
            raise _fail(self.path, f"field {dotted}", f"must be true or false, got {value!r}")
        return value

    def texts(self, dotted: str, minimum: int) -> tuple[str, ...]:
        value = self._get(dotted)
        if not isinstance(value, list) or len(value) < minimum:
            raise _fail(self.path, f"field {dotted}", f"must be a list of at least {minimum} lines")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise _fail(
                    self.path, f"field {dotted}[{index}]", f"must be non-empty text, got {item!r}"
                )
        return tuple(item.strip() for item in value)

    def table(self, dotted: str) -> Mapping[str, Any]:
        value = self._get(dotted)
        if not isinstance(value, Mapping):
            raise _fail(self.path, f"field {dotted}", "must be a table")
        return value

    def no_unknown_keys(self, dotted: str, allowed: Iterable[str]) -> None:
        table = self.table(dotted) if dotted else self.data
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            where = f"field {dotted}.{unknown[0]}" if dotted else f"field {unknown[0]}"
            raise _fail(self.path, where, "unknown field (a typo? see personas/README.md)")


_TOP_KEYS = (
    "id",
    "language",
    "title",
    "difficulty",
    "voice",
    "briefing",
    "opening",
    "temper",
    "caller",
    "lines",
    "reactions",
    "side_grievance",
    "demand",
    "resolution",
)


def parse_persona(path: Path, data: Mapping[str, Any]) -> Persona:
    """Validate a parsed persona document; raise ``PersonaError`` on the first problem."""
    read = _Reader(path, data)
    read.no_unknown_keys("", _TOP_KEYS)
    persona_id = read.text("id")
    if not _ID_PATTERN.match(persona_id):
        raise _fail(
            path, "field id", f"{persona_id!r} must be lower-case letters, digits and dashes"
        )
    language = read.text("language")
    if language not in LANGUAGES:
        raise _fail(path, "field language", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    difficulty = read.text("difficulty")
    if difficulty not in DIFFICULTIES:
        raise _fail(
            path, "field difficulty", f"{difficulty!r} is not one of {', '.join(DIFFICULTIES)}"
        )

    read.no_unknown_keys("temper", ("start_level", "patience", "fuse", "heard_needed"))
    temper = Temper(
        start_level=Level(int(read.number("temper.start_level", 1, 4))),
        patience=read.number("temper.patience", 0.25, 4.0),
        fuse=read.number("temper.fuse", 0.25, 4.0),
        heard_needed=read.number("temper.heard_needed", 0.0, 5.0),
    )
    read.no_unknown_keys("caller", ("name", "facts"))
    facts_table = read.table("caller.facts")
    facts = {str(key): read.text(f"caller.facts.{key}") for key in facts_table}

    read.no_unknown_keys("lines", (*LEVEL_KEYS.values(), "silence", "hang_up", "ended"))
    level_lines = {
        level: read.texts(f"lines.{key}", _MIN_LEVEL_LINES) for level, key in LEVEL_KEYS.items()
    }
    read.no_unknown_keys("reactions", [str(reaction) for reaction in Reaction])
    reactions = {
        reaction: read.texts(
            f"reactions.{reaction}", _MIN_STORY_PIECES if reaction is Reaction.STORY else 1
        )
        for reaction in Reaction
    }
    read.no_unknown_keys("side_grievance", ("text",))
    read.no_unknown_keys("demand", ("text", "reasonable"))
    read.no_unknown_keys("resolution", ("description",))
    persona = Persona(
        id=persona_id,
        language=language,
        title=read.text("title"),
        difficulty=difficulty,
        voice=read.text("voice"),
        briefing=read.text("briefing"),
        opening=read.text("opening"),
        temper=temper,
        caller_name=read.text("caller.name"),
        facts=facts,
        level_lines=level_lines,
        silence=read.texts("lines.silence", 1),
        hang_up=read.text("lines.hang_up"),
        ended=read.text("lines.ended"),
        reactions=reactions,
        side_grievance=read.text("side_grievance.text"),
        demand=read.text("demand.text"),
        demand_reasonable=read.flag("demand.reasonable"),
        resolution=read.text("resolution.description"),
        path=path,
    )
    _check_placeholders(persona, read)
    return persona


def _check_placeholders(persona: Persona, read: _Reader) -> None:
    """Every {placeholder} must name a fact; {evidence} only where the caller quotes the trainee."""
    known = {"name", *persona.facts}
    fields: list[tuple[str, str, bool]] = [
        ("briefing", persona.briefing, False),
        ("opening", persona.opening, False),
        ("lines.hang_up", persona.hang_up, False),
        ("lines.ended", persona.ended, False),
        ("side_grievance.text", persona.side_grievance, False),
        ("demand.text", persona.demand, False),
    ]
    for level, key in LEVEL_KEYS.items():
        fields += [
            (f"lines.{key}[{i}]", line, False) for i, line in enumerate(persona.level_lines[level])
        ]
    fields += [(f"lines.silence[{i}]", line, False) for i, line in enumerate(persona.silence)]
    for reaction, lines in persona.reactions.items():
        quoting = reaction in QUOTING_REACTIONS
        fields += [(f"reactions.{reaction}[{i}]", line, quoting) for i, line in enumerate(lines)]
    for where, line, quoting in fields:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(line) if name is not None]
        except ValueError as exc:
            raise _fail(read.path, f"field {where}", f"broken {{placeholder}}: {exc}") from exc
        for name in names:
            if name == "evidence" and quoting:
                continue
            if name not in known:
                allowed = ", ".join(sorted(known | ({"evidence"} if quoting else set())))
                raise _fail(
                    read.path,
                    f"field {where}",
                    f"unknown placeholder {{{name}}}; use one of: {allowed}",
                )


def load_persona(path: Path | str) -> Persona:
    """Read and validate one persona file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise PersonaError(f"{path}: no such persona file") from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already says "(at line L, column C)".
        raise PersonaError(f"{path}: TOML syntax error: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise PersonaError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    persona = parse_persona(path, data)
    if path.parent.name in LANGUAGES and path.parent.name != persona.language:
        raise _fail(
            path, "field language", f"{persona.language!r} but the file is in {path.parent.name}/"
        )
    return persona


def default_persona_dir() -> Path:
    """``VOICESIM_PERSONAS_DIR``, else the ``personas/`` folder of the source tree."""
    configured = os.environ.get("VOICESIM_PERSONAS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "personas"


def persona_files(paths: Iterable[Path] | None = None) -> list[Path]:
    """Persona files under the given files/folders (default: the persona folder), sorted."""
    roots = list(paths) if paths else [default_persona_dir()]
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found += sorted(root.rglob("*.toml"))
        elif root.exists() or root.suffix == ".toml":
            found.append(root)
        else:
            raise PersonaError(f"{root}: no such persona file or folder")
    return found


def load_personas(paths: Iterable[Path] | None = None) -> list[Persona]:
    """Load and validate every persona; the first bad file raises. Ids unique per language."""
    personas: list[Persona] = []
    seen: dict[str, Path] = {}
    for path in persona_files(paths):
        persona = load_persona(path)
        if persona.key in seen:
            raise _fail(
                path,
                "field id",
                f"{persona.id!r} in {persona.language!r} is also defined in {seen[persona.key]}",
            )
        seen[persona.key] = path
        personas.append(persona)
    return personas


def find_persona(personas: Iterable[Persona], persona_id: str, lang: str | None = None) -> Persona:
    """The persona with this id (and language, when several languages share the id)."""
    personas = list(personas)
    matches = [p for p in personas if p.id == persona_id and (lang is None or p.language == lang)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        languages = ", ".join(sorted(p.language for p in matches))
        english = [p for p in matches if p.language == "en"]
        if english:
            return english[0]
        raise UnknownPersonaError(
            f"persona {persona_id!r} exists in {languages}: pick one with --lang"
        )
    valid = ", ".join(sorted({f"{p.id} ({p.language})" for p in personas}))
    wanted = f"{persona_id!r} in {lang!r}" if lang else repr(persona_id)
    raise UnknownPersonaError(f"unknown persona {wanted}; valid personas: {valid}")
