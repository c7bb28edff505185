"""Turn latency of the live loop: from the end-of-turn decision to the caller's next line.

    python scripts/bench_turn.py [--turns 12]

For each configuration (engine x model, and the full 30 s Whisper window for comparison) a
fresh process plays a scripted call on the live call object (``voicesim.practice.LiveCall``):
every trainee reply is real espeak speech followed by silence, fed frame by frame through
Silero VAD end-of-turn detection exactly as the microphone would deliver it. From the moment
VAD decides the turn is over the call times the transcription, the scoring plus the engine's
decision, and the caller's TTS, until the line is ready to play. The output
device adds its own buffer (10-20 ms on PulseAudio at low latency; the live loop records the
real figure per turn as ``system_latency_s`` in session.json). Peak RSS is per process, so it is
what the live loop of that configuration needs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
import wave

import numpy as np

REPLIES = [
    "I'm so sorry your present hasn't arrived. That sounds really upsetting. What happened?",
    "So it was guaranteed for yesterday and the tracking has been stuck for days.",
    "I completely understand why you're frustrated.",
    "Can you tell me what the tracking page says right now?",
    "I'd like to come back to that afterwards, but first let's sort out your order.",
    "I want to help you, but I won't be shouted at.",
    "That was my mistake, I'm sorry I interrupted you.",
    "Calm down, as I said, it's not my department.",
    "Here is what I'll do: I'll send a replacement by express courier today, and you'll have "
    "it by noon tomorrow.",
    "I'll email you the tracking number within the hour.",
    "Who did you speak to when you called this morning?",
    "Let me make sure I've got this right: the bracelet was engraved with your wedding date.",
]
CONFIGS = [  # (label, engine, model, trim_window)
    ("faster-whisper tiny.en", "faster-whisper", "tiny.en", True),
    ("openai-whisper tiny.en", "openai-whisper", "tiny.en", True),
    ("faster-whisper base", "faster-whisper", "base", True),
    ("openai-whisper base", "openai-whisper", "base", True),
    ("faster-whisper tiny.en, full 30 s window", "faster-whisper", "tiny.en", False),
]


def espeak(text: str) -> np.ndarray:
    from voicesim.core.ports import SAMPLE_RATE
    from voicesim.speech.resample import resample

    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(wav), "rb") as clip:
        rate = clip.getframerate()
        pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    return resample(pcm.astype(np.float32) / 32768.0, rate, SAMPLE_RATE)


def child(engine: str, model: str, trim: bool, turns: int) -> dict[str, object]:
    """One configuration in this process: the live call itself, timed per turn."""
    from voicesim.core.personas import find_persona, load_personas
    from voicesim.core.ports import SAMPLE_RATE
    from voicesim.practice import CallerLine, LiveCall, ReplyHeard
    from voicesim.practice.turn_taking import FRAME_SAMPLES
    from voicesim.speech.transcribers import TranscriberOptions, make_transcriber
    from voicesim.speech.tts import make_synthesizer
    from voicesim.speech.vad import load_vad

    persona = find_persona(load_personas(), "valentine-gift", "en")
    transcriber = make_transcriber(TranscriberOptions(engine=engine, model=model, trim_window=trim))
    synthesizer = make_synthesizer("espeak")
    vad = load_vad().stream()
    silence = np.zeros(int(1.5 * SAMPLE_RATE), dtype=np.float32)
    clips = [np.concatenate([silence[:4000], espeak(text), silence]) for text in REPLIES]
    transcriber.transcribe(clips[0], "en")  # load and warm the model outside the timing
    synthesizer.synthesize("Warming up.", "en", persona.temper.start_level, persona.voice)
    vad_frames = 0
    vad_seconds = 0.0

    class TimedVad:  # Silero, with its per-frame cost measured
        def reset(self) -> None:
            vad.reset()

        def probability(self, frame: np.ndarray) -> float:
            nonlocal vad_frames, vad_seconds
            began = time.perf_counter()
            value = vad.probability(frame)
            vad_seconds += time.perf_counter() - began
            vad_frames += 1
            return value

    def played(call: LiveCall, events: list[object]) -> None:
        """The caller's line is ready: report it heard (and over) at once; no device here."""
        for event in events:
            if isinstance(event, CallerLine):
                call.caller_started(event.line_id, time.monotonic())
                call.caller_stopped(event.line_id, time.monotonic(), 0)

    rows = []
    call: LiveCall | None = None
    for index in range(turns):
        if call is None or call.over:
            call = LiveCall(persona, transcriber=transcriber, synthesizer=synthesizer,
                            vad=TimedVad(), seed=index + 1)
            played(call, call.start())
        clip = clips[index % len(clips)]
        vad_frames, vad_seconds = 0, 0.0
        base = time.monotonic() + 0.001  # frames arrive from now on, as from a microphone
        heard: ReplyHeard | None = None
        for start in range(0, clip.size, FRAME_SAMPLES):
            events = call.feed_audio(clip[start:start + FRAME_SAMPLES],
                                     base + start / SAMPLE_RATE)
            played(call, events)
            heard = next((e for e in events if isinstance(e, ReplyHeard)), None)
            if heard is not None:
                break
        assert heard is not None, "the turn did not end within the clip"
        measure = call.measures[-1]
        rows.append(
            {
                "vad_frame_ms": 1000 * vad_seconds / max(1, vad_frames),
                "transcribe_s": measure.transcribe_s,
                "score_s": measure.score_s,
                "tts_s": measure.tts_s,
                "total_s": measure.total_s + vad_seconds / max(1, vad_frames),
                "reply_s": heard.timing.speaking_s,
                "words": len(heard.text.split()),
            }
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    median = {key: statistics.median(float(row[key]) for row in rows) for key in rows[0]}
    return {"turns": len(rows), "median": median, "peak_rss_mb": round(peak_kb / 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=12, help="turns per configuration (>= 10)")
    parser.add_argument(
        "--child", nargs=3, metavar=("ENGINE", "MODEL", "TRIM"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        engine, model, trim = args.child
        print(json.dumps(child(engine, model, trim == "1", args.turns)))
        return 0

    results: dict[str, dict[str, object]] = {}
    print(f"{args.turns} turns per configuration, median per turn, seconds (VAD: ms per frame)")
    print(
        f"{'configuration':<42}{'total':>7}{'whisper':>9}{'score':>7}{'tts':>7}{'vad ms':>8}{'RSS MB':>8}"
    )
    for label, engine, model, trim in CONFIGS:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--turns",
                str(args.turns),
                "--child",
                engine,
                model,
                "1" if trim else "0",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{label:<42} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results[label] = result
        m = result["median"]
        assert isinstance(m, dict)
        print(
            f"{label:<42}{m['total_s']:>7.3f}{m['transcribe_s']:>9.3f}{m['score_s']:>7.4f}"
            f"{m['tts_s']:>7.3f}{m['vad_frame_ms']:>8.2f}{result['peak_rss_mb']:>8}"
        )

    def total(label: str) -> float | None:
        entry = results.get(label)
        return round(float(entry["median"]["total_s"]), 3) if entry else None  # type: ignore[index]

    fast = results.get("faster-whisper tiny.en", {})
    summary = {
        "turn_latency_median_s": total("faster-whisper tiny.en"),
        "openai_whisper_turn_latency_median_s": total("openai-whisper tiny.en"),
        "base_turn_latency_median_s": total("faster-whisper base"),
        "openai_whisper_base_turn_latency_median_s": total("openai-whisper base"),
        "full_window_turn_latency_median_s": total("faster-whisper tiny.en, full 30 s window"),
        "peak_rss_mb": fast.get("peak_rss_mb"),
        "peak_rss_mb_by_config": {label: r["peak_rss_mb"] for label, r in results.items()},
        "turns": args.turns,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
