"""How the web app runs: drawn from the settings object (``voicesim.settings``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from voicesim.errors import ConfigError
from voicesim.settings import load_settings

SECRET_FILE = "web-secret.key"


@dataclass(frozen=True)
class WebSettings:
    """Everything the app needs besides the store; every field has a safe default."""

    secret_key: str  # signs the session cookie; VOICESIM_SECRET_KEY, else a key file
    data_folder: Path  # uploads and the key file live here (VOICESIM_DATA_DIR)
    max_upload_mb: float = 200.0  # one batch upload request, all files (VOICESIM_MAX_UPLOAD_MB)
    max_form_kb: float = 64.0  # any other request body: forms and JSON are small
    session_hours: float = 12.0  # a sign-in lasts this long (VOICESIM_SESSION_HOURS)
    secure_cookie: bool = False  # send the cookie over HTTPS only (VOICESIM_SECURE_COOKIE=1)
    free_failures: int = 5  # wrong passwords for a name from one address or browser before waits
    free_failures_unknown: int = 20  # ... from all browsers not known to the account together

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_form_bytes(self) -> int:
        return int(self.max_form_kb * 1024)

    @classmethod
    def from_env(cls) -> WebSettings:
        """From the settings object (``VOICESIM_*`` variables)."""
        settings = load_settings()
        folder = settings.data_dir
        secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        return cls(
            secret_key=secret or stored_secret(folder),
            data_folder=folder,
            max_upload_mb=settings.max_upload_mb,
            session_hours=settings.session_hours,
            secure_cookie=settings.secure_cookie,
        )


def stored_secret(folder: Path) -> str:
    """The cookie-signing key kept in the data folder, made on first use (owner-only file),
    so sign-ins survive a restart without anyone having to configure a secret."""
    path = folder / SECRET_FILE
    try:
        if path.exists():
            key = path.read_text(encoding="ascii").strip()
            if len(key) >= 32:
                return key
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key)
        return key
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot keep the web app's secret key ({error.strerror}); "
            "set VOICESIM_SECRET_KEY or VOICESIM_DATA_DIR to a writable folder"
        ) from error
