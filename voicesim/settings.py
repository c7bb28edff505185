"""The one settings object of voicesim: every ``VOICESIM_*`` variable, and the flags over them.

``Settings`` is read from the environment (``VOICESIM_<FIELD>``, an empty value counts as
unset); a command's flags are passed in as overrides and win over the environment. The CLI,
the live call, the store, the web app and its workers all read their configuration from here,
so each variable is read in one place, validated once, and named in one line when it is wrong.

Kept a leaf (it imports only ``voicesim.errors``): the store, the web app and the practice
package may all import it. The pure core does not (standard library and numpy only), so
``VOICESIM_PERSONAS_DIR`` stays with the persona loader in ``voicesim.core.personas``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from voicesim.errors import ConfigError

ENV_PREFIX = "VOICESIM_"

# The flag that sets a field, where one does (for naming the culprit in an error).
FLAGS: dict[str, str] = {
    "sessions_dir": "--sessions-dir",
    "trainee": "--trainee",
    "scorer": "--scorer",
    "engine": "--engine",
    "model": "--model",
    "tts": "--tts",
    "input_device": "--input-device",
    "output_device": "--output-device",
    "end_of_turn_silence_ms": "--end-of-turn-ms",
    "max_reply_s": "--max-reply-s",
    "no_speech_timeout_s": "--no-speech-timeout-s",
    "host": "--host",
    "port": "--port",
}


def _default_data_dir() -> Path:
    """~/.local/share/voicesim (or under ``XDG_DATA_HOME``): recordings are personal data."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voicesim"


def _default_trainee() -> str:
    return os.environ.get("USER") or "trainee"


