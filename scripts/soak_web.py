"""A bounded load test of the trainer web app: a real ``voicesim serve`` on loopback, many
signed-in clients for a while, and what they saw.

    python scripts/soak_web.py [--clients 20] [--seconds 60] [--sessions 40] [--json]

It builds a private data folder (one trainer account per client, ``--sessions`` spoken calls
made from a real ``voicesim practice --text`` call with 8 s of audio each), starts
``voicesim serve`` on a free loopback port, and lets every client sign in through the API and
then go round: the session list page, the list API, a review page, the call's audio, a note
on a turn (API). One client uploads one espeak recording for batch scoring at the start and
follows the job. It prints, per kind of request, how many, errors, p50, p99 and the slowest;
the server's peak resident memory (VmHWM); the load average before and after; and the busiest
other processes at the start, since the machine is shared. The goal: 0 errors and p99 under
1 s for pages. ``--database-url`` runs it on PostgreSQL instead of SQLite. The last line with
``--json`` is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak-password-123"
PAGES = ("list page", "review page")  # what the goal's "pages" are
REPLIES = "I am so sorry. What happened?\nCalm down, as I said.\n"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 is a time some request really took)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(np.ceil(share * len(ordered))) - 1))]


def busiest_processes(count: int = 5) -> list[str]:
    """The processes using the most CPU over the last second, other than this one."""
    def ticks() -> dict[int, tuple[int, str]]:
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
                fields = text[text.rindex(")") + 2 :].split()
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    "utf-8", "replace").strip() or text[text.index("(") + 1 : text.rindex(")")]  # fmt: skip
                found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12]), command[:70])
            except (OSError, ValueError, IndexError):
                continue
        return found

    first = ticks()
    time.sleep(1.0)
    second = ticks()
    hertz = os.sysconf("SC_CLK_TCK")
    used = [(second[p][0] - first[p][0], second[p][1]) for p in second if p in first
            and p != os.getpid()]  # fmt: skip
    used.sort(reverse=True)
    return [f"{100 * t / hertz:.0f}% {name}" for t, name in used[:count] if t > 0]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def voicesim(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicesim.cli", *args], env=env,
                          capture_output=True, text=True, check=True, timeout=300)  # fmt: skip


def build_world(data: Path, env: dict[str, str], clients: int, sessions: int) -> list[int]:
    """Accounts and spoken sessions in the store at env's database; returns the session ids."""
    sys.path.insert(0, str(ROOT))
    from voicesim.store.session_folder import SESSION_FILE, write_mono_wav
    from voicesim.store.store import open_store

    scratch = data.parent / "scratch"
    scratch.mkdir()
    (scratch / "replies.txt").write_text(REPLIES, encoding="utf-8")
    practice_env = {**env, "VOICESIM_DATA_DIR": str(scratch / "data"),
                    "VOICESIM_DATABASE_URL": f"sqlite:///{scratch / 'practice.db'}"}  # fmt: skip
    voicesim("practice", "--persona", "valentine-gift", "--text", "--replies",
             str(scratch / "replies.txt"), "--seed", "1", "--json", "--trainee", "alice",
             env=practice_env)  # fmt: skip
    (base,) = (scratch / "data" / "sessions").iterdir()
    seconds = np.arange(8 * 16000) / 16000
    tone = (0.2 * np.sin(2 * np.pi * 220 * seconds)).astype(np.float32)
    store = open_store(env["VOICESIM_DATABASE_URL"], data)
    ids = []
    try:
        store.users.add_user("alice", "trainee", PASSWORD, "north")
        for n in range(clients):
            store.users.add_user(f"trainer-{n:02d}", "trainer", PASSWORD, "north")
        for n in range(sessions):
            folder = data / "sessions" / f"soak-{n:03d}"
            shutil.copytree(base, folder)
            document = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
            write_mono_wav(folder / "call.wav", tone)
            write_mono_wav(folder / "turn-01.wav", tone[: 2 * 16000])
            document.update(mode="voice", audio="call.wav", engine="faster-whisper",
                            model="tiny.en", started_at=f"2025-03-{1 + n % 28:02d}T10:00:00+00:00")  # fmt: skip
            document["turns"][0]["audio_file"] = "turn-01.wav"
            (folder / SESSION_FILE).write_text(json.dumps(document), encoding="utf-8")
            ids.append(store.sessions.save_session_folder(folder))
    finally:
        store.close()
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Results:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def timed(self, kind: str, client: httpx.Client, method: str, url: str,
              expect: int = 200, **kwargs: Any) -> httpx.Response | None:  # fmt: skip
        start = time.perf_counter()
        try:
            answer = client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            with self.lock:
                self.errors[kind].append(f"{method} {url}: {type(error).__name__}: {error}")
            return None
        elapsed = time.perf_counter() - start
        with self.lock:
            self.times[kind].append(elapsed)
            if answer.status_code != expect:
                self.errors[kind].append(f"{method} {url}: {answer.status_code} {answer.text[:120]}")
        return answer


