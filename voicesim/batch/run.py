"""A batch run: find files, skip those already scored, score the rest, append the rows."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voicesim.batch.inputs import AUDIO_EXTENSIONS, discover, file_sha256
from voicesim.batch.options import BatchOptions
from voicesim.batch.results import ResultWriter, done_keys, resume_key
from voicesim.batch.runners import Job, run_jobs
from voicesim.errors import VoicesimError


@dataclass
class BatchSummary:
    """What a run did; ``failed`` counts rows with an error (the skipped formats included)."""

    scored: int = 0
    failed: int = 0
    already_done: int = 0
    not_audio: int = 0
    audio_s: float = 0.0


def run_batch(paths: Iterable[Path | str], out: Path, options: BatchOptions,
              runner: str = "local", workers: int = 1, ray_address: str | None = None,
              progress: bool = True) -> BatchSummary:
    """Score every audio file under ``paths`` into ``out`` (JSON lines or CSV)."""
    inputs = discover(paths)
    writer = ResultWriter(out)
    done = done_keys(out)
    summary = BatchSummary()
    if options.cpu_threads == 0:  # share the cores between the workers
        options = replace(options, cpu_threads=max(1, (os.cpu_count() or 1) // workers))
    settings_id = options.settings_id
    try:
        formats = ", ".join(sorted(e.lstrip(".").upper() for e in AUDIO_EXTENSIONS))
        for path in inputs.skipped:
            sha = _sha_or_empty(path)
            if resume_key(str(path), sha, settings_id) in done:
                summary.already_done += 1
                continue
            writer.write({"file": str(path), "sha256": sha, "settings_id": settings_id,
                          "skipped": True,
                          "error": f"{path}: unsupported format ({path.suffix or 'no extension'}): "
                                   f"skipped; audio files are {formats}"})
            summary.not_audio += 1
            summary.failed += 1
        jobs: list[Job] = []
        for path in inputs.audio:
            sha = _sha_or_empty(path)
            if sha and resume_key(str(path), sha, settings_id) in done:
                summary.already_done += 1
                continue
            jobs.append((str(path), sha))
        bar = _progress_bar(len(jobs), progress)
        sizing = _BarSizing(bar)
        if bar is not None:  # the bar's total in audio hours, found while the work runs
            threading.Thread(target=sizing.add_durations, args=([p for p, _ in jobs],),
                             daemon=True).start()
        try:
            for row in run_jobs(jobs, options, runner, workers, ray_address):
                writer.write(row)
                summary.failed += "error" in row
                summary.scored += "error" not in row
                seconds = float(row.get("duration_s") or 0.0)
                summary.audio_s += seconds
                if bar is not None:
                    done_files = summary.scored + summary.failed - summary.not_audio
                    with sizing.lock:
                        bar.update(seconds / 3600)
                        bar.set_postfix_str(f"files {done_files}/{len(jobs)}, "
                                            f"{summary.failed - summary.not_audio} failed")
        finally:
            sizing.close()
    finally:
        writer.close()
    return summary


def _sha_or_empty(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""  # unreadable: the worker's row says why


class _BarSizing:
    """The progress bar's total, found by probing each file in a thread (ffprobe: about
    70 ms a file) rather than before the first file starts; one lock for all bar updates."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.lock = threading.Lock()
        self._closed = False

    def add_durations(self, paths: list[str]) -> None:
        from voicesim.speech.decode import probe

        for path in paths:
            try:
                seconds = max(0.0, probe(Path(path)).duration_s)
            except VoicesimError:
                continue  # the worker reports the problem in the row
            with self.lock:
                if self._closed:
                    return
                self.bar.total = round(self.bar.total + seconds / 3600, 4)
                self.bar.refresh()

    def close(self) -> None:
        with self.lock:
            self._closed = True
            if self.bar is not None:
                self.bar.close()


def _progress_bar(files: int, enabled: bool) -> Any:
    if not enabled or files == 0:
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return None
    bar = tqdm(total=0.0, file=sys.stderr, unit="h", dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n:.3f}/{total:.3f} audio h "
                          "[{elapsed}<{remaining}] {postfix}")
    bar.set_postfix_str(f"files 0/{files}")
    return bar
