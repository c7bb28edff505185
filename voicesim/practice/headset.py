"""The headset transport: a microphone and headphones around the live call.

``HeadsetTransport`` feeds every microphone frame to the ``LiveCall``, plays each caller line
it hands out, and reports when the line was really heard and when it stopped (PortAudio's
own timing, on the monotonic clock the microphone stamps frames with). It works on the audio
ports, so the same loop runs on sounddevice (``run_headset_call``) and, in tests, on fakes.
"""

from __future__ import annotations

import contextlib
from typing import Any

from voicesim.core.call import CallRecord
from voicesim.core.personas import Persona
from voicesim.core.ports import FrameSource, LinePlayer, Playing
from voicesim.practice.events import CallerLine, CallEvent, EventSink, fan_out
from voicesim.practice.live_call import LiveCall
from voicesim.practice.screen import Screen
from voicesim.practice.session_writer import SessionWriter, record_in_database
from voicesim.practice.turn_taking import TurnOptions
from voicesim.settings import Settings
from voicesim.store.session_folder import CALL_AUDIO_FILE, new_session_folder


class HeadsetTransport:
    """Runs one call on a player and a frame source until it ends (or Ctrl-C)."""

    def __init__(
        self, call: LiveCall, player: LinePlayer, microphone: FrameSource, sink: EventSink
    ):
        self.call = call
        self.player = player
        self.microphone = microphone
        self.sink = sink
        self._playing: tuple[CallerLine, Playing] | None = None  # the line on the device

    def run(self) -> CallRecord:
        try:
            self._handle(self.call.start())
            for at_s, frame in self.microphone.timed_frames():
                self._check_line()
                self._handle(self.call.feed_audio(frame, at_s))
                if self.call.over:
                    break
            self._finish_line()  # the caller's last words are heard out
        except KeyboardInterrupt:
            pass  # the trainee ended the call; the scorecard follows
        finally:
            self._silence()
            self._handle(self.call.end())
        return self.call.record

    def _handle(self, events: list[CallEvent]) -> None:
        for event in events:
            self.sink(event)
            if isinstance(event, CallerLine) and event.speech is not None:
                self._silence()
                playing = self.player.start(event.speech.samples)
                self._playing = (event, playing)
                self._handle(self.call.caller_started(event.line_id, playing.wait_started()))

    def _check_line(self) -> None:
        """Report the line's end as soon as the device says it has stopped."""
        if self._playing is not None and not self._playing[1].is_playing:
            self._finish_line()

    def _finish_line(self, timeout_s: float | None = None) -> None:
        if self._playing is None:
            return
        line, playing = self._playing
        self._playing = None
        played = playing.wait(timeout_s)
        self._handle(self.call.caller_stopped(line.line_id, played.ended_s, played.played_samples))

    def _silence(self) -> None:
        """Stop and close a line still playing (Ctrl-C mid-line). A stream left open keeps
        calling into Python from the audio thread after its objects are gone, which crashed
        the process a moment after the call ended."""
        if self._playing is not None and self._playing[1].is_playing:
            self._playing[1].stop()
        self._finish_line(2.0)


def transcriber_options(settings: Settings) -> Any:
    """The live call's ``TranscriberOptions`` from the settings (``VOICESIM_WHISPER_*``)."""
    from voicesim.speech.transcribers import TranscriberOptions

    return TranscriberOptions(
        engine=settings.engine,
        model=settings.model,
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        beam_size=settings.whisper_beam_size,
        trim_window=settings.whisper_trim_window,
        word_timestamps=settings.whisper_word_timestamps,
    )


def run_headset_call(
    persona: Persona, settings: Settings, seed: int | None = None, save: bool = True
) -> int:
    """``voicesim practice --persona ID``: one spoken call on the chosen devices."""
    from voicesim.speech.audio_io import Microphone, Player
    from voicesim.speech.recording import CallRecorder
    from voicesim.speech.transcribers import make_transcriber
    from voicesim.speech.tts import make_synthesizer
    from voicesim.speech.vad import load_vad

    screen = Screen(persona)
    # Devices first: a missing headset should fail before the model takes seconds to load.
    player = Player(settings.output_device)
    microphone = Microphone(settings.input_device)
    synthesizer = make_synthesizer(settings.tts)
    transcriber = make_transcriber(transcriber_options(settings))
    screen.write(f"Loading {transcriber.model_for(persona.language)} ({settings.engine}) ...")
    transcriber.engine_for(persona.language)
    call = LiveCall(
        persona,
        transcriber=transcriber,
        synthesizer=synthesizer,
        vad=load_vad().stream(),
        turn_options=TurnOptions.from_settings(settings),
        seed=seed,
    )
    folder = new_session_folder(call.record, settings.sessions_dir) if save else None
    with contextlib.ExitStack() as stack:
        writer = None
        if folder is not None:
            recorder = stack.enter_context(CallRecorder(folder / CALL_AUDIO_FILE))
            details = {"engine": transcriber.engine, "model": transcriber.model}
            writer = SessionWriter(
                folder, call.record, settings.trainee, recorder=recorder, details=details
            )
        stack.enter_context(microphone)
        screen.briefing()
        screen.write(
            "Speak when the caller has finished; a pause ends your turn. Ctrl-C ends the call.\n"
        )
        record = HeadsetTransport(call, player, microphone, fan_out(screen, writer)).run()
    if folder is not None:
        screen.write(f"\nSession saved: {folder} (call.wav: caller left, you right)")
        screen.write(f"  {record_in_database(folder, settings.trainee)}")
    return 0 if record.closing is not None else 1
