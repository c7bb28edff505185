"""``voicesim serve``: the trainer web app on this machine.

FastAPI and uvicorn are imported only when the command runs, so the rest of the command
line works without the web extra.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
from typing import Any

from voicesim.errors import ConfigError

INSTALL_HINT = "the web extra is missing; install it with: pip install 'voicesim[web]'"
FIRST_ADMIN = "admin"


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from voicesim.store.store import open_store
        from voicesim.web.app import create_app
        from voicesim.web.settings import WebSettings
    except ImportError as error:
        raise ConfigError(f"{INSTALL_HINT} ({error})") from error
    from voicesim.settings import settings_from_args

    where = settings_from_args(args)  # --host/--port over VOICESIM_HOST/VOICESIM_PORT
    host, port = where.host, where.port
    settings = WebSettings.from_env()
    _check_port_free(host, port)
    store = open_store()
    try:
        _first_account(store)
        imported = store.sessions.import_new_folders()
        if imported:
            print(f"Imported {imported} saved session(s) the database did not have yet.")
        app = create_app(store, settings)
        print(f"voicesim web app: http://{host}:{port}/  (Ctrl-C stops it)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(
                "Reachable from other machines: put it behind HTTPS and set VOICESIM_SECURE_COOKIE=1."
            )
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Fail before the database and the banner: uvicorn's own message comes after both."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise ConfigError(
            f"cannot listen on {host}:{port} ({reason}); is voicesim serve already "
            "running? pick another port with --port"
        ) from error


def _first_account(store: Any) -> None:
    """A fresh install has nobody who can sign in: make an admin and say the password once.

    ``VOICESIM_ADMIN_PASSWORD`` chooses the password (for scripted installs)."""
    if store.users.has_login():
        return
    from voicesim.settings import load_settings

    chosen = load_settings().admin_password
    password = chosen.get_secret_value() if chosen else secrets.token_urlsafe(9)
    store.users.add_user(FIRST_ADMIN, "admin", password)
    print(
        "\nNo account could sign in yet, so one was made:\n"
        f"    name: {FIRST_ADMIN}\n    password: {password}\n"
        f"Change it with `voicesim users passwd {FIRST_ADMIN}`; add trainers and trainees "
        "on the Users page or with `voicesim users add`.\n"
    )


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def add_serve_command(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="the trainer web app: review, annotate and follow sessions in a browser"
    )
    serve.add_argument(
        "--host",
        help="address to listen on (VOICESIM_HOST; default 127.0.0.1: this machine only)",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=_port,
        help="port (VOICESIM_PORT; default 8000)",
    )  # fmt: skip
    serve.set_defaults(handler=cmd_serve)
