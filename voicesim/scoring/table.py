"""The scorer table: every part of voicesim that scores a reply gets its scorer here, by name.

``hybrid`` (the default) is the lexicons plus a learned semantic layer; ``lexicon`` is the
phrase lists alone. The name comes from ``--scorer`` or ``VOICESIM_SCORER``. One instance per
name is kept for the process: the hybrid scorer's encoder is loaded once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from voicesim.errors import BackendError
from voicesim.scoring.base import LexiconScorer, ReplyScorer

DEFAULT_SCORER = "hybrid"
SCORER_ENV = "VOICESIM_SCORER"


def _hybrid() -> ReplyScorer:
    from voicesim.scoring.hybrid import HybridScorer

    return HybridScorer.packaged()


_FACTORIES: dict[str, Callable[[], ReplyScorer]] = {
    "lexicon": LexiconScorer,
    "hybrid": _hybrid,
}
SCORER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
_instances: dict[str, ReplyScorer] = {}
_lock = threading.Lock()


def scorer_name(name: str | None = None) -> str:
    """The scorer asked for: ``name``, else ``VOICESIM_SCORER``, else the default; checked."""
    from voicesim.settings import load_settings

    chosen = (name or load_settings().scorer or DEFAULT_SCORER).strip().lower()
    if chosen not in _FACTORIES:
        source = "--scorer" if name else SCORER_ENV
        raise BackendError(
            f"{source}: unknown scorer {chosen!r}; choose one of: {', '.join(SCORER_NAMES)}"
        )
    return chosen


def scorer_named(name: str | None = None) -> ReplyScorer:
    """The process-wide scorer of that name (see ``scorer_name``), made on first use."""
    chosen = scorer_name(name)
    with _lock:
        if chosen not in _instances:
            _instances[chosen] = _FACTORIES[chosen]()
        return _instances[chosen]
