"""Run independent tasks on Dask distributed with a content-addressed result cache and a progress bar.

``map_tasks(fn, tasks, ...)`` is the one executor of ``tune``, ``explore`` and ``study --stage``: every
task is a JSON-able dict; its result (JSON-able) is cached under ``cache_dir/<key[:2]>/<key>.json`` where
``key = sha256(fn's qualified name, salt, task)``. The caller puts everything the result depends on into
the task or the salt (config, model and data digests, tool versions). Cached tasks are not submitted; each
finished task is written at once (atomically), so an interrupted run keeps what finished and a rerun only
computes the rest.

``dask_client(scheduler, workers)`` is a LocalCluster sized to the machine (one single-threaded worker
process per core) or a ``Client`` of a running scheduler (``tcp://HOST:8786``) whose workers have the
project installed; an unreachable address is a UsageError.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixedpoint.errors import UsageError

CONNECT_TIMEOUT_S = 5


@dataclass
class MapStats:
    """What one ``map_tasks`` call did: tasks in total, answered by the cache, computed now."""

    total: int = 0
    cached: int = 0
    computed: int = 0


def task_key(fn: Callable, task, salt: str = "") -> str:
    """Content key of one task: sha256 of the function's qualified name, the salt and the task's JSON."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    text = json.dumps([name, salt, task], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (for salts: models, data sets, RTL sources)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"


def _seal(key: str, result) -> str:
    """sha256 of the key and the result's canonical JSON: an entry edited by hand (or by a bug, or from
    another version) no longer matches and is recomputed instead of trusted (docs/failures.md)."""
    text = json.dumps([key, result], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_cached(cache_dir: Path | None, key: str):
    """The cached result of ``key``, or None (a missing, unreadable or altered entry is recomputed)."""
    if cache_dir is None:
        return None
    path = _cache_path(cache_dir, key)
    try:
        entry = json.loads(path.read_text())
        result = entry["result"]
        return result if entry["seal"] == _seal(key, result) else None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def write_cached(cache_dir: Path | None, key: str, task, result) -> None:
    """Store one result atomically (temp file in the same directory, then rename)."""
    if cache_dir is None:
        return
    path = _cache_path(cache_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{key[:8]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"task": task, "result": result, "seal": _seal(key, result)}, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A distributed ``Client``: of ``scheduler`` when given, else of a LocalCluster with ``workers``
    single-threaded worker processes (default: one per core)."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler: cannot reach {scheduler!r} ({type(exc).__name__})") from None
        with client:
            yield client
        return
    n = (os.cpu_count() or 1) if workers is None else workers
    if n < 1:
        raise UsageError(f"--workers: must be >= 1, got {n}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port in use, hosting the HTTP server on another port"
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        yield client


def map_tasks(
    fn: Callable,
    tasks: Sequence,
    *,
    client=None,
    cache_dir: Path | None = None,
    salt: str = "",
    desc: str = "tasks",
    progress: bool = True,
    stats: MapStats | None = None,
) -> list:
    """``[fn(t) for t in tasks]`` on the Dask ``client`` (in this process when None), cached by content.

    Results come back in task order. Identical tasks are computed once. The tqdm bar counts tasks done
    (cached ones included) and shows how many are left (queued or running).
    """
    return map_task_groups([(fn, tasks, salt)], client=client, cache_dir=cache_dir, desc=desc,
                           progress=progress, stats=stats)[0]


def map_task_groups(
    groups: Sequence[tuple[Callable, Sequence, str]],
    *,
    client=None,
    cache_dir: Path | None = None,
    desc: str = "tasks",
    progress: bool = True,
    stats: MapStats | None = None,
) -> list[list]:
    """``map_tasks`` over several ``(fn, tasks, salt)`` groups at once: every uncached task of every
    group is submitted before any result is awaited, so the groups share the workers (no barrier
    between them). One result list per group, in task order; one progress bar for all."""
    from tqdm import tqdm

    keyed = [[(task_key(fn, t, salt), fn, t) for t in tasks] for fn, tasks, salt in groups]
    keys = [k for group in keyed for k, _, _ in group]
    results: dict[str, object] = {}
    for key in set(keys):
        hit = read_cached(cache_dir, key)
        if hit is not None:
            results[key] = hit
    todo = {k: (fn, t) for group in keyed for k, fn, t in group if k not in results}
    if stats is not None:
        stats.total += len(keys)
        stats.cached += sum(1 for k in keys if k not in todo)
        stats.computed += len(todo)
    done_before = sum(1 for k in keys if k not in todo)
    with tqdm(total=len(keys), initial=done_before, desc=desc, unit="task", disable=not progress) as bar:
        counts = Counter(keys)
        if client is None:
            for key, (fn, task) in todo.items():
                bar.set_postfix(left=len(todo))
                results[key] = fn(task)
                write_cached(cache_dir, key, task, results[key])
                bar.update(counts[key])
        elif todo:
            from distributed import as_completed

            futures = {client.submit(fn, task, key=f"{fn.__name__}-{key}", pure=False): key
                       for key, (fn, task) in todo.items()}
            left = len(futures)
            for future in as_completed(futures):
                key = futures[future]
                results[key] = future.result()
                write_cached(cache_dir, key, todo[key][1], results[key])
                left -= 1
                bar.set_postfix(left=left)
                bar.update(counts[key])
    return [[results[k] for k, _, _ in group] for group in keyed]
