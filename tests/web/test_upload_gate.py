"""An upload is read only once its sender is known: sign-in, role and CSRF token are checked
before the body is, so an anonymous or forged multipart POST costs the server at most a few
kilobytes, not the upload limit spooled to disk. The app is driven as the ASGI server drives
it, with a body that counts what was taken from it. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.web.conftest import SmallWorld, api_sign_in

MB = 1024 * 1024
BOUNDARY = "voicesim-test-boundary"


def multipart(fields: list[tuple[str, bytes, str | None]]) -> list[bytes]:
    """A multipart body as 1 MB pieces; each field is (name, value, file name or None)."""
    body = b""
    for name, value, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{BOUNDARY}\r\ncontent-disposition: {disposition}\r\n".encode()
        body += b"content-type: audio/wav\r\n" if filename else b""
        body += b"\r\n" + value + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return [body[i : i + MB] for i in range(0, len(body), MB)]


def post(small_world: SmallWorld, path: str, pieces: list[bytes],
         cookie: str | None = None, token: str | None = None) -> tuple[int, int]:  # fmt: skip
    """POST ``pieces`` to ``path``; returns (status, bytes the app took from the body)."""
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
               (b"content-length", str(sum(map(len, pieces))).encode())]  # fmt: skip
    if cookie:
        headers.append((b"cookie", f"voicesim_session={cookie}".encode()))
    if token:
        headers.append((b"x-csrf-token", token.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 4321),
             "server": ("testserver", 80)}  # fmt: skip
    taken = 0
    status = 0
    queue = list(pieces)

    async def receive() -> dict[str, Any]:
        nonlocal taken
        if not queue:  # the client has sent everything and waits for the answer
            await asyncio.sleep(30)
            return {"type": "http.disconnect"}
        piece = queue.pop(0)
        taken += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(queue)}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    asyncio.run(small_world.app(scope, receive, send))
    return status, taken


def big_upload(token: str | None) -> list[bytes]:
    fields: list[tuple[str, bytes, str | None]] = [] if token is None else [
        ("csrf_token", token.encode(), None)]  # fmt: skip
    return multipart([*fields, ("files", b"RIFF" + b"\0" * (8 * MB), "big.wav")])


@pytest.mark.parametrize("path", ["/batch", "/api/batch/jobs"])
def test_an_anonymous_upload_is_refused_unread(small_world: SmallWorld, path: str) -> None:
    status, taken = post(small_world, path, big_upload("made-up-token"))
    assert status == (401 if path.startswith("/api/") else 303)
    assert taken == 0


def test_a_trainees_upload_is_refused_unread(small_world: SmallWorld) -> None:
    alice = api_sign_in(small_world.app, "alice")
    cookie = alice.client.cookies["voicesim_session"]
    for path in ("/batch", "/api/batch/jobs"):
        status, taken = post(small_world, path, big_upload(alice.csrf), cookie, alice.csrf)
        assert (status, taken) == (403, 0), path


def test_a_forged_upload_is_refused_after_its_first_field(small_world: SmallWorld) -> None:
    tom = api_sign_in(small_world.app, "tom")
    cookie = tom.client.cookies["voicesim_session"]
    for pieces, token in ((big_upload("forged-" + "x" * 40), None), (big_upload(None), None),
                          (big_upload(tom.csrf), "forged-" + "x" * 40)):  # fmt: skip
        status, taken = post(small_world, "/batch", pieces, cookie, token)
        assert status == 403 and taken <= MB, (status, taken)  # one piece at most
    assert small_world.store.batch_jobs.list_jobs() == []


def test_the_right_token_lets_the_upload_through(small_world: SmallWorld) -> None:
    tom = api_sign_in(small_world.app, "tom")
    cookie = tom.client.cookies["voicesim_session"]
    pieces = multipart([("csrf_token", tom.csrf.encode(), None),
                        ("files", b"not audio at all", "notes.wav")])  # fmt: skip
    assert post(small_world, "/batch", pieces, cookie) == (303, sum(map(len, pieces)))
    pieces = multipart([("files", b"not audio at all", "notes.wav")])
    assert post(small_world, "/api/batch/jobs", pieces, cookie, tom.csrf)[0] == 201
    assert len(small_world.store.batch_jobs.list_jobs()) == 2
