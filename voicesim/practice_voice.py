"""Wiring of the live headset call: real devices, Whisper, espeak and the session folder."""

from __future__ import annotations

import argparse

from voicesim.core.call import CallRecord
from voicesim.core.personas import Persona
from voicesim.practice_options import voice_settings
from voicesim.sessions import new_session_folder, record_in_database
from voicesim.settings import settings_from_args
from voicesim.terminal import Screen


def run_voice_call(persona: Persona, args: argparse.Namespace) -> int:
    """``voicesim practice --persona ID``: one spoken call on the chosen devices."""
    from pathlib import Path

    from voicesim.core.call import PracticeCall
    from voicesim.speech.audio_io import Microphone, Player
    from voicesim.speech.recording import CallRecorder
    from voicesim.speech.transcribers import TranscriberOptions, make_transcriber
    from voicesim.speech.tts import make_synthesizer
    from voicesim.speech.turns import TurnOptions
    from voicesim.speech.vad import load_vad
    from voicesim.voice_call import VoiceCall

    settings = voice_settings(args)
    screen = Screen()
    # Devices first: a missing headset should fail before the model takes seconds to load.
    player = Player(settings.output_device)
    synthesizer = make_synthesizer(settings.tts)
    transcriber = make_transcriber(TranscriberOptions(engine=settings.engine, model=settings.model))
    screen.write(f"Loading {transcriber.model_for(persona.language)} ({settings.engine}) ...")
    transcriber.engine_for(persona.language)
    vad = load_vad().stream()
    root = Path(settings.sessions_dir)
    folder = new_session_folder(PracticeCall(persona).record, root)
    turn_options = TurnOptions.from_settings(settings_from_args(args))
    with (
        CallRecorder(folder / "call.wav") as recorder,
        Microphone(
            settings.input_device, tap=lambda stamp, frame: recorder.add_trainee(frame, stamp)
        ) as microphone,
    ):
        screen.briefing(persona)
        screen.write(
            "Speak when the caller has finished; a pause ends your turn. Ctrl-C ends the call.\n"
        )
        call = VoiceCall(
            persona,
            synthesizer=synthesizer,
            transcriber=transcriber,
            player=player,
            microphone=microphone,
            vad=vad,
            folder=folder,
            recorder=recorder,
            turn_options=turn_options,
            screen=screen,
            trainee=settings.trainee,
            seed=args.seed,
        )
        record: CallRecord = call.run()
    screen.write(f"\nSession saved: {folder} (call.wav: caller left, you right)")
    screen.write(f"  {record_in_database(folder, settings.trainee)}")
    return 0 if record.closing is not None else 1
