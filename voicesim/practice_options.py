"""Settings of the voice practice loop: flags, with ``VOICESIM_*`` environment defaults.

Kept apart from the loop itself so ``voicesim --help`` works without any speech package.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from voicesim.errors import ConfigError


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"VOICESIM_{name}", default)


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"VOICESIM_{name}={raw!r} is not a number") from exc


@dataclass(frozen=True)
class VoiceSettings:
    """How the live headset call runs."""

    engine: str  # transcription engine: faster-whisper (default) or openai-whisper
    model: str | None  # Whisper model name or folder; None = tiny.en for English, base otherwise
    tts: str  # caller voice: espeak (default) or piper (English, when installed)
    input_device: str | None  # microphone, by index or name part; None = system default
    output_device: str | None  # headphones, by index or name part; None = system default
    end_of_turn_silence_ms: int  # how long a pause ends the trainee's turn
    max_reply_s: float  # a reply is cut after this long
    no_speech_timeout_s: float  # silence this long makes the caller ask "are you still there?"
    sessions_dir: str | None  # where call recordings (WAV + JSON) go; None: the data folder
    trainee: str  # the trainee's name, stored with the session


def add_voice_arguments(parser: argparse.ArgumentParser) -> None:
    voice = parser.add_argument_group("voice mode (the default)")
    voice.add_argument(
        "--engine",
        default=_env("ENGINE", "faster-whisper"),
        help="transcription engine: faster-whisper or openai-whisper (VOICESIM_ENGINE)",
    )
    voice.add_argument(
        "--model",
        default=_env("MODEL"),
        help="Whisper model name or folder (VOICESIM_MODEL); default tiny.en / base",
    )
    voice.add_argument(
        "--tts", default=_env("TTS", "espeak"), help="caller voice: espeak or piper (VOICESIM_TTS)"
    )
    voice.add_argument(
        "--input-device",
        default=_env("INPUT_DEVICE"),
        help="microphone index or name (see `voicesim devices`)",
    )
    voice.add_argument(
        "--output-device", default=_env("OUTPUT_DEVICE"), help="headphones index or name"
    )
    voice.add_argument(
        "--end-of-turn-ms",
        type=int,
        default=int(_env_float("END_OF_TURN_MS", 700)),
        help="pause that ends your turn, in ms (default 700)",
    )
    voice.add_argument(
        "--max-reply-s",
        type=float,
        default=_env_float("MAX_REPLY_S", 30.0),
        help="longest reply in seconds (default 30)",
    )
    voice.add_argument(
        "--no-speech-timeout-s",
        type=float,
        default=_env_float("NO_SPEECH_TIMEOUT_S", 8.0),
        help="silence before the caller asks if you are there (default 8)",
    )
    voice.add_argument(
        "--sessions-dir",
        default=_env("SESSIONS_DIR"),
        help="folder for call recordings (VOICESIM_SESSIONS_DIR; default: "
        "sessions/ in the data folder, VOICESIM_DATA_DIR)",
    )
    voice.add_argument(
        "--trainee",
        default=_env("TRAINEE", os.environ.get("USER", "trainee")),
        help="your name, stored with the session (VOICESIM_TRAINEE)",
    )


def voice_settings(args: argparse.Namespace) -> VoiceSettings:
    if args.end_of_turn_ms < 100:
        raise ConfigError(f"--end-of-turn-ms {args.end_of_turn_ms} is too short; use 300-2000")
    if args.max_reply_s <= 1 or args.no_speech_timeout_s <= 0:
        raise ConfigError("--max-reply-s must be above 1 and --no-speech-timeout-s above 0")
    return VoiceSettings(
        engine=args.engine,
        model=args.model,
        tts=args.tts,
        input_device=args.input_device,
        output_device=args.output_device,
        end_of_turn_silence_ms=args.end_of_turn_ms,
        max_reply_s=args.max_reply_s,
        no_speech_timeout_s=args.no_speech_timeout_s,
        sessions_dir=args.sessions_dir,
        trainee=args.trainee,
    )
