"""``voicesim users``, ``voicesim retention`` and ``voicesim sessions``: the store from the shell.

Registered by ``add_store_commands``; SQLAlchemy is imported only when one of these runs, so
the rest of the command line stays fast and works without the store extra.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from voicesim.errors import StoreError

INSTALL_HINT = "the store extra is missing; install it with: pip install 'voicesim[store]'"


def _open() -> Any:
    try:
        from voicesim.store.store import open_store
    except ImportError as error:
        raise StoreError(f"{INSTALL_HINT} ({error})") from error
    return open_store()


def _password(args: argparse.Namespace) -> str:
    """--password, else VOICESIM_PASSWORD, else asked twice at the terminal."""
    if args.password:
        return str(args.password)
    from voicesim.settings import load_settings

    from_env = load_settings().password
    if from_env:
        return from_env.get_secret_value()
    if not sys.stdin.isatty():
        raise StoreError(
            f"user {args.name!r}: no password; pass --password, set VOICESIM_PASSWORD "
            "or run in a terminal to be asked"
        )
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise StoreError(f"user {args.name!r}: the two passwords differ; try again")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    password = _password(args)
    store = _open()
    try:
        store.users.add_user(args.name, args.role, password, args.team, args.leads or ())
    finally:
        store.close()
    team = f", team {args.team}" if args.team else ""
    leads = f", leads {', '.join(args.leads)}" if args.leads else ""
    print(f"user {args.name} added ({args.role}{team}{leads})")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    store = _open()
    try:
        accounts = store.users.accounts()
    finally:
        store.close()
    for account in accounts:
        login = "" if account.can_sign_in else "  (no password yet)"
        leads = f"  leads {', '.join(account.leads)}" if account.leads else ""
        print(f"{account.name:<24}{account.role:<10}{account.team or '-':<20}{leads}{login}")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    password = _password(args)
    store = _open()
    try:
        store.users.set_password(args.name, password)
    finally:
        store.close()
    print(f"password of {args.name} changed")
    return 0


def cmd_users_role(args: argparse.Namespace) -> int:
    store = _open()
    try:
        store.users.set_role(args.name, args.role)
    finally:
        store.close()
    print(f"{args.name} is now a {args.role}; their sign-ins have ended")
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    store = _open()
    try:
        deleted = store.delete_user(args.name)
    finally:
        store.close()
    print(f"user {args.name} removed with {deleted} session(s), audio included")
    return 0


def cmd_retention_apply(args: argparse.Namespace) -> int:
    days = args.days
    if days is None:
        try:
            from voicesim.store.database import StoreSettings
        except ImportError as error:
            raise StoreError(f"{INSTALL_HINT} ({error})") from error
        days = StoreSettings.from_env().retention_days
    if days is None:
        raise StoreError("how long to keep sessions? pass --days N or set VOICESIM_RETENTION_DAYS")
    store = _open()
    try:
        deleted = store.sessions.apply_retention(days)
        jobs = store.batch_jobs.apply_retention(days)
        orphans = store.batch_jobs.sweep_orphan_uploads()
        store.sign_ins.purge_expired()
        store.sign_in_throttle.purge()
    finally:
        store.close()
    print(
        f"{deleted} session(s) and {jobs} finished batch job(s) older than {days} day(s) "
        f"deleted, audio and uploads included; {orphans} upload folder(s) no job refers to "
        "(left by an interrupted upload) deleted"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        from voicesim.store.backup import backup
        from voicesim.store.database import database_url
    except ImportError as error:
        raise StoreError(f"{INSTALL_HINT} ({error})") from error
    from voicesim.settings import data_dir

    dest = Path(args.dest).expanduser()
    counts = backup(database_url(), data_dir(), dest)
    print(f"backup of {counts} written to {dest}; check it any time with "
          f"`voicesim restore --check {dest}`")  # fmt: skip
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        from voicesim.store.backup import read_manifest, restore
        from voicesim.store.database import database_url, shown
    except ImportError as error:
        raise StoreError(f"{INSTALL_HINT} ({error})") from error
    from voicesim.settings import data_dir

    src = Path(args.src).expanduser()
    if args.check:
        manifest = read_manifest(src)
        print(f"{src}: intact ({len(manifest['files'])} file(s) and the {manifest['database']} "
              f"database match the manifest of {manifest['created_at']})")  # fmt: skip
        return 0
    counts = restore(src, database_url(), data_dir())
    print(f"restored {counts} into {data_dir()} and {shown(database_url())}; everyone signs "
          "in again")  # fmt: skip
    return 0


def cmd_sessions_import(args: argparse.Namespace) -> int:
    from voicesim.settings import sessions_dir
    from voicesim.store.session_folder import SESSION_FILE

    if args.folders:
        folders = [Path(f) for f in args.folders]
    else:
        root = sessions_dir()
        folders = sorted(p.parent for p in root.glob(f"*/{SESSION_FILE}")) if root.is_dir() else []
    store = _open()
    failures = 0
    try:
        for folder in folders:
            try:
                session_id = store.sessions.save_session_folder(folder, args.trainee)
            except StoreError as error:
                if "connect" in str(error):
                    raise  # no database: every other folder would fail the same way
                failures += 1
                print(f"voicesim: error: {error}", file=sys.stderr)
            else:
                print(f"{folder}: session {session_id}")
    finally:
        store.close()
    print(f"{len(folders) - failures} of {len(folders)} session folder(s) imported")
    return 1 if failures else 0


def add_store_commands(commands: Any) -> None:
    """Register the store's subcommands on the ``voicesim`` subparsers."""
    users = commands.add_parser("users", help="trainee, trainer and admin accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add an account (password asked if not given)")
    add.add_argument("name", help="login name")
    add.add_argument("--role", required=True, choices=["trainee", "trainer", "admin"])
    add.add_argument("--team", help="the team they belong to (created if new)")
    add.add_argument(
        "--leads", action="append", metavar="TEAM",
        help="a trainer: another team whose sessions they review (repeatable)",
    )  # fmt: skip
    add.add_argument("--password", help="else VOICESIM_PASSWORD, else asked at the terminal")
    add.set_defaults(handler=cmd_users_add)
    listing = user_commands.add_parser("list", help="list accounts")
    listing.set_defaults(handler=cmd_users_list)
    passwd = user_commands.add_parser(
        "passwd", help="set a new password (the account is signed out everywhere)"
    )
    passwd.add_argument("name", help="login name")
    passwd.add_argument("--password", help="else VOICESIM_PASSWORD, else asked at the terminal")
    passwd.set_defaults(handler=cmd_users_passwd)
    role = user_commands.add_parser(
        "role", help="give an account another role (it is signed out everywhere)"
    )
    role.add_argument("name", help="login name")
    role.add_argument("role", choices=["trainee", "trainer", "admin"])
    role.set_defaults(handler=cmd_users_role)
    remove = user_commands.add_parser(
        "remove", help="remove an account with all its sessions and their audio"
    )
    remove.add_argument("name", help="login name")
    remove.set_defaults(handler=cmd_users_remove)

    retention = commands.add_parser("retention", help="delete old sessions and their audio")
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="ACTION"
    )
    apply = retention_commands.add_parser("apply", help="delete sessions older than N days")
    apply.add_argument("--days", type=int, help="default VOICESIM_RETENTION_DAYS")
    apply.set_defaults(handler=cmd_retention_apply)

    backup = commands.add_parser(
        "backup", help="back up the database and the recordings into a new folder"
    )
    backup.add_argument("dest", help="a folder that does not exist yet")
    backup.set_defaults(handler=cmd_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty data folder and database"
    )
    restore.add_argument("src", help="a folder written by `voicesim backup`")
    restore.add_argument("--check", action="store_true",
                         help="only check every file against the backup's manifest")  # fmt: skip
    restore.set_defaults(handler=cmd_restore)

    sessions = commands.add_parser("sessions", help="the session database")
    session_commands = sessions.add_subparsers(
        dest="sessions_command", required=True, metavar="ACTION"
    )
    imports = session_commands.add_parser("import", help="import session folders")
    imports.add_argument("folders", nargs="*", help="session folders (default: all saved ones)")
    imports.add_argument("--trainee", help="store them under this trainee instead")
    imports.set_defaults(handler=cmd_sessions_import)
