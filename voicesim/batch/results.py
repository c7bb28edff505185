"""Result files: one row per file, appended and flushed as each file finishes.

JSON lines keep the whole row. CSV keeps one flat row per file with the key columns (the
turns, segments and quotes stay in JSON lines). Both carry ``file``, ``sha256`` and
``settings_id``, so a rerun skips files already scored at the same path with the same bytes
and settings and resumes a run that was interrupted (two identical recordings in different
places are two files, each scored); a last line cut off mid-write is ignored and scored again.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, TextIO

from voicesim.core.labels import LABEL_ORDER
from voicesim.csv_cells import safe_row, spreadsheet_safe
from voicesim.errors import BatchError

FORMATS = ("jsonl", "csv")

_FACT_COLUMNS = (
    "agent_turns", "customer_turns", "agent_speech_s", "customer_speech_s", "agent_talk_share",
    "response_latency_mean_s", "response_latency_median_s", "response_latency_max_s",
    "agent_interruptions", "customer_interruptions", "overtalk_s", "long_silences",
    "long_silence_s", "agent_pace_wpm", "agent_loudness_dbfs",
)
CSV_COLUMNS = (
    "file", "error", "warnings", "kind", "duration_s", "channels", "agent_channel", "labels",
    *(f"count_{label}" for label in LABEL_ORDER), "overall", *_FACT_COLUMNS, "text",
    "engine", "model", "sha256", "settings_id", "elapsed_s",
)


def output_format(path: Path) -> str:
    """``jsonl`` or ``csv`` from the extension; anything else is a one-line error."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"jsonl", "json", "ndjson"}:
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise BatchError(f"{path}: unknown results format {path.suffix or '(none)'!r}: "
                     "name the output .jsonl or .csv")


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """The CSV view of a result row."""
    facts = row.get("facts") or {}
    counts = row.get("label_counts") or {}
    flat: dict[str, Any] = {
        "file": row.get("file", ""),
        "error": row.get("error", ""),
        "warnings": " | ".join(row.get("warnings") or []),
        "kind": row.get("kind", ""),
        "duration_s": row.get("duration_s", ""),
        "channels": row.get("channels", ""),
        "agent_channel": row.get("agent_channel") or "",
        "labels": ";".join(row.get("labels") or []),
        "overall": (row.get("scorecard") or {}).get("overall", ""),
        "text": row.get("text", ""),
        "engine": row.get("engine", ""),
        "model": row.get("model", ""),
        "sha256": row.get("sha256", ""),
        "settings_id": row.get("settings_id", ""),
        "elapsed_s": row.get("elapsed_s", ""),
    }
    for label in LABEL_ORDER:
        flat[f"count_{label}"] = counts.get(str(label), "") if "error" not in row else ""
    for column in _FACT_COLUMNS:
        value = facts.get(column)
        flat[column] = "" if value is None else value
    return flat


DoneKey = tuple[str, str, str]  # (file as written, sha256 of its bytes, settings_id)


def resume_key(file: str, sha256: str, settings_id: str) -> DoneKey:
    """How a row is matched on a rerun. The file name goes through the same formula guard as
    a CSV cell (it is idempotent: a guarded cell starts with an apostrophe), so a name such
    as "=1.wav" matches whether it was read back from JSON lines or from CSV."""
    return (str(spreadsheet_safe(file)), sha256, settings_id)


def done_keys(path: Path) -> set[DoneKey]:
    """(file, sha256, settings_id) of rows already in ``path`` that need no rerun."""
    if not path.exists():
        return set()
    keys: set[DoneKey] = set()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the existing results ({exc}): move it away "
                         "or choose another --out") from exc
    rows: list[dict[str, Any]] = []
    if output_format(path) == "jsonl":
        for line in text.splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut off by an interrupted run
            if isinstance(row, dict):
                rows.append(row)
    else:
        if text and not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]  # drop a row cut off mid-write
        rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row.get("file") and row.get("sha256") and row.get("settings_id") and not row.get("retry"):
            keys.add(resume_key(str(row["file"]), str(row["sha256"]), str(row["settings_id"])))
    return keys


class ResultWriter:
    """Appends rows to the results file, flushing and syncing each one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = output_format(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
            fresh = not path.exists() or path.stat().st_size == 0
            self._handle: TextIO = path.open("a", encoding="utf-8", newline="")
        except OSError as exc:
            raise BatchError(f"{path}: cannot write results ({exc.strerror}): "
                             "choose a writable --out") from exc
        self._csv: csv.DictWriter[str] | None = None
        if self.format == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            if fresh:
                self._csv.writeheader()
                self._flush()

    def _repair_tail(self) -> None:
        """Cut a last line left unfinished by an interrupted run, so appends stay parseable."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as handle:
            data = handle.read()
            if not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is not None:
            self._csv.writerow(safe_row(flat_row(row)))
        else:
            self._handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._flush()

    def _flush(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
