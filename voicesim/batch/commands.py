"""``voicesim batch PATH... --out results.jsonl|results.csv``: the command line of batch scoring."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from voicesim.batch.runners import RUNNERS


def add_batch_command(subparsers: Any) -> None:
    """Register ``batch`` on the ``voicesim`` subcommand parser."""
    parser = subparsers.add_parser(
        "batch", help="score many recordings (replies or whole calls) into JSON lines or CSV",
        description="Transcribe and score audio files and folders. Rows are appended as each "
                    "file finishes; a rerun skips files already scored at the same path with the "
                    "same bytes and settings.")
    parser.add_argument("paths", nargs="+", help="audio files and folders (walked recursively)")
    parser.add_argument("--out", required=True, help="results file: .jsonl or .csv (appended)")
    parser.add_argument("--lang", default="en", help="language of the recordings (default en)")
    parser.add_argument("--engine", default="faster-whisper",
                        help="faster-whisper (default) or openai-whisper")
    parser.add_argument("--model", help="Whisper model name or folder (default tiny.en / base)")
    parser.add_argument("--agent-channel", choices=["left", "right"], default="left",
                        help="stereo calls: the agent's channel (default left)")
    parser.add_argument("--workers", type=int, default=1,
                        help="parallel workers, each loading the model once (default 1)")
    parser.add_argument("--runner", choices=RUNNERS, default="local",
                        help="local processes (default) or Ray actors")
    parser.add_argument("--ray-address",
                        help="Ray cluster (auto, ray://host:10001); default: a local instance")
    parser.add_argument("--window-s", type=float, default=300.0,
                        help="seconds of audio decoded at once (bounds memory; default 300)")
    parser.add_argument("--no-customer-text", action="store_true",
                        help="stereo calls: time the customer's turns but do not transcribe "
                             "them (about half the work; the call facts stay the same)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    from voicesim.batch.options import BatchOptions
    from voicesim.batch.run import run_batch
    from voicesim.core.lexicon import normalize_language
    from voicesim.errors import BatchError

    if args.window_s < 30:
        raise BatchError(f"--window-s {args.window_s}: give at least 30 seconds")
    if args.ray_address and args.runner != "ray":
        raise BatchError("--ray-address needs --runner ray")
    options = BatchOptions(lang=normalize_language(args.lang), engine=args.engine,
                           model=args.model, agent_channel=args.agent_channel,
                           window_s=args.window_s, customer_text=not args.no_customer_text)
    from voicesim.speech.transcribers import TranscriberOptions, make_transcriber

    # Unknown engine, missing package or model path: one line now, not one per file.
    make_transcriber(TranscriberOptions(engine=options.engine, model=options.model))
    out = Path(args.out)
    summary = run_batch(args.paths, out, options, runner=args.runner, workers=args.workers,
                        ray_address=args.ray_address,
                        progress=not args.no_progress and sys.stderr.isatty())
    print(f"voicesim batch: {summary.scored} scored, {summary.failed} with errors, "
          f"{summary.already_done} already in {out}, {summary.audio_s / 3600:.2f} audio h",
          file=sys.stderr)
    return 0
