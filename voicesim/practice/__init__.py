"""The live practice call as a use case: audio frames (or typed replies) in, events out.

``LiveCall`` owns the end-of-turn decision, transcription, scoring, the staircase engine and
the caller's voice; transports around it only move audio and report playback: the headset
(``headset.HeadsetTransport`` on sounddevice), the typed call (``text_call``), a browser
connection, and tests on the fakes of ``voicesim.core.fakes``. Sinks (``screen.Screen``,
``session_writer.SessionWriter``) show and keep what the events say.

This face names what other packages may use. Its names load on first use, so the command
line (which imports ``voicesim.practice.commands``) starts without numpy or pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicesim.practice.events import (
        CallEnded,
        CallerLine,
        CallerLineEnded,
        CallerLineStarted,
        CallEvent,
        EventSink,
        Interruption,
        ReplyHeard,
        ReplyScored,
        SpeechStarted,
        TraineeAudio,
        fan_out,
    )
    from voicesim.practice.live_call import LiveCall, TurnMeasure
    from voicesim.practice.session_writer import SessionWriter, record_in_database
    from voicesim.practice.turn_taking import TurnOptions, TurnTaker

_HOMES = {
    "CallEnded": "voicesim.practice.events",
    "CallEvent": "voicesim.practice.events",
    "CallerLine": "voicesim.practice.events",
    "CallerLineEnded": "voicesim.practice.events",
    "CallerLineStarted": "voicesim.practice.events",
    "EventSink": "voicesim.practice.events",
    "Interruption": "voicesim.practice.events",
    "LiveCall": "voicesim.practice.live_call",
    "ReplyHeard": "voicesim.practice.events",
    "ReplyScored": "voicesim.practice.events",
    "SessionWriter": "voicesim.practice.session_writer",
    "SpeechStarted": "voicesim.practice.events",
    "TraineeAudio": "voicesim.practice.events",
    "TurnMeasure": "voicesim.practice.live_call",
    "TurnOptions": "voicesim.practice.turn_taking",
    "TurnTaker": "voicesim.practice.turn_taking",
    "fan_out": "voicesim.practice.events",
    "record_in_database": "voicesim.practice.session_writer",
}

__all__ = [
    "CallEnded",
    "CallEvent",
    "CallerLine",
    "CallerLineEnded",
    "CallerLineStarted",
    "EventSink",
    "Interruption",
    "LiveCall",
    "ReplyHeard",
    "ReplyScored",
    "SessionWriter",
    "SpeechStarted",
    "TraineeAudio",
    "TurnMeasure",
    "TurnOptions",
    "TurnTaker",
    "fan_out",
    "record_in_database",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'voicesim.practice' has no attribute {name!r}")
    return getattr(import_module(home), name)
