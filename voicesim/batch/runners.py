"""Where the per-file function runs: this process, a local process pool, or Ray actors.

Every runner calls ``score_file`` with the same options and yields rows in completion order;
each worker loads the model once (a pool initializer, or an actor's constructor).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from typing import Any

from voicesim.batch.options import BatchOptions
from voicesim.batch.score_file import prepare_worker, score_file
from voicesim.errors import BatchError

Job = tuple[str, str]  # (path, sha256)
RUNNERS = ("local", "ray")
_RAY_INSTALL = "`.venv/bin/pip install 'ray>=2.9'` (part of the batch extra)"

_worker_options: BatchOptions | None = None
_worker_error = ""


def run_jobs(jobs: Sequence[Job], options: BatchOptions, runner: str, workers: int,
             ray_address: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows for ``jobs`` in completion order."""
    if workers < 1:
        raise BatchError(f"--workers {workers}: give at least 1 worker")
    if runner == "local":
        return _run_local(jobs, options, workers)
    if runner == "ray":
        return _run_ray(jobs, options, workers, ray_address)
    raise BatchError(f"unknown runner {runner!r}: choose one of {', '.join(RUNNERS)}")


def _run_local(jobs: Sequence[Job], options: BatchOptions, workers: int
               ) -> Iterator[dict[str, Any]]:
    if workers == 1 or len(jobs) <= 1:
        for path, sha in jobs:
            yield score_file(path, options, sha)
        return
    # spawn: workers start clean (no inherited threads or half-loaded libraries).
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(min(workers, len(jobs)), initializer=_init_worker, initargs=(options,))
    finished = False
    try:
        yield from pool.imap_unordered(_work, jobs, chunksize=1)
        finished = True
    finally:
        # A finished run lets the workers exit on their own (killing them leaks the
        # semaphores their libraries hold); an interrupted one stops them at once.
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


def _init_worker(options: BatchOptions) -> None:
    """Pool initializer: load the model once. A failure is reported per file, not raised
    (a raising initializer makes the pool respawn workers for ever)."""
    global _worker_options, _worker_error
    _worker_options = options
    try:
        prepare_worker(options)
    except Exception as exc:
        _worker_error = " ".join(str(exc).split()) or type(exc).__name__


def _work(job: Job) -> dict[str, Any]:
    path, sha = job
    assert _worker_options is not None, "pool worker used without its initializer"
    if _worker_error:
        return {"file": path, "sha256": sha, "settings_id": _worker_options.settings_id,
                "error": f"{path}: the worker could not load the model ({_worker_error})",
                "retry": True}
    return score_file(path, _worker_options, sha)


class _RayWorker:
    """One Ray actor: loads the model in its constructor, then scores files."""

    def __init__(self, options: BatchOptions) -> None:
        self.options = options
        self.error = ""
        try:
            prepare_worker(options)
        except Exception as exc:
            self.error = " ".join(str(exc).split()) or type(exc).__name__

    def score(self, path: str, sha: str) -> dict[str, Any]:
        if self.error:
            return {"file": path, "sha256": sha, "settings_id": self.options.settings_id,
                    "error": f"{path}: the worker could not load the model ({self.error})",
                    "retry": True}
        return score_file(path, self.options, sha)


def _run_ray(jobs: Sequence[Job], options: BatchOptions, workers: int,
             address: str | None) -> Iterator[dict[str, Any]]:
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as exc:
        raise BatchError(f"the ray runner needs Ray: run {_RAY_INSTALL}") from exc
    if not jobs:
        return
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except Exception as exc:
            raise BatchError(
                f"cannot reach a Ray cluster at {address or '(a new local instance)'}: "
                f"{' '.join(str(exc).split())[:200]}; start one with `ray start --head` and pass "
                "--ray-address auto, or leave --ray-address out for a local instance") from exc
    actor_class = ray.remote(num_cpus=1)(_RayWorker)
    actors = [actor_class.remote(options) for _ in range(min(workers, len(jobs)))]
    try:
        pool = ActorPool(actors)
        yield from pool.map_unordered(lambda actor, job: actor.score.remote(*job), list(jobs))
    finally:
        for actor in actors:
            ray.kill(actor)  # type: ignore[arg-type]
