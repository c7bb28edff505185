"""``voicesim practice`` and ``voicesim demo``: the live call from the command line.

Registered by ``add_practice_commands``. Flags default to None so that the settings object
decides (a flag given wins over its ``VOICESIM_*`` variable); the speech packages load only
when a spoken call starts, so ``voicesim --help`` and the text mode need none of them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from voicesim.errors import VoicesimError


def add_practice_commands(commands: Any) -> None:
    """Register ``practice`` and ``demo`` on the ``voicesim`` subcommand parser."""
    practice = commands.add_parser("practice", help="practise a call with a persona")
    practice.add_argument(
        "--persona", required=True, help="persona id (see `voicesim personas list`)"
    )
    practice.add_argument("--lang", help="the persona's language, when the id exists in several")
    practice.add_argument("--text", action="store_true", help="type replies instead of speaking")
    practice.add_argument("--replies", help="text mode: take replies from FILE, one per line")
    practice.add_argument("--seed", type=int, help="make the caller's line choices reproducible")
    practice.add_argument(
        "--json", action="store_true", help="with --replies: print the call as one JSON object"
    )
    practice.add_argument("--no-save", action="store_true", help="do not save the session")
    practice.add_argument(
        "--sessions-dir",
        help="folder for saved calls (VOICESIM_SESSIONS_DIR; default: sessions/ in the data "
        "folder, VOICESIM_DATA_DIR)",
    )
    practice.add_argument(
        "--trainee", help="your name, stored with the session (VOICESIM_TRAINEE; default $USER)"
    )
    voice = practice.add_argument_group("voice mode (the default)")
    voice.add_argument(
        "--engine", help="transcription engine: faster-whisper or openai-whisper (VOICESIM_ENGINE)"
    )
    voice.add_argument(
        "--model", help="Whisper model name or folder (VOICESIM_MODEL); default tiny.en / base"
    )
    voice.add_argument("--tts", help="caller voice: espeak or piper (VOICESIM_TTS)")
    voice.add_argument(
        "--input-device",
        help="microphone index or name (VOICESIM_INPUT_DEVICE; `voicesim devices`)",
    )
    voice.add_argument("--output-device", help="headphones index or name (VOICESIM_OUTPUT_DEVICE)")
    voice.add_argument(
        "--end-of-turn-ms",
        dest="end_of_turn_silence_ms",
        type=int,
        help="pause that ends your turn, in ms (VOICESIM_END_OF_TURN_SILENCE_MS; default 700)",
    )
    voice.add_argument(
        "--max-reply-s",
        type=float,
        help="longest reply in seconds (VOICESIM_MAX_REPLY_S; default 30)",
    )
    voice.add_argument(
        "--no-speech-timeout-s",
        type=float,
        help="silence before the caller asks if you are there (VOICESIM_NO_SPEECH_TIMEOUT_S; "
        "default 8)",
    )
    practice.set_defaults(handler=cmd_practice)

    demo = commands.add_parser(
        "demo", help="watch two scripted calls: a good trainee and a rude one"
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_practice(args: argparse.Namespace) -> int:
    from voicesim.core.personas import find_persona, load_personas
    from voicesim.settings import settings_from_args

    settings = settings_from_args(args)
    persona = find_persona(load_personas(), args.persona, args.lang)
    if not args.text:
        from voicesim.practice.headset import run_headset_call

        return run_headset_call(persona, settings, args.seed, save=not args.no_save)

    from voicesim.practice.events import fan_out
    from voicesim.practice.live_call import LiveCall
    from voicesim.practice.screen import Screen
    from voicesim.practice.session_writer import SessionWriter, record_in_database
    from voicesim.practice.text_call import read_replies, run_interactive, run_scripted
    from voicesim.store.session_folder import SESSION_FILE, new_session_folder

    if args.json and not args.replies:
        raise VoicesimError(
            "--json needs --replies FILE (an interactive call has no single JSON answer)"
        )
    replies = read_replies(Path(args.replies)) if args.replies else None
    call = LiveCall(persona, seed=args.seed)
    writer = None
    if not args.no_save:
        folder = new_session_folder(call.record, settings.sessions_dir)
        writer = SessionWriter(folder, call.record, settings.trainee)
    screen = None if args.json else Screen(persona)
    sink = fan_out(screen, writer)
    if replies is not None:
        record = run_scripted(call, replies, sink, screen)
    else:
        assert screen is not None
        record = run_interactive(call, sink, screen)
    if writer is not None:
        stored = record_in_database(writer.folder, settings.trainee)
        saved = writer.folder / SESSION_FILE
        if args.json:
            print(f"voicesim: session saved: {saved}; {stored}", file=sys.stderr)
        else:
            print(f"\nSession saved: {saved}\n  {stored}")
    if args.json:
        print(json.dumps(record.to_dict(), ensure_ascii=False))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on its defaults: two scripted calls, a good trainee and a rude one."""
    from voicesim.core.personas import find_persona, load_personas
    from voicesim.practice.demo import DEMO_PERSONA, DEMO_REPLIES, DEMO_TRAINEES
    from voicesim.practice.events import fan_out
    from voicesim.practice.live_call import LiveCall
    from voicesim.practice.screen import Screen
    from voicesim.practice.session_writer import SessionWriter, record_in_database
    from voicesim.practice.text_call import run_scripted
    from voicesim.settings import load_settings
    from voicesim.store.session_folder import SESSION_FILE, new_session_folder

    settings = load_settings()
    persona = find_persona(load_personas(), DEMO_PERSONA, "en")
    for (title, replies), trainee in zip(DEMO_REPLIES.items(), DEMO_TRAINEES, strict=True):
        print(f"\n######## Demo: {title} ########\n")
        call = LiveCall(persona, seed=1)
        writer = SessionWriter(
            new_session_folder(call.record, settings.sessions_dir), call.record, trainee
        )
        screen = Screen(persona)
        run_scripted(call, replies, fan_out(screen, writer), screen)
        saved = writer.folder / SESSION_FILE
        print(f"\nSession saved: {saved}\n  {record_in_database(writer.folder, trainee)}")
    print("\nReview both calls in your browser: voicesim serve")
    return 0
