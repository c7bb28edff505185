"""A private PostgreSQL server for the storage tests: temp data folder, private port, stopped after.

initdb and postgres refuse to run as root, so as root they run as the ``postgres`` OS user
(Debian's package creates it) on a data folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """Why no PostgreSQL server could be started here."""


def find_bin_dir() -> Path:
    configured = os.environ.get("VOICESIM_PG_BIN")  # when set, the only place looked at
    if configured:
        if (Path(configured) / "initdb").exists():
            return Path(configured)
        raise PostgresUnavailable(f"VOICESIM_PG_BIN={configured}: no initdb there")
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2].split(".")[0])
    )[::-1]
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable(
        "no initdb found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install postgresql (scripts/setup.sh does) or set VOICESIM_PG_BIN"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="voicesim-pg-"))
        self.data = self.root / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' OS user to run the server as"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres" if self.prefix else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            [*self.prefix, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise PostgresUnavailable(f"{Path(argv[0]).name} failed: {' | '.join(tail)}")

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", self.user,
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.prefix, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                 "-w", "stop"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
