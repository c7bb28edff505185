"""`voicesim users`, `retention` and `sessions import`, and their one-line errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.store.helpers import practice_folder, variant
from voicesim.cli import main
from voicesim.store.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, *fragments: str) -> None:
    assert err.startswith("voicesim: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_users_add_and_list(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "users", "add", "tom", "--role", "trainer", "--team", "north",
                       "--password", "battery staple")  # fmt: skip
    assert code == 0 and "user tom added" in out
    monkeypatch.setenv("VOICESIM_PASSWORD", "from the env")
    assert run(capsys, "users", "add", "ann", "--role", "admin")[0] == 0
    assert store.users.verify_password("ann", "from the env")
    code, out, _ = run(capsys, "users", "list")
    assert code == 0 and "tom" in out and "north" in out and "ann" in out
    code, _, err = run(capsys, "users", "add", "tom", "--role", "trainee", "--password", "x" * 9)
    assert code == 1
    one_line_error(err, "user 'tom' already exists")


def test_users_add_without_a_password_off_a_terminal(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOICESIM_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "users", "add", "tom", "--role", "trainer")
    assert code == 1
    one_line_error(err, "no password", "VOICESIM_PASSWORD")


def test_sessions_import_and_retention(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = practice_folder(tmp_path)
    old = variant(source, "old", with_audio=True, started_at="2020-01-01T00:00:00+00:00")
    broken = source.parent / "broken"
    broken.mkdir()
    (broken / "session.json").write_text("{not json", encoding="utf-8")
    capsys.readouterr()
    code, out, err = run(capsys, "sessions", "import")
    assert code == 1 and "2 of 3 session folder(s) imported" in out
    one_line_error(err, "broken/session.json", "not a readable session file")
    assert store.sessions.list_sessions().total == 2
    monkeypatch.setenv("VOICESIM_RETENTION_DAYS", "30")
    code, out, _ = run(capsys, "retention", "apply")
    assert code == 0 and out.startswith(
        "1 session(s) and 0 finished batch job(s) older than 30 day(s) deleted"
    )
    assert not old.exists() and source.exists()
    code, out, _ = run(capsys, "retention", "apply", "--days", "1")
    assert code == 0 and out.startswith("0 session(s)")


def test_retention_needs_a_number_of_days(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOICESIM_RETENTION_DAYS", raising=False)
    code, _, err = run(capsys, "retention", "apply")
    assert code == 1
    one_line_error(err, "--days N", "VOICESIM_RETENTION_DAYS")
    monkeypatch.setenv("VOICESIM_RETENTION_DAYS", "a month")
    one_line_error(run(capsys, "retention", "apply")[2], "'a month' is not a whole number")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("not a url", "is malformed"),
        ("nosuchdb://x/y", "unknown database driver"),
        ("postgresql+psycopg://voicesim:secret@127.0.0.1:1/voicesim", "cannot connect"),
    ],
)
def test_bad_database_urls_are_one_line_errors(
    url: str, fragment: str, data_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("VOICESIM_DATABASE_URL", url)
    code, _, err = run(capsys, "users", "list")
    assert code == 1
    one_line_error(err, fragment)
    assert "secret" not in err  # the password never reaches the terminal


def test_the_default_database_is_a_sqlite_file_in_the_data_folder(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOICESIM_DATABASE_URL", raising=False)
    assert run(capsys, "users", "list")[0] == 0
    assert (data_dir / "voicesim.db").is_file()
