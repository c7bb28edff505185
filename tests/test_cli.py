"""The command-line contracts other tools rely on (DESIGN.md), and clear one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.trainees import good_replies
from voicesim.cli import main
from voicesim.core.labels import Label


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICESIM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_score_text_one_reply(capsys: pytest.CaptureFixture[str]) -> None:
    text = "I'm so sorry your parcel is late. What happened?"
    code, out, _ = run(capsys, "score-text", "--lang", "en", text)
    result = json.loads(out)
    assert code == 0
    assert {"apology", "question"} <= set(result["labels"])
    for item in result["evidence"]:
        assert {"label", "phrase", "start", "end"} <= set(item)
        assert item["source"] in {"lexicon", "learned"}
        assert text[item["start"] : item["end"]] == item["phrase"]
    assert result["question"] in {"open", "closed"}


def test_score_text_json_lines_in_order_with_a_bad_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"text": "calm down, as I said", "lang": "en"}),
        "this is not json",
        json.dumps({"text": "rustig maar, zoals ik al zei", "lang": "nl"}),
        json.dumps({"text": "hello", "lang": "fr"}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, _ = run(capsys, "score-text")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4 and code == 1
    assert "dismissive" in rows[0]["labels"]
    assert rows[1]["error"].startswith("stdin line 2:")
    assert "dismissive" in rows[2]["labels"]
    assert "'fr' is not supported" in rows[3]["error"]


def test_practice_json_contract(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_data_dir: Path
) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_text("\n".join(good_replies("en")) + "\n", encoding="utf-8")
    argv = (
        "practice",
        "--persona",
        "wrong-delivery",
        "--lang",
        "en",
        "--text",
        "--replies",
        str(replies),
        "--seed",
        "3",
        "--json",
    )
    code, out, _ = run(capsys, *argv)
    result = json.loads(out)
    assert code == 0
    assert result["persona"] == "wrong-delivery"
    assert result["outcome"] in {"resolved", "hung_up", "ended"}
    assert isinstance(result["final_level"], int)
    for turn in result["turns"]:
        assert {"caller", "level", "reply", "labels"} <= set(turn)
        assert set(turn["labels"]) <= {str(label) for label in Label}
    assert {"outcome", "tips", "active_listening"} <= set(result["scorecard"])
    # Deterministic for a seed, and the session is saved.
    _, again, _ = run(capsys, *argv)
    drop = ("started_at",)
    assert {k: v for k, v in json.loads(again).items() if k not in drop} == {
        k: v for k, v in result.items() if k not in drop
    }
    assert len(list((private_data_dir / "sessions").glob("*/session.json"))) == 2


def test_practice_with_too_few_replies_ends_the_call(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replies = tmp_path / "one.txt"
    replies.write_text("Hello.\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        "practice",
        "--persona",
        "wrong-delivery",
        "--lang",
        "da",
        "--text",
        "--replies",
        str(replies),
        "--seed",
        "1",
        "--json",
        "--no-save",
    )
    assert code == 0 and json.loads(out)["outcome"] == "ended"


def test_personas_list_json_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "personas", "list", "--json")
    listing = json.loads(out)
    assert code == 0
    assert {"id", "language"} <= set(listing[0])
    assert {p["language"] for p in listing} == {"en", "da", "nl", "sv", "pl"}
    code, out, _ = run(capsys, "personas", "check")
    assert code == 0 and "OK" in out


def test_personas_check_reports_a_bad_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nlanguage = "en"\n', encoding="utf-8")
    code, _, err = run(capsys, "personas", "check", str(bad))
    assert code == 1
    assert err.count("\n") == 1 and "bad.toml" in err and "field" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("practice", "--persona", "nobody", "--text"),
            "unknown persona 'nobody'; valid personas:",
        ),
        (
            (
                "practice",
                "--persona",
                "wrong-delivery",
                "--text",
                "--replies",
                "/nonexistent/r.txt",
            ),
            "no such replies file",
        ),
        (("score-text", "--lang", "xx", "hi"), "'xx' is not supported"),
    ],
)
def test_user_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("voicesim: error: ") and err.count("\n") == 1
    assert message in err


def test_lexicons_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lexicons", "check")
    assert code == 0 and out.count("OK") == 5


def test_practice_saves_a_typed_call_where_sessions_dir_says(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, private_data_dir: Path
) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_text("I'm so sorry. What happened?\n", encoding="utf-8")
    calls = tmp_path / "my calls"
    code, out, err = run(
        capsys, "practice", "--persona", "valentine-gift", "--text", "--replies", str(replies),
        "--seed", "1", "--json", "--sessions-dir", str(calls), "--trainee", "zoe",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["outcome"] == "ended"
    (saved,) = calls.glob("*/session.json")
    assert str(saved) in err
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["trainee"] == "zoe" and document["turns"][0]["reply"].startswith("I'm so")
    assert not (private_data_dir / "sessions").exists()
