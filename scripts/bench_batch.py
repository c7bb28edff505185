"""Batch scoring throughput: audio seconds processed per wall second, and the word error rate.

Generates espeak-ng replies of 20-60 s (known sentences with pauses), then scores them with
faster-whisper and openai-whisper (tiny.en) on 1 and 2 local workers. Every configuration
runs ``--runs`` times, each into a fresh results file (nothing is skipped as already done);
the figure is the median. The word error rate compares each file's ``text`` with the
sentences espeak read, so a faster pipeline that loses words shows up next to its speed.

The last line is one JSON object: realtime_x (faster-whisper, best worker count),
openai_whisper_realtime_x (best worker count), peak_rss_mb, the word error rates, the
faster-whisper / openai-whisper ratio measured in this same run, and the per-configuration
figures (median, min and max of the runs).

    .venv/bin/python scripts/bench_batch.py [--files 6] [--workers 1 2] [--runs 3]

To compare with an older version of the pipeline on the very same files (espeak-ng's output
can differ slightly between runs), keep them with ``--audio DIR``, export the old version
(``git archive COMMIT voicesim | tar -x -C /tmp/old``) and run this script again with
``PYTHONPATH=/tmp/old`` and the same ``--audio DIR``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from voicesim.batch.options import BatchOptions
from voicesim.batch.run import run_batch

SENTENCES = [
    "I'm so sorry your order did not arrive when we promised.",
    "What happened when you called us last week?",
    "I understand how frustrating this must be for you.",
    "Let me check the tracking number for your parcel.",
    "I will send a replacement today and email you the tracking link by five o'clock.",
    "So the delivery was missed twice and nobody called you back.",
    "I want to help you, but I won't be shouted at.",
    "Could you tell me the postcode on the order, please?",
]
ENGINES = ("faster-whisper", "openai-whisper")
# Whisper writes small numbers as digits; espeak was given words.
_NUMBER_WORDS = dict(enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven",
                                 "eight", "nine", "ten", "eleven", "twelve"]))


def make_files(folder: Path, count: int, seed: int = 7) -> dict[str, str]:
    """Writes ``count`` WAV files of 20-60 s into ``folder/audio``; returns name -> text read."""
    rng = random.Random(seed)
    references: dict[str, str] = {}
    for index in range(count):
        target = rng.uniform(20, 60)
        parts: list[str] = []
        spoken: list[str] = []
        seconds = 0.0
        part = 0
        while seconds < target:
            clip = folder / f"p{index}_{part}.wav"
            sentence = rng.choice(SENTENCES)
            subprocess.run(["espeak-ng", "-w", str(clip), sentence], check=True)
            pause = folder / f"s{index}_{part}.wav"
            gap = rng.uniform(0.5, 3.0)
            subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0",
                            f"{gap:.2f}"], check=True)
            length = float(subprocess.run(["soxi", "-D", str(clip)], capture_output=True,
                                          text=True, check=True).stdout)
            seconds += length + gap
            parts += [str(clip), str(pause)]
            spoken.append(sentence)
            part += 1
        out = folder / "audio" / f"reply_{index:02d}.wav"
        out.parent.mkdir(exist_ok=True)
        subprocess.run(["sox", *parts, "-r", "16000", str(out)], check=True)
        for name in parts:
            Path(name).unlink()
        references[out.name] = " ".join(spoken)
    return references


def kept_files(keep: Path | None, folder: Path, count: int) -> dict[str, str]:
    """The files in ``folder/audio``: generated, or copied from ``keep`` when it has them."""
    import shutil

    if keep is not None and (keep / "references.json").exists():
        references: dict[str, str] = json.loads((keep / "references.json").read_text())
        if len(references) == count:
            shutil.copytree(keep / "audio", folder / "audio")
            return references
    references = make_files(folder, count)
    if keep is not None:
        shutil.rmtree(keep / "audio", ignore_errors=True)
        shutil.copytree(folder / "audio", keep / "audio")
        (keep / "references.json").write_text(json.dumps(references, indent=1))
    return references


def audio_seconds(folder: Path) -> float:
    return sum(float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True,
                                    check=True).stdout)
               for path in sorted(folder.glob("*.wav")))


def words(text: str) -> list[str]:
    tokens = re.sub(r"[^\w' ]+", " ", text.lower().replace("o'clock", "oclock")).split()
    return [_NUMBER_WORDS.get(int(t), t) if t.isdigit() else t for t in tokens]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        previous, row = row, [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1]


def corpus_wer(references: dict[str, str], rows: list[dict[str, Any]]) -> float:
    """Word errors over all files divided by the reference words (one figure per run)."""
    texts = {Path(row["file"]).name: row.get("text", "") for row in rows}
    errors = sum(edit_distance(words(ref), words(texts.get(name, "")))
                 for name, ref in references.items())
    return round(errors / sum(len(words(ref)) for ref in references.values()), 4)


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def measure(folder: Path, engine: str, model: str, workers: int, runs: int,
            audio_s: float) -> tuple[list[float], list[dict[str, Any]]]:
    """Realtime factors of ``runs`` runs, and the rows of the last one."""
    factors: list[float] = []
    rows: list[dict[str, Any]] = []
    for run in range(runs):
        out = folder / f"{engine}-{workers}-{run}.jsonl"
        started = time.perf_counter()
        summary = run_batch([folder / "audio"], out, BatchOptions(engine=engine, model=model),
                            workers=workers, progress=False)
        wall = time.perf_counter() - started
        if summary.failed:
            print(out.read_text(), file=sys.stderr)
            raise SystemExit(f"{engine}: {summary.failed} file(s) failed")
        factors.append(audio_s / wall)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    return factors, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration (median)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--audio", type=Path,
                        help="keep the generated files here and reuse them on the next run")
    parser.add_argument("--transcripts", type=Path,
                        help="also write each file's reference and transcripts here (JSON lines)")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    best: dict[str, float] = {}
    transcripts: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        references = kept_files(args.audio, folder, args.files)
        audio_s = audio_seconds(folder / "audio")
        print(f"{args.files} files, {audio_s:.1f} s of audio", file=sys.stderr)
        for engine in args.engines:
            for workers in args.workers:
                factors, rows = measure(folder, engine, args.model, workers, args.runs, audio_s)
                median = statistics.median(factors)
                wer = corpus_wer(references, rows)
                key = f"{engine}_{workers}w"
                figures.update({f"{key}_realtime_x": round(median, 2),
                                f"{key}_realtime_x_min": round(min(factors), 2),
                                f"{key}_realtime_x_max": round(max(factors), 2),
                                f"{key}_wer": wer})
                best[engine] = max(best.get(engine, 0.0), median)
                for row in rows:
                    name = Path(row["file"]).name
                    transcripts.setdefault(name, {"reference": references[name]})[key] = row["text"]
                print(f"{engine:15} {args.model} workers={workers}: {median:5.1f}x real time "
                      f"(median of {args.runs}, {min(factors):.1f}-{max(factors):.1f}), "
                      f"WER {wer:.3f}", file=sys.stderr)
    if args.transcripts:
        args.transcripts.write_text("".join(json.dumps({"file": name, **texts}) + "\n"
                                            for name, texts in sorted(transcripts.items())))
    summary: dict[str, Any] = {
        "realtime_x": round(best.get("faster-whisper", 0.0), 2),
        "openai_whisper_realtime_x": round(best.get("openai-whisper", 0.0), 2),
        "peak_rss_mb": peak_rss_mb(), "audio_s": round(audio_s, 1), "files": args.files,
        "model": args.model, "runs": args.runs,
    }
    if len(best) == len(ENGINES):
        summary["faster_vs_openai_x"] = round(best["faster-whisper"] / best["openai-whisper"], 2)
    print(json.dumps({**summary, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