class Settings(BaseSettings):
    """Everything configurable, from ``VOICESIM_<FIELD>`` and flags; read once per command."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        str_strip_whitespace=True,
    )

    # --- Where things are kept ------------------------------------------------------------
    # The data folder: session folders, the default SQLite database, uploads, the web key.
    # Default ~/.local/share/voicesim (XDG_DATA_HOME moves it): recordings stay on this PC.
    data_dir: Path = Field(default_factory=_default_data_dir)
    # Where practice calls are saved (one folder per call); default <data_dir>/sessions.
    sessions_dir: Path = Path()
    # Where prepared Whisper weights are kept and looked up; default ~/.cache/voicesim/models.
    model_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "voicesim" / "models")
    # The session database (SQLAlchemy URL); default SQLite at <data_dir>/voicesim.db.
    database_url: str = ""
    # Delete sessions and finished batch jobs older than this many days (retention apply).
    retention_days: int | None = Field(default=None, ge=1)

    # --- Scoring ---------------------------------------------------------------------------
    # The reply scorer by name (lexicon or hybrid); None: the scorer table's default.
    scorer: str | None = None

    # --- The practice call -----------------------------------------------------------------
    # The trainee's name, stored with every session; default the login name ($USER).
    trainee: str = Field(default_factory=_default_trainee, min_length=1)
    # Transcription engine of the live call: faster-whisper or openai-whisper.
    engine: str = "faster-whisper"
    # Whisper model name or folder; None: tiny.en for English, base for the other languages.
    model: str | None = None
    # The caller's voice: espeak, or piper (English, when installed).
    tts: str = "espeak"
    # Microphone, by PortAudio number or part of its name; None: the system default.
    input_device: str | None = None
    # Headphones, by PortAudio number or part of its name; None: the system default.
    output_device: str | None = None
    # Pause (ms) after speech that ends the trainee's turn; below 100 ms every breath would.
    end_of_turn_silence_ms: int = Field(default=700, ge=100)
    # Longest reply kept (s); the turn ends there (Whisper's window is 30 s).
    max_reply_s: float = Field(default=30.0, gt=1)
    # Silence this long (s) after the caller's line makes the caller ask "are you there?".
    no_speech_timeout_s: float = Field(default=8.0, gt=0)
    # Audio kept before the first speech frame (ms), so the first syllable is not clipped.
    pre_roll_ms: int = Field(default=300, ge=0)
    # Trailing non-speech kept after the last speech frame (ms), so the last word is whole.
    post_roll_ms: int = Field(default=300, ge=0)
    # VAD probability from which a frame counts as speech (Silero's usual 0.5).
    speech_threshold: float = Field(default=0.5, gt=0, lt=1)
    # VAD probability under which speech ends again (hysteresis; at most speech_threshold).
    silence_threshold: float = Field(default=0.35, gt=0, lt=1)
    # Less speech than this (ms) is a cough or a click, not a reply.
    min_speech_ms: int = Field(default=250, ge=0)
    # Speech over the caller's line counts as an interruption from this long (ms) on.
    min_interruption_ms: int = Field(default=250, ge=0)
    # faster-whisper weight type in the live call (int8 is fastest on a CPU).
    whisper_compute_type: str = "int8"
    # Engine threads in the live call; 0 lets the engine choose.
    whisper_threads: int = Field(default=0, ge=0)
    # Beam width in the live call; 1 is greedy (as accurate on short replies, much faster).
    whisper_beam_size: int = Field(default=1, ge=1)
    # Give Whisper's encoder only the speech plus a margin (3.5x faster turns) instead of 30 s.
    whisper_trim_window: bool = True
    # Per-word times in transcripts (costs time; nothing in the live call needs them yet).
    whisper_word_timestamps: bool = False

    # --- The web app (voicesim serve) ------------------------------------------------------
    # Address to listen on; 127.0.0.1 keeps the app to this machine.
    host: str = "127.0.0.1"
    # Port to listen on.
    port: int = Field(default=8000, ge=1, le=65535)
    # Signs the sign-in cookie; None: a key kept in <data_dir>/web-secret.key.
    secret_key: SecretStr | None = None
    # Send the cookie over HTTPS only (set it behind an HTTPS reverse proxy).
    secure_cookie: bool = False
    # Largest batch upload request, all files together (MB).
    max_upload_mb: float = Field(default=200.0, gt=0)
    # How long a sign-in lasts (hours).
    session_hours: float = Field(default=12.0, gt=0)
    # The first admin's password when serve makes that account; None: a random one, shown once.
    admin_password: SecretStr | None = None

    # --- Accounts from the shell -----------------------------------------------------------
    # Password for `voicesim users add/passwd` when --password is not given (scripted installs).
    password: SecretStr | None = None

    @field_validator("data_dir", "sessions_dir", "model_dir", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="before")
    @classmethod
    def _derived_defaults(cls, data: Any) -> Any:
        """Defaults that follow the data folder, however that was set; blanks are unset."""
        if not isinstance(data, dict):
            return data
        # A variable set to blanks is unset (as an empty one is), not an empty value.
        data = {key: value for key, value in data.items()
                if not (isinstance(value, str) and not value.strip())}  # fmt: skip
        folder = Path(str(data.get("data_dir") or _default_data_dir())).expanduser()
        data.setdefault("data_dir", folder)
        if not data.get("sessions_dir"):
            data["sessions_dir"] = folder / "sessions"
        if not data.get("database_url"):
            data["database_url"] = f"sqlite:///{folder / 'voicesim.db'}"
        return data

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Settings:
        if self.silence_threshold > self.speech_threshold:
            raise ValueError(
                f"silence_threshold {self.silence_threshold} must not exceed speech_threshold "
                f"{self.speech_threshold}; fix VOICESIM_SILENCE_THRESHOLD or "
                "VOICESIM_SPEECH_THRESHOLD"
            )
        return self


def load_settings(flags: Mapping[str, Any] | None = None) -> Settings:
    """The environment's settings with ``flags`` (field name -> value; None = not given) on top.

    A bad value is a ``ConfigError`` whose one line names the flag or the variable.
    """
    given = tuple(
        sorted((name, value) for name, value in (flags or {}).items() if value is not None)
    )
    # Reading the environment through pydantic costs milliseconds; the store and the web app
    # ask often, so one object is kept per state of the variables it depends on.
    seen = tuple(
        sorted(
            (key, value)
            for key, value in os.environ.items()
            if key.startswith(ENV_PREFIX) or key in _OTHER_VARIABLES
        )
    )
    return _settings(seen, given)


_OTHER_VARIABLES = frozenset({"HOME", "XDG_DATA_HOME", "USER"})


@lru_cache(maxsize=32)
def _settings(
    environment: tuple[tuple[str, str], ...], flags: tuple[tuple[str, Any], ...]
) -> Settings:
    """``environment`` only keys the cache: pydantic reads ``os.environ`` itself."""
    try:
        return Settings(**dict(flags))
    except ValidationError as error:
        raise ConfigError(_one_line(error, dict(flags))) from None


def settings_from_args(args: object) -> Settings:
    """The settings with every parsed flag whose name is a field (``args``: a Namespace)."""
    values = vars(args)
    return load_settings({name: values[name] for name in Settings.model_fields if name in values})


def data_dir() -> Path:
    """The data folder (``VOICESIM_DATA_DIR``)."""
    return load_settings().data_dir


def sessions_dir() -> Path:
    """Where practice calls are saved (``VOICESIM_SESSIONS_DIR``, else under the data folder)."""
    return load_settings().sessions_dir


def _one_line(error: ValidationError, flags: Mapping[str, Any]) -> str:
    """The first problem, named as the user set it: ``--flag VALUE ...`` or ``VOICESIM_X=...``."""
    problem = error.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else ""
    reason = _REASONS.get(problem["type"], "").format(**problem.get("ctx", {})) or str(
        problem["msg"]
    ).removeprefix("Value error, ")
    if not field:
        return reason
    if field in flags and field in FLAGS:
        return f"{FLAGS[field]} {flags[field]!r} {reason}"
    variable = ENV_PREFIX + field.upper()
    secret = field in {"secret_key", "admin_password", "password"}
    value = "(hidden)" if secret else repr(os.environ.get(variable, problem.get("input")))
    return f"{variable}={value} {reason}"


# Pydantic's error types in words a user of the command line reads.
_REASONS = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "bool_parsing": "is not a yes/no value (1, true, yes or 0, false, no)",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "must not be empty",
}
