"""The one settings object: variables, flags over them, one-line errors, and the layering
rules that keep it (and the store) below everything that uses them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voicesim.cli import build_parser, main
from voicesim.errors import ConfigError
from voicesim.practice.headset import transcriber_options
from voicesim.settings import load_settings, settings_from_args


def test_paths_follow_the_data_folder_unless_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.sessions_dir == tmp_path / "data" / "sessions"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'voicesim.db'}"
    monkeypatch.setenv("VOICESIM_SESSIONS_DIR", "~/calls")
    monkeypatch.setenv("VOICESIM_DATABASE_URL", "  ")  # empty counts as unset
    settings = load_settings()
    assert settings.sessions_dir == Path.home() / "calls"
    assert settings.database_url.endswith("/data/voicesim.db")


def test_practice_flags_win_over_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESIM_END_OF_TURN_SILENCE_MS", "900")  # the documented name
    monkeypatch.setenv("VOICESIM_TRAINEE", "erin")
    monkeypatch.setenv("VOICESIM_INPUT_DEVICE", "USB headset")
    parser = build_parser()
    settings = settings_from_args(parser.parse_args(["practice", "--persona", "x"]))
    assert (settings.end_of_turn_silence_ms, settings.trainee) == (900, "erin")
    assert settings.input_device == "USB headset"
    flagged = settings_from_args(parser.parse_args(
        ["practice", "--persona", "x", "--end-of-turn-ms", "1200", "--trainee", "tom",
         "--sessions-dir", "/tmp/calls"]))  # fmt: skip
    assert (flagged.end_of_turn_silence_ms, flagged.trainee) == (1200, "tom")
    assert flagged.sessions_dir == Path("/tmp/calls")


def test_the_live_calls_whisper_options_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOICESIM_ENGINE", "openai-whisper")
    monkeypatch.setenv("VOICESIM_WHISPER_THREADS", "2")
    monkeypatch.setenv("VOICESIM_WHISPER_TRIM_WINDOW", "0")
    options = transcriber_options(load_settings())
    assert (options.engine, options.cpu_threads, options.trim_window) == (
        "openai-whisper", 2, False)  # fmt: skip
    assert options.model is None and options.compute_type == "int8"
    monkeypatch.setenv("VOICESIM_WHISPER_THREADS", "many")
    with pytest.raises(ConfigError, match=r"^VOICESIM_WHISPER_THREADS='many' is not a whole"):
        load_settings()


@pytest.mark.parametrize(
    ("variables", "argv", "message"),
    [
        ({}, ["practice", "--persona", "valentine-gift", "--text", "--end-of-turn-ms", "50"],
         "--end-of-turn-ms 50 must be at least 100"),
        ({"VOICESIM_MAX_REPLY_S": "long"}, ["practice", "--persona", "valentine-gift", "--text"],
         "VOICESIM_MAX_REPLY_S='long' is not a number"),
        ({"VOICESIM_MAX_UPLOAD_MB": "-5"}, ["serve"],
         "VOICESIM_MAX_UPLOAD_MB='-5' must be greater than 0"),
        ({"VOICESIM_SECURE_COOKIE": "perhaps"}, ["serve"],
         "VOICESIM_SECURE_COOKIE='perhaps' is not a yes/no value"),
        ({"VOICESIM_PORT": "80000"}, ["serve"], "VOICESIM_PORT='80000' must be at most 65535"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    variables: dict[str, str], argv: list[str], message: str,
) -> None:  # fmt: skip
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"voicesim: error: {message}\n" or (
        err.startswith(f"voicesim: error: {message}") and err.count("\n") == 1
    ), err


def _imported_after(modules: str) -> set[str]:
    """The voicesim modules loaded by importing ``modules`` (and every module under them)."""
    script = (
        "import importlib, pkgutil, sys\n"
        f"for name in {modules!r}.split():\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(package, '__path__', []), name + '.'):\n"
        "        if '.migrations' not in info.name:\n"
        "            importlib.import_module(info.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('voicesim', 'pydantic')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=120)  # fmt: skip
    return set(result.stdout.split())


def test_the_store_imports_nothing_above_it() -> None:
    loaded = _imported_after("voicesim.store")
    above = {m for m in loaded if m.startswith(
        ("voicesim.practice", "voicesim.web", "voicesim.batch", "voicesim.cli",
         "voicesim.speech", "voicesim.scoring"))}  # fmt: skip
    assert not above, above


def test_the_core_stays_pure() -> None:
    loaded = _imported_after("voicesim.core")
    outside = {m for m in loaded if not m.startswith(("voicesim.core", "voicesim.errors"))}
    assert outside <= {"voicesim"}, outside
