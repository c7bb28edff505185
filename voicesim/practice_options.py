"""Flags of ``voicesim practice``; their defaults come from the settings object.

Kept apart from the loop itself so ``voicesim --help`` works without any speech package.
Every flag defaults to None: the settings object (``voicesim.settings``) fills it from its
``VOICESIM_*`` variable, so a flag given wins over the variable.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from voicesim.settings import settings_from_args


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
    sessions_dir: str  # where calls are saved (session.json, call.wav, turn-NN.wav)
    trainee: str  # the trainee's name, stored with the session


def add_voice_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sessions-dir",
        help="folder for saved calls (VOICESIM_SESSIONS_DIR; default: sessions/ in the data "
        "folder, VOICESIM_DATA_DIR)",
    )
    parser.add_argument(
        "--trainee", help="your name, stored with the session (VOICESIM_TRAINEE; default $USER)"
    )
    voice = parser.add_argument_group("voice mode (the default)")
    voice.add_argument(
        "--engine", help="transcription engine: faster-whisper or openai-whisper (VOICESIM_ENGINE)"
    )
    voice.add_argument(
        "--model", help="Whisper model name or folder (VOICESIM_MODEL); default tiny.en / base"
    )
    voice.add_argument("--tts", help="caller voice: espeak or piper (VOICESIM_TTS)")
    voice.add_argument(
        "--input-device", help="microphone index or name (VOICESIM_INPUT_DEVICE; `voicesim devices`)"
    )
    voice.add_argument(
        "--output-device", help="headphones index or name (VOICESIM_OUTPUT_DEVICE)"
    )
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


def voice_settings(args: argparse.Namespace) -> VoiceSettings:
    settings = settings_from_args(args)
    return VoiceSettings(
        engine=settings.engine,
        model=settings.model,
        tts=settings.tts,
        input_device=settings.input_device,
        output_device=settings.output_device,
        end_of_turn_silence_ms=settings.end_of_turn_silence_ms,
        max_reply_s=settings.max_reply_s,
        no_speech_timeout_s=settings.no_speech_timeout_s,
        sessions_dir=str(settings.sessions_dir),
        trainee=settings.trainee,
    )
