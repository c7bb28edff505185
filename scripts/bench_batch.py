"""Batch scoring throughput: audio seconds processed per wall second.

Generates espeak-ng replies of 20-60 s (sentences with pauses), then scores them with
faster-whisper and openai-whisper (tiny.en) on 1 and 2 local workers, in one run. Each
configuration writes to a fresh results file, so nothing is skipped as already done. The last
line is one JSON object: realtime_x (faster-whisper, best worker count),
openai_whisper_realtime_x (best worker count), peak_rss_mb and the per-configuration figures.

    .venv/bin/python scripts/bench_batch.py [--files 6] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def make_files(folder: Path, count: int, seed: int = 7) -> float:
    """Writes ``count`` WAV files of 20-60 s; returns their total seconds."""
    rng = random.Random(seed)
    total = 0.0
    for index in range(count):
        target = rng.uniform(20, 60)
        parts: list[str] = []
        seconds = 0.0
        part = 0
        while seconds < target:
            clip = folder / f"p{index}_{part}.wav"
            subprocess.run(["espeak-ng", "-w", str(clip), rng.choice(SENTENCES)], check=True)
            pause = folder / f"s{index}_{part}.wav"
            gap = rng.uniform(0.5, 3.0)
            subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0",
                            f"{gap:.2f}"], check=True)
            length = float(subprocess.run(["soxi", "-D", str(clip)], capture_output=True,
                                          text=True, check=True).stdout)
            seconds += length + gap
            parts += [str(clip), str(pause)]
            part += 1
        out = folder / "audio" / f"reply_{index:02d}.wav"
        out.parent.mkdir(exist_ok=True)
        subprocess.run(["sox", *parts, "-r", "16000", str(out)], check=True)
        for name in parts:
            Path(name).unlink()
        total += seconds
    return total


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        audio_s = make_files(folder, args.files)
        print(f"{args.files} files, {audio_s:.1f} s of audio", file=sys.stderr)
        figures: dict[str, float] = {}
        for engine in ("faster-whisper", "openai-whisper"):
            for workers in args.workers:
                out = folder / f"{engine}-{workers}.jsonl"
                started = time.perf_counter()
                summary = run_batch([folder / "audio"], out,
                                    BatchOptions(engine=engine, model=args.model),
                                    workers=workers, progress=False)
                wall = time.perf_counter() - started
                if summary.failed:
                    print(out.read_text(), file=sys.stderr)
                    raise SystemExit(f"{engine}: {summary.failed} file(s) failed")
                figures[f"{engine}_{workers}w_realtime_x"] = round(audio_s / wall, 2)
                print(f"{engine:15} {args.model} workers={workers}: {wall:6.1f} s wall, "
                      f"{audio_s / wall:5.1f}x real time", file=sys.stderr)
    best = {engine: max(v for k, v in figures.items() if k.startswith(engine))
            for engine in ("faster-whisper", "openai-whisper")}
    print(json.dumps({"realtime_x": best["faster-whisper"],
                      "openai_whisper_realtime_x": best["openai-whisper"],
                      "peak_rss_mb": peak_rss_mb(), "audio_s": round(audio_s, 1),
                      "files": args.files, "model": args.model, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
