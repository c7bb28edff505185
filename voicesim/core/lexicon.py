"""Scorer lexicons: per-language phrase patterns loaded from data files and compiled once.

The file format is documented in ``voicesim/core/lexicons/README.md``. Content lives in the
TOML files; this module only validates and compiles it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from voicesim.core.labels import HARMFUL, Label
from voicesim.errors import LexiconError, UnsupportedLanguageError

LEXICON_DIR = Path(__file__).with_name("lexicons")
SUPPORTED_LANGUAGES = ("en", "da", "nl", "sv", "pl")

_MACRO = re.compile(r"\{([a-z_]+)\}")
# {words:A-B} swallows one neighbouring space so that "a {words:0-2} b" needs no double space.
_WORDS_BEFORE_WORD = re.compile(r"\{words:(\d+)-(\d+)\} ")
_WORDS_AT_END = re.compile(r" \{words:(\d+)-(\d+)\}$")
_MAX_MACRO_DEPTH = 5


@dataclass(frozen=True)
class LabelRules:
    """The compiled patterns of one label in one language."""

    label: Label
    pattern: re.Pattern[str]
    negatable: bool
    specific: re.Pattern[str] | None = None  # apology only: what makes an apology specific
    unless: re.Pattern[str] | None = None  # a match overlapping one of these is not this move


@dataclass(frozen=True)
class Lexicon:
    """Everything the scorer needs for one language."""

    language: str
    fillers: frozenset[str]
    negations: frozenset[str]
    negation_window: int
    rules: tuple[LabelRules, ...]  # harmful labels first: they veto overlapping helpful ones


def normalize_language(lang: str) -> str:
    """'en-US', 'EN', 'en_GB' -> 'en'; raise for languages without a lexicon."""
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if code not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguageError(
            f"language {lang!r} is not supported; use one of: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return code


def _word_run(match: re.Match[str], before: bool, where: str) -> str:
    low, high = int(match.group(1)), int(match.group(2))
    if low > high:
        raise LexiconError(
            f"{where}: write {{words:A-B}} with A <= B, got {match.group(0).strip()}"
        )
    return f"(?:[^ ]+ ){{{low},{high}}}" if before else f"(?: [^ ]+){{{low},{high}}}"


def _expand(source: str, macros: dict[str, str], numbers: str, where: str, depth: int = 0) -> str:
    """Replace {words:A-B}, {num} and {macro} in a pattern by regex fragments."""
    if depth > _MAX_MACRO_DEPTH:
        raise LexiconError(f"{where}: macros nest too deeply (a macro that uses itself?)")
    source = _WORDS_BEFORE_WORD.sub(lambda m: _word_run(m, True, where), source)
    source = _WORDS_AT_END.sub(lambda m: _word_run(m, False, where), source)
    if "{words:" in source:
        raise LexiconError(f"{where}: {{words:A-B}} must stand between words or at the end")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "num":
            return numbers
        if name in macros:
            return "(?:" + _expand(macros[name], macros, numbers, where, depth + 1) + ")"
        raise LexiconError(f"{where}: unknown macro {{{name}}}; define it under [macros]")

    return _MACRO.sub(replace, source)


def _compile(
    patterns: list[str], macros: dict[str, str], numbers: str, where: str
) -> re.Pattern[str]:
    parts = []
    for index, source in enumerate(patterns):
        item_where = f"{where}[{index}]"
        if not isinstance(source, str) or not source.strip():
            raise LexiconError(f"{item_where}: must be a non-empty pattern string")
        expanded = _expand(source.strip(), macros, numbers, item_where)
        try:
            re.compile(expanded)
        except re.error as exc:
            raise LexiconError(f"{item_where}: bad regular expression {source!r}: {exc}") from exc
        parts.append(f"(?:{expanded})")
    # Token boundaries: the normalised text is words separated by single spaces.
    return re.compile(r"(?<![^ ])(?:" + "|".join(parts) + r")(?![^ ])")


def _string_list(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LexiconError(f"{where}: field {key} must be a list of strings")
    return [item.strip().lower() for item in value]


def parse_lexicon(data: dict[str, Any], where: str) -> Lexicon:
    """Validate and compile a parsed lexicon document."""
    language = data.get("language")
    if language not in SUPPORTED_LANGUAGES:
        raise LexiconError(f"{where}: field language must be one of {SUPPORTED_LANGUAGES}")
    macros = data.get("macros", {})
    if not isinstance(macros, dict) or not all(isinstance(v, str) for v in macros.values()):
        raise LexiconError(f"{where}: [macros] must map names to pattern strings")
    number_words = _string_list(data, "numbers", where)
    numbers = r"(?:\d+(?:[.,]\d+)*" + "".join(f"|{re.escape(w)}" for w in number_words) + ")"
    window = data.get("negation_window", 3)
    if not isinstance(window, int) or not 0 <= window <= 10:
        raise LexiconError(f"{where}: field negation_window must be a whole number from 0 to 10")
    labels = data.get("labels", {})
    if not isinstance(labels, dict):
        raise LexiconError(f"{where}: [labels] must be a table of label tables")
    unknown = sorted(set(labels) - {str(label) for label in Label})
    if unknown:
        raise LexiconError(f"{where}: unknown label {unknown[0]!r}; labels are: {', '.join(Label)}")
    rules = []
    for label in sorted(Label, key=lambda item: item not in HARMFUL):
        table = labels.get(str(label))
        label_where = f"{where}: labels.{label}"
        if not isinstance(table, dict) or not table.get("patterns"):
            raise LexiconError(f"{label_where}: missing, needs a patterns list")
        patterns = table["patterns"]
        if not isinstance(patterns, list):
            raise LexiconError(f"{label_where}.patterns: must be a list of pattern strings")
        specific = table.get("specific")
        if specific is not None and (label is not Label.APOLOGY or not isinstance(specific, list)):
            raise LexiconError(f"{label_where}.specific: only apology has a specific list")
        unless = table.get("unless")
        if unless is not None and not isinstance(unless, list):
            raise LexiconError(f"{label_where}.unless: must be a list of pattern strings")
        rules.append(
            LabelRules(
                label=label,
                pattern=_compile(patterns, macros, numbers, f"{label_where}.patterns"),
                negatable=bool(table.get("negatable", False)),
                specific=_compile(specific, macros, numbers, f"{label_where}.specific")
                if specific
                else None,
                unless=_compile(unless, macros, numbers, f"{label_where}.unless")
                if unless
                else None,
            )
        )
    return Lexicon(
        language=language,
        fillers=frozenset(_string_list(data, "fillers", where)),
        negations=frozenset(_string_list(data, "negations", where)),
        negation_window=window,
        rules=tuple(rules),
    )


def load_lexicon_file(path: Path) -> Lexicon:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise LexiconError(f"{path}: no such lexicon file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: TOML syntax error: {exc}") from exc
    return parse_lexicon(data, str(path))


@cache
def lexicon_for(lang: str) -> Lexicon:
    """The compiled lexicon of a language, loaded once per process."""
    code = normalize_language(lang)
    return load_lexicon_file(LEXICON_DIR / f"{code}.toml")
