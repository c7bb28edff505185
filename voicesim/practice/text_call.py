"""The typed call: the live call fed replies from the keyboard or a file instead of a mic.

Interactive mode reads replies from the keyboard; scripted mode (``--replies FILE``) takes
them from a file, one per line (an empty line is silence), and is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from voicesim.core.call import CallRecord
from voicesim.errors import RepliesFileError
from voicesim.practice.events import CallEvent, EventSink
from voicesim.practice.live_call import LiveCall
from voicesim.practice.screen import Screen


def read_replies(path: Path) -> list[str]:
    """The trainee's scripted replies, one per line; a blank line stands for silence."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RepliesFileError(f"{path}: no such replies file") from exc
    except UnicodeDecodeError as exc:
        raise RepliesFileError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise RepliesFileError(f"{path}: cannot read replies file: {exc.strerror}") from exc
    return text.splitlines()


def _send(sink: EventSink | None, events: list[CallEvent]) -> None:
    if sink is not None:
        for event in events:
            sink(event)


def run_scripted(
    call: LiveCall,
    replies: Iterable[str],
    sink: EventSink | None = None,
    screen: Screen | None = None,
) -> CallRecord:
    """Play a whole typed call with replies from a list; stop when the call or the replies end.

    ``screen`` (also one of the sinks) shows each reply as it is "typed"."""
    if screen is not None:
        screen.briefing()
    _send(sink, call.start())
    for reply in replies:
        if call.over:
            break
        if screen is not None:
            screen.write(f"you: {reply}")
        _send(sink, call.feed_text(reply))
    _send(sink, call.end())
    return call.record


def run_interactive(
    call: LiveCall, sink: EventSink, screen: Screen, ask: Callable[[str], str] = input
) -> CallRecord:
    """A live typed call: show the caller's line and level, read a reply, show what it did."""
    screen.briefing()
    _send(sink, call.start())
    try:
        while not call.over:
            _send(sink, call.feed_text(ask("you> ")))
    except (EOFError, KeyboardInterrupt):
        pass
    _send(sink, call.end())
    return call.record
