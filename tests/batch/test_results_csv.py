"""The CSV results file opens safely in a spreadsheet and still resumes a run."""

from __future__ import annotations

import csv
from pathlib import Path

from voicesim.batch.results import ResultWriter, done_keys, resume_key


def test_formula_like_text_is_written_as_text_and_resume_still_works(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    writer = ResultWriter(out)
    writer.write({"file": "=cmd|'/c calc'!A1.wav", "sha256": "ab" * 32, "settings_id": "s1",
                  "text": "+1 555 0100, call me", "duration_s": -0.0, "labels": ["question"]})  # fmt: skip
    writer.close()
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert row["file"] == "'=cmd|'/c calc'!A1.wav" and row["text"] == "'+1 555 0100, call me"
    assert row["duration_s"] == "-0.0"  # numbers stay numbers
    assert done_keys(out) == {resume_key("=cmd|'/c calc'!A1.wav", "ab" * 32, "s1")}
    assert resume_key("cmd.wav", "ab" * 32, "s1") not in done_keys(out)
