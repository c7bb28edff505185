"""How long one transcription takes, per engine, model and encoder window.

    python scripts/bench_transcribe.py [--runs 5] [--models tiny.en base] [--threads 0]

Clips of about 3, 7 and 25 seconds are spoken by espeak-ng (English, default voice) at start.
For every model (tiny.en, and the multilingual base forced to English), engine
(faster-whisper int8, openai-whisper float32) and window (short window on/off), each clip is
transcribed once to warm up, then ``--runs`` times; the figure is the median wall time of
``Transcriber.transcribe`` (VAD gate included). The word error rate against the text espeak
read shows whether the short window costs accuracy. Each (model, engine) pair runs in its
own process, so one engine's idle thread pool cannot slow the other and the peak memory is
that pair's alone. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import wave

import numpy as np

from voicesim.core.ports import SAMPLE_RATE, Audio
from voicesim.speech.resample import resample
from voicesim.speech.transcribers import TranscriberOptions, make_transcriber

SENTENCES = [
    "I am so sorry to hear that your delivery did not arrive on time.",
    "Could you please tell me your order number, so I can look into it?",
    "I understand why you are frustrated, and I want to help you with this today.",
    "Let me check the status of your parcel right now.",
    "I can see that the courier tried to deliver it on Monday, but nobody was at home.",
    "I will send you a replacement today, and it should arrive on Friday.",
    "If it does not arrive by then, please call us again and ask for me.",
    "Thank you for your patience, and once again, I am sorry for the trouble.",
]
CLIPS = {  # name -> the text espeak reads (about 3, 7 and 25 seconds at espeak's default rate)
    "3s": SENTENCES[0],
    "7s": " ".join(SENTENCES[1:3]),
    "25s": " ".join(SENTENCES[:6]),  # all eight run past 30 s, beyond one window
}


def espeak(text: str) -> Audio:
    """``text`` spoken by the espeak-ng command line, float32 mono at 16 kHz."""
    out = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True,
                         check=True, timeout=60).stdout
    with wave.open(io.BytesIO(out), "rb") as clip:
        rate = clip.getframerate()
        pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return resample(pcm.astype(np.float32) / 32768.0, rate, SAMPLE_RATE)


def words(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row = row, [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1] / max(len(ref), 1)


def measure(model: str, engine: str, runs: int, threads: int) -> list[dict[str, object]]:
    """Every clip and window for one model on one engine, in this process."""
    clips = {name: espeak(text) for name, text in CLIPS.items()}
    rows: list[dict[str, object]] = []
    for trim in (True, False):
        transcriber = make_transcriber(TranscriberOptions(
            engine=engine, model=model, trim_window=trim, cpu_threads=threads))
        for name, audio in clips.items():
            result = transcriber.transcribe(audio, "en")  # warm-up (and model load)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                result = transcriber.transcribe(audio, "en")
                times.append(time.perf_counter() - start)
            rows.append({
                "engine": engine, "model": model, "trim_window": trim, "clip": name,
                "audio_s": round(len(audio) / SAMPLE_RATE, 2),
                "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                "wer": round(word_error_rate(CLIPS[name], result.text), 3),
                "window_used": transcriber.last_window, "text": result.text,
            })
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    for row in rows:
        row["peak_rss_mb"] = peak_mb
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per cell (median)")
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    parser.add_argument("--engines", nargs="+", default=["faster-whisper", "openai-whisper"])
    parser.add_argument("--threads", type=int, default=0, help="engine threads; 0 = default")
    parser.add_argument("--pair", nargs=2, metavar=("MODEL", "ENGINE"),
                        help=argparse.SUPPRESS)  # internal: measure one pair, print JSON rows
    args = parser.parse_args()
    if args.pair:
        for row in measure(args.pair[0], args.pair[1], args.runs, args.threads):
            print(json.dumps(row, ensure_ascii=False))
        return 0

    header = (f"{'engine':<15}{'model':<9}{'window':<7}{'clip':>5}{'audio s':>9}{'median s':>10}"
              f"{'min s':>8}{'WER':>6}{'RSS MB':>8}  used")
    print(header)
    print("-" * len(header))
    rows = []
    for model in args.models:
        for engine in args.engines:
            child = subprocess.run(
                [sys.executable, __file__, "--pair", model, engine, "--runs", str(args.runs),
                 "--threads", str(args.threads)], capture_output=True, text=True, check=False)
            if child.returncode != 0:
                print(f"{engine} {model}: failed: {child.stderr.strip().splitlines()[-1:]}")
                return 1
            for line in child.stdout.splitlines():
                row = json.loads(line)
                rows.append(row)
                print(f"{engine:<15}{model:<9}{'short' if row['trim_window'] else 'full':<7}"
                      f"{row['clip']:>5}{row['audio_s']:>9.2f}{row['median_s']:>10.3f}"
                      f"{row['min_s']:>8.3f}{row['wer']:>6.2f}{row['peak_rss_mb']:>8}"
                      f"  {row['window_used']}", flush=True)
    summary = {
        "benchmark": "transcribe", "runs": args.runs, "cpus": os.cpu_count(),
        "threads": args.threads, "machine": platform.machine(), "results": rows,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
