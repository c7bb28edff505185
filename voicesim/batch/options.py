"""The settings of a batch run; every field that changes a result is part of ``settings_id``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

AgentChannel = Literal["left", "right"]

# Bumped when the per-file pipeline changes what it produces, so old rows are not reused.
PIPELINE_VERSION = 2


@dataclass(frozen=True)
class BatchOptions:
    """How each file is scored (the same for every worker)."""

    lang: str = "en"  # language of the recordings; forced on Whisper and the scorer
    engine: str = "faster-whisper"  # transcription engine (a key of transcribers.BACKENDS)
    model: str | None = None  # Whisper model name or folder; None: tiny.en for en, base otherwise
    agent_channel: AgentChannel = "left"  # which channel of a stereo call is the agent
    cpu_threads: int = 0  # engine threads per worker; 0: cores divided by workers
    window_s: float = 300.0  # longest stretch decoded at once; bounds memory on long files
    reply_max_s: float = 45.0  # a mono file up to this long is one reply, longer is a call
    turn_gap_s: float = 1.0  # a pause shorter than this stays inside one turn
    # Turns longer than this are transcribed in pieces, cut at pauses. Below Whisper's 30 s:
    # a 28 s piece of repetitive speech failed the compression-ratio test and went through
    # the whole temperature ladder (ten times the time); 20 s pieces did not.
    max_piece_s: float = 20.0
    keep_pause_s: float = 0.5  # longer pauses inside a piece are cut to this (encoder time)
    customer_text: bool = True  # transcribe the customer's turns too (stereo calls; context only)
    long_silence_s: float = 5.0  # a gap with nobody speaking at least this long is reported
    energy_floor_dbfs: float = -55.0  # frames quieter than this skip the VAD model (speed)

    def settings(self) -> dict[str, Any]:
        """What decides a result, as stored in every row (``cpu_threads`` does not)."""
        fields = asdict(self)
        fields.pop("cpu_threads")
        fields["pipeline_version"] = PIPELINE_VERSION
        return fields

    @property
    def settings_id(self) -> str:
        """A short stable hash of ``settings()``: rows with another id are not reused."""
        blob = json.dumps(self.settings(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
