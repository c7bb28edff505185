"""A sign-in is a row in the store, and the cookie only a random token for it: signing out,
a new password, a new role and a removed account end every sign-in of that account at once,
and an id once used never names another account, session or batch job. On SQLite and
PostgreSQL alike."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from itsdangerous import TimestampSigner

from tests.web.conftest import SECRET_KEY, SmallWorld, api_sign_in, sign_in, with_cookie
from voicesim.cli import main
from voicesim.store.models import JobStatus


def cookie_of(browser_client: object) -> str:
    cookie: str = browser_client.cookies["voicesim_session"]  # type: ignore[attr-defined]
    return cookie


def cookie_data(cookie: str) -> dict[str, str]:
    """What the signed session cookie carries (signed, not encrypted: anyone may read it)."""
    data: dict[str, str] = json.loads(base64.b64decode(TimestampSigner(SECRET_KEY).unsign(cookie)))
    return data


def me(small_world: SmallWorld, cookie: str) -> int:
    return with_cookie(small_world.app, cookie).get("/api/me").status_code


def test_a_removed_accounts_cookie_does_not_open_the_next_account(
    small_world: SmallWorld,
) -> None:
    store = small_world.store
    store.users.add_user("zed", "trainee", "zed-password-123")  # the highest id
    zed = api_sign_in(small_world.app, "zed", "zed-password-123")
    kept = cookie_of(zed.client)
    zed_id = zed.client.get("/api/me").json()["id"]
    store.delete_user("zed")
    new_admin_id = store.users.add_user("root", "admin", "root-password-123")
    assert new_admin_id > zed_id  # never the removed account's id again
    answer = with_cookie(small_world.app, kept).get("/api/me")
    assert answer.status_code == 401, answer.text  # and the old cookie opens nothing
    assert with_cookie(small_world.app, kept).get("/users").status_code == 303


def test_signing_out_ends_the_sign_in_for_every_copy_of_the_cookie(
    small_world: SmallWorld,
) -> None:
    tom = api_sign_in(small_world.app, "tom")
    kept = cookie_of(tom.client)
    assert me(small_world, kept) == 200
    assert tom.api("POST", "/api/logout").status_code == 204
    assert me(small_world, kept) == 401  # a copy made before signing out is dead too
    page = sign_in(small_world.app, "tom")  # the form's sign-out as well
    kept = cookie_of(page.client)
    assert page.form("/logout").status_code == 303
    assert me(small_world, kept) == 401


def test_a_new_password_ends_every_sign_in_of_the_account(small_world: SmallWorld) -> None:
    first, second = api_sign_in(small_world.app, "alice"), api_sign_in(small_world.app, "alice")
    tom = api_sign_in(small_world.app, "tom")
    cookies = [cookie_of(first.client), cookie_of(second.client)]
    assert main(["users", "passwd", "alice", "--password", "alice-new-password"]) == 0
    assert [me(small_world, c) for c in cookies] == [401, 401]
    assert tom.client.get("/api/me").status_code == 200  # other accounts keep theirs
    again = api_sign_in(small_world.app, "alice", "alice-new-password")
    admin = api_sign_in(small_world.app, "admin")
    page = admin.client.post("/users/alice/password",
                             data={"csrf_token": admin.csrf, "password": "third-password"})  # fmt: skip
    assert page.status_code == 303
    assert again.client.get("/api/me").status_code == 401
    assert admin.client.get("/api/me").status_code == 200


def test_a_new_role_ends_every_sign_in_of_the_account(small_world: SmallWorld) -> None:
    tom = api_sign_in(small_world.app, "tom")
    assert main(["users", "role", "tom", "trainee"]) == 0
    assert tom.client.get("/api/me").status_code == 401
    again = api_sign_in(small_world.app, "tom")
    assert again.client.get("/api/me").json()["role"] == "trainee"
    admin = api_sign_in(small_world.app, "admin")
    page = admin.client.post("/users/tom/role", data={"csrf_token": admin.csrf, "role": "trainer"})
    assert page.status_code == 303, page.text
    assert again.client.get("/api/me").status_code == 401
    assert api_sign_in(small_world.app, "tom").client.get("/api/me").json()["role"] == "trainer"


def test_a_removed_account_is_signed_out_everywhere(small_world: SmallWorld) -> None:
    alice = api_sign_in(small_world.app, "alice")
    admin = api_sign_in(small_world.app, "admin")
    assert admin.client.post("/users/alice/delete",
                             data={"csrf_token": admin.csrf}).status_code == 303  # fmt: skip
    assert alice.client.get("/api/me").status_code == 401


def test_the_store_keeps_only_a_hash_of_the_token(small_world: SmallWorld) -> None:
    tom = api_sign_in(small_world.app, "tom")
    engine = sa.create_engine(small_world.url)
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text("SELECT * FROM sign_ins")).mappings().all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0].values())
    token = cookie_data(cookie_of(tom.client))["sid"]
    assert len(token) >= 32 and token not in stored  # the token itself is never stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_a_sign_in_ends_after_its_lifetime(small_world: SmallWorld) -> None:
    tom = api_sign_in(small_world.app, "tom")
    store = small_world.store
    later = datetime.now(UTC) + timedelta(hours=small_world.settings.session_hours, minutes=1)
    assert store.sign_ins.purge_expired(later) == 1
    assert tom.client.get("/api/me").status_code == 401


def test_ids_of_sessions_and_batch_jobs_are_never_reused(small_world: SmallWorld) -> None:
    store = small_world.store
    first = small_world.session_id
    folder = store.sessions.get_session(first)["folder"]
    copy = small_world.data / "sessions" / "copy"
    shutil.copytree(folder, copy)
    store.sessions.delete_session(first)
    assert store.sessions.save_session_folder(copy) > first
    job = store.batch_jobs.create_job({"files": []}, 0, "tom")
    store.batch_jobs.set_status(job, JobStatus.RUNNING)
    store.batch_jobs.add_result(job, "a.wav", {"file": "a.wav"})
    result = store.batch_jobs.result_entries(job)[0].id
    store.batch_jobs.set_status(job, JobStatus.DONE)
    assert store.batch_jobs.apply_retention(1, datetime.now(UTC) + timedelta(days=2)) == 1
    again = store.batch_jobs.create_job({"files": []}, 0, "tom")
    assert again > job
    store.batch_jobs.set_status(again, JobStatus.RUNNING)
    store.batch_jobs.add_result(again, "a.wav", {"file": "a.wav"})
    assert store.batch_jobs.result_entries(again)[0].id > result
