"""Recordings are served by session and turn id only, as the very bytes on disk; every
way of not having a file (typed call, missing file, a path out of the session folder) is a
404 with a message that says which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.store.helpers import variant
from tests.web.conftest import Browser, World, error_message
from voicesim.store.session_folder import SESSION_FILE


def test_call_and_turn_audio_are_the_files_on_disk(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-2"]
    folder = world.folder("alice-2")
    for browser in (browsers["alice"], browsers["tom"], browsers["admin"]):
        call = browser.get(f"/sessions/{session_id}/audio")
        assert call.status_code == 200
        assert call.headers["content-type"] == "audio/wav"
        assert call.content == (folder / "call.wav").read_bytes()
        assert call.content[:4] == b"RIFF" and len(call.content) > 16000
        turn = browser.get(f"/sessions/{session_id}/turns/1/audio")
        assert turn.status_code == 200 and turn.headers["content-type"] == "audio/wav"
        assert turn.content == (folder / "turn-01.wav").read_bytes()
    api = browsers["alice"].get(f"/api/sessions/{session_id}").json()
    assert api["audio_url"] == f"/sessions/{session_id}/audio"
    assert [t["audio_url"] for t in api["turns"]] == [f"/sessions/{session_id}/turns/1/audio", None]
    page = browsers["alice"].get(f"/sessions/{session_id}").text
    assert (
        f'<audio id="call-audio" controls preload="metadata" src="/sessions/{session_id}/audio">'
        in page
    )
    assert f'data-src="/sessions/{session_id}/turns/1/audio"' in page
    assert "turns/2/audio" not in page


def test_audio_can_be_fetched_in_ranges_for_seeking(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-2"]
    part = browsers["alice"].get(f"/sessions/{session_id}/audio", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.content == (world.folder("alice-2") / "call.wav").read_bytes()[:100]


def test_a_typed_call_has_no_audio(world: World, browsers: dict[str, Browser]) -> None:
    session_id = world.ids["alice-1"]
    call = browsers["alice"].get(f"/sessions/{session_id}/audio")
    assert call.status_code == 404
    assert (
        error_message(call.text)
        == f"session {session_id} has no recording (a typed call, or silence)"
    )
    turn = browsers["alice"].get(f"/sessions/{session_id}/turns/1/audio")
    assert turn.status_code == 404
    assert error_message(turn.text) == (
        f"session {session_id}, turn 1, has no recording (a typed call, or silence)"
    )
    api = browsers["alice"].get(f"/api/sessions/{session_id}").json()
    assert api["audio_url"] is None and all(t["audio_url"] is None for t in api["turns"])


def test_a_file_missing_on_disk_is_a_clear_404(world: World, browsers: dict[str, Browser]) -> None:
    session_id = world.ids["alice-2"]
    (world.folder("alice-2") / "call.wav").unlink()
    call = browsers["tom"].get(f"/sessions/{session_id}/audio")
    assert call.status_code == 404
    message = error_message(call.text)
    assert message.startswith(f"session {session_id}: the audio file call.wav is missing from ")
    assert browsers["tom"].get(f"/sessions/{session_id}/turns/1/audio").status_code == 200
    assert browsers["tom"].get(f"/sessions/{session_id}").status_code == 200  # the page still works


def _with_audio_names(world: World, name: str, call: str, turn: str) -> int:
    """A session (a copy of alice's spoken call) whose session.json names these audio files."""
    folder = variant(world.folder("alice-2"), name)
    document = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    document["audio"] = call
    document["turns"][0]["audio_file"] = turn
    (folder / SESSION_FILE).write_text(json.dumps(document), encoding="utf-8")
    session_id = world.store.sessions.save_session_folder(folder)
    world.ids[name] = session_id
    return session_id


@pytest.mark.parametrize(
    "outside",
    ["../../etc/passwd", "../../../../../../../../etc/passwd", "/etc/passwd", "../../secret.wav",
     "../alice-1/session.json"],
)  # fmt: skip
def test_an_audio_path_out_of_the_session_folder_is_never_served(
    world: World, browsers: dict[str, Browser], outside: str
) -> None:
    secret = b"RIFF-not-for-you"
    (world.data / "secret.wav").write_bytes(secret)  # exists, so only the check stops it
    session_id = _with_audio_names(world, "sneaky", outside, outside)
    admin = browsers["admin"]
    for path, what in [
        (f"/sessions/{session_id}/audio", f"session {session_id}"),
        (f"/sessions/{session_id}/turns/1/audio", f"session {session_id}, turn 1,"),
    ]:
        answer = admin.get(path)
        assert answer.status_code == 404, path
        assert error_message(answer.text) == (
            f"{what}: its audio file {outside!r} lies outside the session folder"
        )
        assert b"root:" not in answer.content and secret not in answer.content
        assert answer.headers["content-type"].startswith("text/html")
    assert admin.get(f"/sessions/{session_id}").status_code == 200


def test_a_link_out_of_the_session_folder_is_never_served(
    world: World, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    secret = tmp_path / "elsewhere.wav"
    secret.write_bytes(b"RIFF-elsewhere")
    session_id = _with_audio_names(world, "linked", "call-link.wav", "turn-01.wav")
    (world.folder("linked") / "call-link.wav").symlink_to(secret)
    answer = browsers["admin"].get(f"/sessions/{session_id}/audio")
    assert answer.status_code == 404
    assert error_message(answer.text) == (
        f"session {session_id}: its audio file 'call-link.wav' lies outside the session folder"
    )
    assert b"RIFF-elsewhere" not in answer.content


def test_audio_paths_are_never_taken_from_the_request(
    world: World, browsers: dict[str, Browser]
) -> None:
    session_id = world.ids["alice-2"]
    admin = browsers["admin"]
    for path in (f"/sessions/{session_id}/audio?file=../../etc/passwd",
                 f"/sessions/{session_id}/audio/../../etc/passwd",
                 f"/sessions/{session_id}/turns/..%2F..%2Fetc%2Fpasswd/audio",
                 "/static/..%2F..%2F..%2Fetc/passwd"):  # fmt: skip
        answer = admin.get(path)
        assert b"root:" not in answer.content, path
        if answer.status_code == 200:
            assert answer.content == (world.folder("alice-2") / "call.wav").read_bytes(), path
