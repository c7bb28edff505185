"""The labelled replies the learned layer is trained on, and how they become clause examples.

A corpus file is JSON Lines named ``<lang>-<writer>.jsonl``; each line is one agent reply:

    {"id": "en-w1-0001", "text": "...", "labels": ["empathy", "question"],
     "evidence": [{"label": "empathy", "phrase": "..."}], "apology": null,
     "question": "open", "style": "written"}

``evidence`` phrases are exact substrings of ``text``. Rows without evidence (trainers'
corrections exported from the store) train on the whole reply as one example. The files, how
they were written and by whom are described in ``corpus/README.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from voicesim.core.labels import LABEL_ORDER, Label
from voicesim.core.lexicon import SUPPORTED_LANGUAGES
from voicesim.errors import ConfigError
from voicesim.scoring.clauses import split_clauses

CORPUS_DIR = Path(__file__).with_name("corpus")
BLOCK_ROWS = 50  # writers wrote in batches of about 50: folds take whole blocks
OVERLAP_SHARE = 0.5  # a clause carries a label when an evidence phrase covers this much of
# the shorter of the two


@dataclass(frozen=True)
class Row:
    """One labelled reply."""

    id: str
    lang: str
    writer: str  # who wrote it (the file's name): folds and reports group by it
    text: str
    labels: frozenset[Label]
    evidence: tuple[tuple[Label, str], ...] = ()
    apology: str | None = None
    question: str | None = None
    style: str = "written"
    block: int = 0  # which batch of the writer's file
    unknown: frozenset[Label] = frozenset()  # labels this row says nothing about (not trained on)


@dataclass
class Example:
    """One training unit: a clause (or a whole reply without evidence) and its targets."""

    text: str
    lang: str
    row: int  # index of the row it came from
    labels: set[Label] = field(default_factory=set)
    unknown: frozenset[Label] = frozenset()  # labels not to train on with this example
    open_question: bool | None = None  # None: not a question clause, or its kind is unknown
    specific_apology: bool | None = None


def _fail(where: str, problem: str) -> ConfigError:
    return ConfigError(f"{where}: {problem}")


def parse_row(line: str, where: str, lang: str, writer: str, number: int) -> Row:
    """One JSON line as a ``Row``; a malformed one raises naming the file and line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise _fail(where, f"not JSON ({error.msg})") from error
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise _fail(where, 'each line must be an object with a "text" string')
    names = data.get("labels")
    valid = {str(label) for label in LABEL_ORDER}
    if not isinstance(names, list) or not all(name in valid for name in names):
        raise _fail(where, f"labels must be a list of: {', '.join(sorted(valid))}")
    text = data["text"]
    for field_name, label, kinds in (("apology", "apology", ("specific", "blanket")),
                                     ("question", "question", ("open", "closed"))):  # fmt: skip
        kind = data.get(field_name)
        if kind is not None and (kind not in kinds or label not in names):
            raise _fail(where, f'"{field_name}" must be one of {kinds} and only with the '
                        f'"{label}" label, or null')  # fmt: skip
    evidence = []
    for item in data.get("evidence") or []:
        phrase = item.get("phrase") if isinstance(item, dict) else None
        if not isinstance(phrase, str) or phrase not in text or item.get("label") not in names:
            raise _fail(where, f"evidence {item!r} must quote the text for one of its labels")
        evidence.append((Label(item["label"]), phrase))
    return Row(
        id=str(data.get("id") or f"{writer}-{number}"),
        lang=str(data.get("lang") or lang),
        writer=writer,
        text=text,
        labels=frozenset(Label(name) for name in names),
        evidence=tuple(evidence),
        apology=data.get("apology"),
        question=data.get("question"),
        style=str(data.get("style") or "written"),
        block=(number - 1) // BLOCK_ROWS,
        unknown=frozenset(
            Label(name) for name in data.get("unknown_labels") or () if name in valid
        ),
    )


def read_corpus_file(path: Path, corrections: bool = False) -> list[Row]:
    """Rows of one ``<lang>-<writer>.jsonl`` file; with ``corrections``, of an exported
    corrections file, whose rows each carry their ``lang``."""
    lang = path.stem.split("-")[0]
    if corrections:
        lang = ""
    elif lang not in SUPPORTED_LANGUAGES:
        raise _fail(str(path), f"the file name must start with a language: {SUPPORTED_LANGUAGES}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(str(path), f"cannot read it as UTF-8 text ({error})") from error
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            row = parse_row(line, f"{path}:{number}", lang, path.stem, len(rows) + 1)
            if row.lang not in SUPPORTED_LANGUAGES:
                raise _fail(
                    f"{path}:{number}", f"lang {row.lang!r} is not one of {SUPPORTED_LANGUAGES}"
                )
            rows.append(row)
    return rows


def read_corpus(paths: Iterable[Path] | None = None) -> list[Row]:
    """Every row of the given files, or of the packaged corpus, in a stable order."""
    files = sorted(paths) if paths is not None else sorted(CORPUS_DIR.glob("*.jsonl"))
    if not files:
        raise ConfigError(f"{CORPUS_DIR}: no corpus files (*.jsonl) to train on")
    return [row for path in files for row in read_corpus_file(path)]


def fingerprint(rows: Iterable[Row]) -> str:
    """A short hash of the training data, stored with the heads it made."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([row.id, row.lang, row.text, sorted(row.labels),
                                  row.evidence, row.apology, row.question]).encode())  # fmt: skip
    return digest.hexdigest()[:16]


def _spans(text: str, phrase: str) -> list[tuple[int, int]]:
    found, start = [], text.find(phrase)
    while start >= 0:
        found.append((start, start + len(phrase)))
        start = text.find(phrase, start + 1)
    return found


def _covers(a: tuple[int, int], b: tuple[int, int]) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= OVERLAP_SHARE * min(a[1] - a[0], b[1] - b[0])


def examples_of(rows: list[Row]) -> list[Example]:
    """Clause examples: a clause carries each label whose evidence covers it."""
    examples: list[Example] = []
    for index, row in enumerate(rows):
        if not row.evidence:
            examples.append(
                Example(row.text, row.lang, index, set(row.labels), row.unknown,
                        None if row.question is None else row.question == "open",
                        None if row.apology is None else row.apology == "specific")
            )  # fmt: skip
            continue
        clauses = split_clauses(row.text, row.lang)
        spans = [
            (label, span) for label, phrase in row.evidence for span in _spans(row.text, phrase)
        ]
        mine = []
        for clause in clauses:
            where = (clause.start, clause.end)
            labels = {label for label, span in spans if _covers(where, span)}
            mine.append(Example(clause.text, row.lang, index, labels, row.unknown))
        for label, attribute, value in (
            (Label.QUESTION, "open_question", row.question == "open"),
            (Label.APOLOGY, "specific_apology", row.apology == "specific"),
        ):
            holders = [example for example in mine if label in example.labels]
            # A row's kind is "open" when any of its questions is: with several question
            # clauses only a "closed" row says the kind of each.
            if len(holders) == 1 or not value:
                for example in holders:
                    setattr(example, attribute, value)
        examples += mine
    return examples
