"""The ``voicesim`` command: parses arguments and wires adapters to the core, nothing else.

Every error a user can cause ends as one line on stderr ("voicesim: error: ...") and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicesim import __version__
from voicesim.errors import VoicesimError

EXIT_USAGE = 2


def _personas(args: argparse.Namespace) -> list[Any]:
    from voicesim.core.personas import load_personas

    return load_personas([Path(p) for p in args.paths] if getattr(args, "paths", None) else None)


def cmd_personas_list(args: argparse.Namespace) -> int:
    personas = [p for p in _personas(args) if not args.lang or p.language == args.lang]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": p.id,
                        "language": p.language,
                        "title": p.title,
                        "difficulty": p.difficulty,
                        "start_level": int(p.temper.start_level),
                        "path": str(p.path),
                    }
                    for p in personas
                ],
                ensure_ascii=False,
            )
        )
        return 0
    for p in personas:
        print(f"{p.id:<28}{p.language:<4}{p.difficulty:<8}{p.title}")
    return 0


def cmd_personas_check(args: argparse.Namespace) -> int:
    personas = _personas(args)
    print(f"{len(personas)} persona file(s) OK")
    return 0


def cmd_lexicons_check(args: argparse.Namespace) -> int:
    from voicesim.core.lexicon import LEXICON_DIR, SUPPORTED_LANGUAGES, load_lexicon_file

    for lang in SUPPORTED_LANGUAGES:
        lexicon = load_lexicon_file(LEXICON_DIR / f"{lang}.toml")
        print(f"{lang}: {len(lexicon.rules)} labels OK")
    return 0


def cmd_score_text(args: argparse.Namespace) -> int:
    from voicesim.scoring import scorer_named

    score_reply = scorer_named().score
    if args.text is not None:
        print(json.dumps(score_reply(args.text, args.lang or "en").to_dict(), ensure_ascii=False))
        return 0
    failures = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError('each line must be an object with a "text" string')
            lang = row.get("lang") or args.lang or "en"
            result: dict[str, Any] = score_reply(row["text"], lang).to_dict()
        except (ValueError, VoicesimError) as exc:
            failures += 1
            result = {"error": f"stdin line {number}: {exc}", "labels": [], "evidence": []}
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def cmd_score(args: argparse.Namespace) -> int:
    from voicesim.score_audio import score_audio_files

    failures = 0
    for result in score_audio_files(
        [Path(f) for f in args.files], args.lang, args.engine, args.model
    ):
        failures += "error" in result
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        elif "error" in result:
            print(f"{result['file']}: error: {result['error']}", flush=True)
        else:
            quotes = (
                "; ".join(f'{e["label"]}: "{e["phrase"]}"' for e in result["evidence"])
                or "no moves"
            )
            print(f'{result["file"]}: "{result["text"]}"\n    {quotes}', flush=True)
    return 1 if failures else 0


def cmd_devices(args: argparse.Namespace) -> int:
    from voicesim.speech.audio_io import list_devices

    devices = list_devices()
    if not devices:
        print("no audio devices found (is PortAudio installed and a sound server running?)")
        return 1
    print(f"{'#':>3}  {'in':>3} {'out':>3}  {'rate':>6}  name")
    for d in devices:
        mark = (" <- default input" if d.is_default_input else "") + (
            " <- default output" if d.is_default_output else ""
        )
        print(
            f"{d.index:>3}  {d.max_input_channels:>3} {d.max_output_channels:>3}  "
            f"{d.default_samplerate:>6.0f}  {d.name} ({d.host_api}){mark}"
        )
    print("Pick one with --input-device / --output-device (number or part of the name).")
    return 0


def cmd_models_prepare(args: argparse.Namespace) -> int:
    from voicesim.speech.models import prepare_models

    for line in prepare_models():
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voicesim", description="Practise de-escalating angry callers, offline."
    )
    parser.add_argument("--version", action="version", version=f"voicesim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    personas = commands.add_parser("personas", help="list or validate persona files")
    persona_commands = personas.add_subparsers(
        dest="personas_command", required=True, metavar="ACTION"
    )
    listing = persona_commands.add_parser("list", help="list personas")
    listing.add_argument(
        "--json", action="store_true", help="one JSON array of {id, language, ...}"
    )
    listing.add_argument("--lang", help="only personas in this language")
    listing.set_defaults(handler=cmd_personas_list)
    check = persona_commands.add_parser("check", help="validate persona files (default: all)")
    check.add_argument("paths", nargs="*", help="persona files or folders")
    check.set_defaults(handler=cmd_personas_check)

    lexicons = commands.add_parser("lexicons", help="validate the scorer's phrase lexicons")
    lexicons.add_argument("action", choices=["check"])
    lexicons.set_defaults(handler=cmd_lexicons_check)

    score_text = commands.add_parser("score-text", help="label a reply (or JSON lines on stdin)")
    score_text.add_argument("text", nargs="?", help="the reply; omit to read JSON lines from stdin")
    score_text.add_argument("--lang", help="en, da, nl, sv or pl (default en)")
    score_text.set_defaults(handler=cmd_score_text)

    from voicesim.practice.commands import add_practice_commands

    add_practice_commands(commands)  # practice and demo

    score = commands.add_parser("score", help="transcribe and score recorded replies")
    score.add_argument("files", nargs="+", help="audio files (WAV, FLAC, MP3, M4A, Ogg, WebM)")
    score.add_argument("--lang", default="en", help="language of the replies (default en)")
    score.add_argument(
        "--engine", default="faster-whisper", help="faster-whisper or openai-whisper"
    )
    score.add_argument("--model", help="Whisper model name or folder (default tiny.en / base)")
    score.add_argument("--json", action="store_true", help="one JSON object per file (JSON lines)")
    score.set_defaults(handler=cmd_score)

    devices = commands.add_parser("devices", help="list microphones and headphones")
    devices.set_defaults(handler=cmd_devices)

    models = commands.add_parser("models", help="prepare the offline Whisper weights")
    models.add_argument("action", choices=["prepare"])
    models.set_defaults(handler=cmd_models_prepare)

    # Each of these imports only argparse-level code; their packages load when a command runs.
    from voicesim.batch.commands import add_batch_command
    from voicesim.scoring.commands import add_scorer_command
    from voicesim.store.commands import add_store_commands
    from voicesim.web.commands import add_serve_command

    add_store_commands(commands)
    add_batch_command(commands)
    add_serve_command(commands)
    add_scorer_command(commands)
    for name in SCORING_COMMANDS:
        commands.choices[name].add_argument(
            "--scorer",
            help="lexicon or hybrid (default: VOICESIM_SCORER, else hybrid); workers inherit it",
        )
    return parser


# The commands that score replies; --scorer picks the scorer for them and their workers.
SCORING_COMMANDS = ("score-text", "practice", "score", "batch", "serve", "demo")


def _choose_scorer(args: argparse.Namespace) -> None:
    """``--scorer`` becomes ``VOICESIM_SCORER`` so that worker processes score alike."""
    if getattr(args, "scorer", None):
        from voicesim.scoring import SCORER_ENV, scorer_name

        os.environ[SCORER_ENV] = scorer_name(args.scorer)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _choose_scorer(args)
        return int(args.handler(args))
    except VoicesimError as exc:
        print(f"voicesim: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("voicesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
