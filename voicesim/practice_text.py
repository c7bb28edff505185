"""Text-mode practice: the same call as the voice loop, typed at the terminal or scripted.

Interactive mode reads replies from the keyboard; scripted mode (``--replies FILE``) takes
them from a file, one per line (an empty line is silence), and is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from voicesim.core.call import CallRecord, PracticeCall
from voicesim.core.personas import Persona
from voicesim.errors import RepliesFileError
from voicesim.scoring import scorer_named
from voicesim.terminal import Screen


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


def run_scripted(
    persona: Persona, replies: Iterable[str], seed: int | None, screen: Screen | None = None
) -> CallRecord:
    """Play a whole call with replies from a list; stop when the call or the replies end."""
    call = PracticeCall(persona, seed=seed, mode="text", scorer=scorer_named().score)
    opening = call.start()
    if screen:
        screen.briefing(persona)
        screen.caller(persona, opening)
    for reply in replies:
        if call.over:
            break
        record, answer = call.answer(reply)
        if screen:
            screen.write(f"you: {reply}")
            screen.labels(record)
            screen.caller(persona, answer)
    if not call.over:
        call.end()
    if screen and call.record.scorecard:
        screen.scorecard(call.record.scorecard)
    return call.record


def run_interactive(
    persona: Persona, seed: int | None, screen: Screen, ask: Callable[[str], str] = input
) -> CallRecord:
    """A live typed call: show the caller's line and level, read a reply, show what it did."""
    call = PracticeCall(persona, seed=seed, mode="text", scorer=scorer_named().score)
    screen.briefing(persona)
    screen.caller(persona, call.start())
    try:
        while not call.over:
            reply = ask("you> ")
            record, answer = call.answer(reply)
            screen.labels(record)
            screen.caller(persona, answer)
    except (EOFError, KeyboardInterrupt):
        screen.write()
        screen.write("(call ended by you)")
    if not call.over:
        call.end()
    if call.record.scorecard:
        screen.scorecard(call.record.scorecard)
    return call.record
