"""``voicesim backup DEST`` and ``voicesim restore DEST``: the database and the recordings,
together, in a folder an operator can check and restore.

A backup folder holds ``manifest.json`` (what, when, from which schema, every file's size and
sha256), the database (``database.sqlite``, made with SQLite's online backup API, or
``database.pgdump``, pg_dump's custom format) and ``files/`` (the session folders and batch
uploads). It is taken while the app runs: the database first, then the files, so every row
in it finds its audio (a call saved meanwhile comes along as a folder, imported on the next
``serve``). Sign-ins and the sign-in throttle are left out: after a restore everyone signs
in again. The web app's cookie key stays out too (a new one is made).

A restore checks every file against the manifest before it touches anything, and only fills
an empty data folder and an empty database: it never overwrites.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from voicesim.errors import StoreError
from voicesim.settings import sessions_dir
from voicesim.store.batch_jobs import UPLOADS
from voicesim.store.database import create_engine, parse_url, shown, upgrade_database

FORMAT = "voicesim.backup/1"
MANIFEST = "manifest.json"
FILES = "files"
LEFT_OUT = ("sign_ins", "sign_in_throttle")  # never restored: everyone signs in again
TOOL_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Counts:
    accounts: int
    sessions: int
    batch_jobs: int

    def __str__(self) -> str:
        return (f"{self.accounts} account(s), {self.sessions} session(s), "
                f"{self.batch_jobs} batch job(s)")  # fmt: skip


def count_rows(url: str) -> Counts:
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            def count(table: str) -> int:
                return int(db.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())

            return Counts(count("users"), count("practice_sessions"), count("batch_jobs"))
    finally:
        engine.dispose()


# ---- PostgreSQL's own tools ----------------------------------------------------------------


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not found:
        raise StoreError(f"cannot read a PostgreSQL version from {version_text!r}")
    return int(found.group(1))


def check_pg_versions(client_version: str, server_version_num: int, tool: str = "pg_dump") -> None:
    """pg_dump and pg_restore work with servers of their own major version or older only."""
    client, server = _major(client_version), server_version_num // 10000
    if client < server:
        raise StoreError(
            f"{tool} {client} is older than the server ({server}): install PostgreSQL "
            f"{server}'s client tools (Debian: postgresql-client-{server}) or point "
            "VOICESIM_PG_BIN at their folder"
        )


def _pg_tool(name: str, server_major: int) -> str:
    """The tool of the server's major version where Debian keeps it, else the one on PATH."""
    for folder in (os.environ.get("VOICESIM_PG_BIN"), f"/usr/lib/postgresql/{server_major}/bin"):
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found is None:
        raise StoreError(
            f"{name} not found: install PostgreSQL's client tools (Debian: "
            f"postgresql-client-{server_major}) or set VOICESIM_PG_BIN"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the tools, and the environment carrying the password
    (never on the command line, where any user could read it)."""
    parts = {"host": url.host, "port": str(url.port) if url.port else None,
             "user": url.username, "dbname": url.database}  # fmt: skip
    parts.update({k: str(v) for k, v in url.query.items() if isinstance(v, str)})
    quoted = " ".join(
        f"{key}='{value.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
        for key, value in parts.items() if value
    )
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return quoted, env


def _run_pg_tool(url_text: str, tool: str, arguments: list[str]) -> None:
    url = parse_url(url_text)
    engine = create_engine(url_text)
    try:
        with engine.connect() as db:
            server_num = int(db.execute(sa.text("SHOW server_version_num")).scalar_one())
    finally:
        engine.dispose()
    binary = _pg_tool(tool, server_num // 10000)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    check_pg_versions(version.stdout, server_num, tool)
    conninfo, env = _libpq(url)
    done = subprocess.run([binary, *arguments, f"--dbname={conninfo}"], capture_output=True,
                          text=True, env=env, timeout=TOOL_TIMEOUT_S, check=False)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        raise StoreError(f"{tool} failed on {shown(url)}: {last[0]}")


# ---- files and checksums ------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(root: Path) -> list[dict[str, Any]]:
    return [
        {"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    ]


def _copy_tree(source: Path, target: Path) -> None:
    """Regular files and folders only: a link could point anywhere on the server."""
    shutil.copytree(source, target, symlinks=True, ignore=_links, dirs_exist_ok=True)


def _links(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if (Path(folder) / name).is_symlink()}


# ---- backup --------------------------------------------------------------------------------


def _session_folders(url: str, data_folder: Path) -> dict[str, Path]:
    """Every session folder to keep: those the database names (stored value -> path) and
    those saved in the sessions folder but not imported yet."""
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            stored = db.execute(sa.text("SELECT folder FROM practice_sessions")).scalars().all()
    finally:
        engine.dispose()
    folders = {str(value): data_folder / str(value) for value in stored}
    root = sessions_dir()
    known = {p.resolve() for p in folders.values()}
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.is_dir() and not folder.is_symlink() and folder.resolve() not in known:
            folders[f"unimported:{folder.name}"] = folder
    return folders


def backup(url: str, data_folder: Path, dest: Path) -> Counts:
    """Write a backup of the store at ``url`` and its files to the new folder ``dest``."""
    if dest.exists():
        raise StoreError(f"{dest} already exists: back up into a new folder")
    work = dest.with_name(f".{dest.name}.incomplete-{uuid.uuid4().hex[:8]}")
    kind = parse_url(url).get_backend_name()
    try:
        (work / FILES).mkdir(parents=True)
        if kind == "sqlite":
            database = work / "database.sqlite"
            _sqlite_copy(Path(str(parse_url(url).database)), database, leave_out=LEFT_OUT)
            counts = count_rows(f"sqlite:///{database}")  # what the copy holds, exactly
        elif kind == "postgresql":
            counts = count_rows(url)
            database = work / "database.pgdump"
            left_out = [f"--exclude-table-data={table}" for table in LEFT_OUT]
            _run_pg_tool(url, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                                          *left_out, f"--file={database}"])  # fmt: skip
        else:
            raise StoreError(f"cannot back up a {kind} database: SQLite and PostgreSQL only")
        sessions = {}
        for stored, folder in _session_folders(url, data_folder).items():
            if folder.is_dir():
                copy = f"{FILES}/sessions/{folder.name}"
                _copy_tree(folder, work / copy)
                sessions[stored] = copy
        if (data_folder / UPLOADS).is_dir():
            _copy_tree(data_folder / UPLOADS, work / FILES / UPLOADS)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "database_file": database.name,
            "database_sha256": _sha256(database),
            "counts": vars(counts),
            "sessions": sessions,
            "files": _listing(work / FILES),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return counts


def _sqlite_copy(source: Path, target: Path, leave_out: tuple[str, ...] = ()) -> None:
    """A consistent copy of a live SQLite database (its online backup API: writers may go on
    meanwhile), less some tables' rows."""
    if not source.is_file():
        raise StoreError(f"{source}: no such database file; check VOICESIM_DATABASE_URL")
    with closing(sqlite3.connect(source, timeout=30)) as live, \
            closing(sqlite3.connect(target)) as copy:  # fmt: skip
        live.backup(copy)
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        for table in leave_out:
            if table in tables:
                copy.execute(f"DELETE FROM {table}")
        copy.commit()


# ---- restore -------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists (and the database) is intact."""
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StoreError(f"{src}: not a voicesim backup (no readable {MANIFEST})") from error
    if manifest.get("format") != FORMAT:
        raise StoreError(f"{src}: unknown backup format {manifest.get('format')!r}")
    listed = [(src / FILES / item["path"], item["path"], item["sha256"])
              for item in manifest["files"]]  # fmt: skip
    listed.append((src / manifest["database_file"], manifest["database_file"],
                   manifest["database_sha256"]))  # fmt: skip
    for path, name, sha256 in listed:
        if not path.resolve().is_relative_to(src.resolve()):
            raise StoreError(f"backup {src}: the manifest names a file outside the backup")
        if not path.is_file():
            raise StoreError(f"backup {src}: {name}: missing")
        if _sha256(path) != sha256:
            raise StoreError(f"backup {src}: {name}: damaged (its checksum differs from the manifest)")
    return manifest


def _target_problem(url: str, data_folder: Path) -> str | None:
    for folder in (sessions_dir(), data_folder / UPLOADS):
        if folder.is_dir() and any(folder.iterdir()):
            return f"{folder} is not empty"
    kind = parse_url(url).get_backend_name()
    if kind == "sqlite" and not Path(str(parse_url(url).database)).exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            tables = set(sa.inspect(db).get_table_names()) - {"alembic_version"}
            if not tables:
                return None
            if "users" in tables and db.execute(sa.text("SELECT count(*) FROM users")).scalar_one():
                return f"the database {shown(url)} is not empty (it has accounts)"
            return f"the database {shown(url)} is not empty (it already has tables)"
    finally:
        engine.dispose()


def restore(src: Path, url: str, data_folder: Path) -> Counts:
    """Restore the backup ``src`` into the empty database ``url`` and data folder."""
    manifest = read_manifest(src)
    kind = parse_url(url).get_backend_name()
    if manifest["database"] != kind:
        raise StoreError(
            f"{src} is a backup of a {manifest['database']} database; {shown(url)} is "
            f"{kind}: restore into a {manifest['database']} database"
        )
    problem = _target_problem(url, data_folder)
    if problem:
        raise StoreError(f"cannot restore: {problem}; restore into an empty data folder and an "
                         "empty database")  # fmt: skip
    staging = data_folder / f".restore-{uuid.uuid4().hex[:8]}"
    data_folder.mkdir(parents=True, exist_ok=True)
    try:
        _copy_tree(src / FILES, staging)
        if kind == "sqlite":
            target = Path(str(parse_url(url).database))
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(src / manifest["database_file"], target)
        else:
            _run_pg_tool(url, "pg_restore", ["--no-owner", "--no-privileges",
                                             "--single-transaction", "--exit-on-error",
                                             str(src / manifest["database_file"])])  # fmt: skip
        upgrade_database(url)  # a backup from an older voicesim gets today's schema
        _place_files(staging, manifest, url, data_folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count_rows(url)


def _place_files(staging: Path, manifest: dict[str, Any], url: str, data_folder: Path) -> None:
    """Session folders into this machine's sessions folder (their rows follow them), uploads
    into the data folder."""
    from voicesim.store.store import open_store  # the repository knows how folders are stored

    root = sessions_dir()
    root.mkdir(parents=True, exist_ok=True)
    store = open_store(url, data_folder)
    try:
        with store.database.session() as session:
            for stored, copy in manifest["sessions"].items():
                target = root / Path(copy).name
                shutil.move(staging / Path(copy).relative_to(FILES), target)
                if not stored.startswith("unimported:"):
                    session.execute(
                        sa.text("UPDATE practice_sessions SET folder = :new WHERE folder = :old"),
                        {"new": store.sessions.stored_folder(target), "old": stored},
                    )
            session.execute(sa.text("DELETE FROM sign_ins"))
    finally:
        store.close()
    if (staging / UPLOADS).is_dir():
        shutil.rmtree(data_folder / UPLOADS, ignore_errors=True)  # empty, as checked
        shutil.move(staging / UPLOADS, data_folder / UPLOADS)