def speech_wav(folder: Path) -> bytes:
    """An espeak recording of a reply (a tone when espeak-ng is missing)."""
    target = folder / "upload.wav"
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-w", str(target), "I am so sorry your parcel is late. "
                        "What happened when you called us?"], check=True, capture_output=True)  # fmt: skip
        return target.read_bytes()
    from voicesim.store.session_folder import write_mono_wav

    write_mono_wav(target, (0.2 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 220)).astype(
        np.float32))  # fmt: skip
    return target.read_bytes()


def client_loop(number: int, base: str, ids: list[int], deadline: float, results: Results,
                upload: bytes | None, job: dict[str, Any]) -> None:  # fmt: skip
    with httpx.Client(base_url=base, timeout=30) as client:
        signed = results.timed("sign-in", client, "POST", "/api/login",
                               json={"name": f"trainer-{number:02d}", "password": PASSWORD})  # fmt: skip
        if signed is None or signed.status_code != 200:
            return
        token = signed.json()["csrf_token"]
        headers = {"X-CSRF-Token": token}
        if upload is not None:
            made = results.timed("upload", client, "POST", "/api/batch/jobs", expect=201,
                                 headers=headers, files=[("files", ("reply.wav", upload, "audio/wav"))])  # fmt: skip
            if made is not None and made.status_code == 201:
                job["id"] = made.json()["id"]
                job["started"] = time.perf_counter()
        step = 0
        while time.perf_counter() < deadline:
            session = ids[(number * 7 + step) % len(ids)]
            page = 1 + step % 2
            results.timed("list page", client, "GET", f"/sessions?page={page}&page_size=25")
            results.timed("list API", client, "GET", f"/api/sessions?page={page}")
            results.timed("review page", client, "GET", f"/sessions/{session}")
            results.timed("audio", client, "GET", f"/sessions/{session}/audio")
            results.timed("note (API)", client, "POST",
                          f"/api/sessions/{session}/turns/1/annotations", expect=201,
                          headers=headers, json={"comment": f"soak note {number}-{step}"})  # fmt: skip
            if "id" in job and "finished" not in job and number == 0:
                status = results.timed("batch job", client, "GET", f"/api/batch/jobs/{job['id']}")
                if status is not None and status.json().get("status") in ("done", "failed"):
                    job["finished"] = time.perf_counter() - job["started"]
                    job["status"] = status.json()["status"]
            step += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sessions", type=int, default=40, help="spoken calls in the store")
    parser.add_argument("--database-url", help="default: SQLite in the private data folder")
    parser.add_argument("--no-upload", action="store_true", help="skip the batch upload")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="voicesim-soak-"))
    data = root / "data"
    env = {**os.environ, "VOICESIM_DATA_DIR": str(data), "PYTHONPATH": str(ROOT),
           "VOICESIM_DATABASE_URL": args.database_url or f"sqlite:///{data / 'voicesim.db'}",
           "VOICESIM_ADMIN_PASSWORD": PASSWORD}  # fmt: skip
    env.pop("VOICESIM_SESSIONS_DIR", None)
    os.environ.update({k: env[k] for k in ("VOICESIM_DATA_DIR", "VOICESIM_DATABASE_URL")})
    server = None
    try:
        ids = build_world(data, env, args.clients, args.sessions)
        upload = None if args.no_upload else speech_wav(root)
        others = busiest_processes()
        load_before = os.getloadavg()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "voicesim.cli", "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=open(root / "serve.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("voicesim serve did not start; see " + str(root / "serve.log")) from None
                time.sleep(0.2)
        start_rss_mb = status_kb(server.pid, "VmRSS") / 1024
        start_cpu_s = cpu_s(server.pid)
        results = Results()
        job: dict[str, Any] = {}
        started = time.perf_counter()
        end = started + args.seconds
        threads = [threading.Thread(target=client_loop, args=(n, base, ids, end, results,
                                                              upload if n == 0 else None, job))
                   for n in range(args.clients)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall_s = time.perf_counter() - started
        peak_mb = status_kb(server.pid, "VmHWM") / 1024
        server_cpu_s = cpu_s(server.pid) - start_cpu_s
        load_after = os.getloadavg()
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(root, ignore_errors=True)

    rows = []
    for kind in ("sign-in", "list page", "list API", "review page", "audio", "note (API)",
                 "upload", "batch job"):  # fmt: skip
        times = results.times.get(kind, [])
        if times or results.errors.get(kind):
            rows.append({"kind": kind, "requests": len(times), "errors": len(results.errors[kind]),
                         "p50_s": round(percentile(times, 0.5), 4) if times else None,
                         "p99_s": round(percentile(times, 0.99), 4) if times else None,
                         "max_s": round(max(times), 4) if times else None})  # fmt: skip
    total = sum(r["requests"] for r in rows)
    errors = sum(r["errors"] for r in rows)
    page_times = [t for kind in PAGES for t in results.times.get(kind, [])]
    pages_p99 = percentile(page_times, 0.99) if page_times else float("nan")
    print(f"voicesim serve on loopback, {args.clients} clients for {args.seconds:.0f} s, "
          f"{args.sessions} spoken sessions, database {env['VOICESIM_DATABASE_URL'].split(':')[0]}")
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; busiest other processes in the second before the start:")
    for line in others or ["none"]:
        print(f"  {line}")
    print(f"{'request':<14}{'count':>7}{'errors':>8}{'p50':>9}{'p99':>9}{'max':>9}")
    for row in rows:
        p50, p99, most = (f"{row[k]:.3f}" if row[k] is not None else "-" for k in ("p50_s", "p99_s", "max_s"))
        print(f"{row['kind']:<14}{row['requests']:>7}{row['errors']:>8}{p50:>9}{p99:>9}{most:>9}")
    print(f"{total} requests in {wall_s:.1f} s ({total / wall_s:.0f}/s), {errors} errors; "
          f"pages p99 {pages_p99:.3f} s; server RSS {start_rss_mb:.0f} MB at start, "
          f"peak {peak_mb:.0f} MB; server CPU {server_cpu_s:.1f} s "
          f"({1000 * server_cpu_s / max(total, 1):.1f} ms a request, the upload's scoring included)")
    if job:
        print(f"batch upload: job {job.get('id')} {job.get('status', 'not finished')}"
              + (f" after {job['finished']:.1f} s" if "finished" in job else ""))
    for kind, messages in results.errors.items():
        for message in messages[:3]:
            print(f"  error ({kind}): {message}")
    goal = errors == 0 and pages_p99 < 1.0
    print(f"goal (0 errors, pages p99 < 1 s): {'met' if goal else 'NOT met'}")
    if args.json:
        print(json.dumps({"clients": args.clients, "seconds": args.seconds, "requests": total,
                          "errors": errors, "pages_p99_s": round(pages_p99, 4), "rows": rows,
                          "peak_rss_mb": round(peak_mb), "start_rss_mb": round(start_rss_mb),
                          "server_cpu_s": round(server_cpu_s, 2),
                          "load_before": load_before[0], "load_after": load_after[0],
                          "busiest_others": others, "upload": job.get("status")}))  # fmt: skip
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
