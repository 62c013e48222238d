"""The driver of a batch on Ray: hand calls out one at a time, retry lost ones, store each once.

Who writes: the driver. Workers return the CallAnalysis; the driver stores it with the same
`save_analysis` as the in-process batch (one transaction per call, the call keyed by its audio's
sha256). So:

* a worker killed mid-call has written nothing, and a worker Ray believes dead but that still
  finishes (a partitioned node) cannot write a second copy: only results that reach the driver are
  stored, and each dispatched attempt yields at most one result;
* a retried call, a rerun of the batch, or the same audio twice in one batch upserts the one row
  its sha256 names (the unique key): stored exactly once, whatever happened;
* workers need no database credentials for writing, nor a route to the database at all except to
  read which learned model is promoted (as the in-process pipeline does).

The cost is that writes are serial through one process; a write is a few tens of milliseconds
against seconds to minutes of ASR per call (bench_cluster.py measures both), so the database
bounds throughput only at hundreds of workers.

Retries: the actors restart after a crash (`max_restarts=-1`) but Ray does not replay the call
(`max_task_retries=0`): the driver sees the worker's death as a RayActorError and puts the call
back at the head of the queue, where the first worker that is free takes it, on any node. A call
whose worker dies `max_attempts` times is reported as failed (a file that crashes the decoder
must not restart workers forever). A call that fails for a reason in the file comes back as an
ordinary result with its error and is not retried.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.analysis_json import analysis_to_dict, write_json_atomic
from reviewer_app.core.batch import FileDone, FileOutcome, _json_path, _one_line, expand_paths, json_names
from reviewer_app.core.cluster.actors import AnalysisWorker, CallJob, WorkResult
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import CancelToken, Progress, no_steps, write_here
from reviewer_app.core.settings import Settings

MAX_ATTEMPTS = 3  # a call whose worker dies this many times is reported as failed
WAIT_S = 0.25  # how often the driver looks at the cancel token and redraws the bar
START_TIMEOUT_S = 600.0  # a worker not ready by then (no resources, cannot load) is given up
PING_EVERY_S = 15.0  # a busy worker is asked whether it is alive this often
WORKER_TIMEOUT_S = 120.0  # a busy worker that does not answer for this long is given up, its call retried


@dataclass
class ClusterOptions:
    address: str | None = None  # a Ray address (auto, HOST:PORT, ray://HOST:PORT); None: start Ray here
    workers: int | None = None  # worker actors; default: one per CPU of the cluster (per GPU share with gpus)
    ship_audio: bool = False  # send the bytes through Ray's object store (workers need no shared disk)
    worker_gpus: float = 0.0  # GPU share per worker: >0 runs ASR and the model on CUDA
    gpu_batch_size: int = 16
    max_attempts: int = MAX_ATTEMPTS
    start_timeout_s: float = START_TIMEOUT_S
    worker_timeout_s: float = WORKER_TIMEOUT_S


@dataclass
class ClusterStats:
    """What the benchmark reads: where the time of a call goes."""

    connect_s: float = 0.0
    read_s: float = 0.0  # hashing (and reading, with --ship-audio) on the driver
    put_s: float = 0.0  # ray.put of the audio
    shipped_bytes: int = 0
    worker_load_s: list[float] = field(default_factory=list)  # per worker start: model + detector load
    first_ready_s: float = 0.0  # from asking for the workers to the first one ready
    roundtrip_s: list[float] = field(default_factory=list)  # per call: dispatch to result on the driver
    worker_s: list[float] = field(default_factory=list)  # per call: inside the worker
    pipeline_s: list[float] = field(default_factory=list)  # per call: the analysis itself (timings total)
    save_s: list[float] = field(default_factory=list)  # per call: the driver's database transaction
    retries: int = 0
    workers: list[dict] = field(default_factory=list)  # each worker's provenance
    run_s: float = 0.0  # from the first dispatch to the last result


def _loopback(address: str) -> bool:
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def connect(options: ClusterOptions) -> None:
    """Connect to the cluster at `options.address`, or start a local Ray with `options.workers` CPUs.

    Ray rewrites a loopback address to this machine's network address before it connects; a
    cluster started on 127.0.0.1 only listens there, so for a loopback address (and the local Ray
    started here, which listens on 127.0.0.1 only) Ray is told to keep loopback addresses.
    """
    if options.address is None or _loopback(options.address):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read when ray is imported
    try:
        import ray
    except ImportError:
        raise ReviewerError("--cluster and --workers need Ray: pip install 'reviewer_app[cluster]'") from None
    quiet = dict(logging_level=logging.ERROR, log_to_driver=False)
    try:
        if options.address is None:
            ray.init(num_cpus=max(1, options.workers or os.cpu_count() or 1), include_dashboard=False,
                     _node_ip_address="127.0.0.1", **quiet)
        else:
            ray.init(address=options.address, **quiet)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... with long texts
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        raise ReviewerError(f"cannot connect to {where}: {first}") from None


def blas_threads_env() -> dict[str, str]:
    """The driver's BLAS thread count, for the workers' environment.

    Whisper's input features go through a numpy matrix product whose rounding depends on how many
    threads OpenBLAS splits it over, and Ray starts workers with OMP_NUM_THREADS=1. With the
    driver's count the workers compute the same features, so a call gets the same transcript and
    segments on the cluster as on the driver (on the same kind of CPU). CTranslate2's own thread
    count (asr.cpu_threads) does not change its results and stays Ray's one thread per worker.
    """
    count = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if not count:
        count = str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    return {"OPENBLAS_NUM_THREADS": count}


def _worker_count(options: ClusterOptions, n_jobs: int) -> int:
    import ray

    if options.workers:
        wanted = options.workers
    else:
        resources = ray.cluster_resources()
        if options.worker_gpus > 0:
            wanted = int(resources.get("GPU", 0) / options.worker_gpus)
        else:
            wanted = int(resources.get("CPU", 1))
    return max(1, min(wanted, n_jobs))


def workers_info(options: ClusterOptions, settings: Settings) -> list[dict]:
    """`reviewer-app info` as each node of the cluster sees it: one worker per node that has room for
    one (CPU, or the GPU share asked for), started there, asked, and ended."""
    connect(options)
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actors = []
    try:
        need = "GPU" if options.worker_gpus > 0 else "CPU"
        amount = options.worker_gpus if options.worker_gpus > 0 else 1
        nodes = [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["Resources"].get(need, 0) >= amount]
        remote = ray.remote(AnalysisWorker)
        for node in nodes:
            actors.append(remote.options(
                num_cpus=1, num_gpus=options.worker_gpus or 0, runtime_env={"env_vars": blas_threads_env()},
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
            ).remote(settings, None, options.gpu_batch_size))
        return ray.get([a.info.remote() for a in actors], timeout=options.start_timeout_s)
    finally:
        pool = _Pool()
        pool.workers = actors
        _stop(pool)


def _short(worker: dict | None) -> str:
    if not worker:
        return "?"
    return f"{str(worker.get('node', '?'))[:8]}/pid {worker.get('pid', '?')}"


def analyze_on_cluster(
    paths: Iterable[str | Path],
    settings: Settings,
    engine,
    db_url: str | None,
    out_dir: str | Path | None = None,
    force: bool = False,
    options: ClusterOptions | None = None,
    cancel: CancelToken | None = None,
    stats: ClusterStats | None = None,
    run_write=write_here,
) -> Generator[Progress, None, list[FileOutcome]]:
    """As `batch.analyze_many`, on Ray workers: yields Progress (done counts in calls), returns one
    outcome per file. `db_url` is passed to the workers (they read which model is promoted). Each
    call is stored through `run_write` (core.progress.write_here: in this thread)."""
    from reviewer_app.core.storage import repository

    options = options or ClusterOptions()
    cancel = cancel or CancelToken()
    stats = stats if stats is not None else ClusterStats()
    files = expand_paths(paths)
    names = json_names(files) if out_dir is not None else {}
    outcomes = [FileOutcome(str(p)) for p in files]
    total = len(files)

    jobs: list[CallJob] = []
    refs: dict = {}  # call index -> its audio in the object store (--ship-audio)
    first_of: dict[str, int] = {}
    repeats: dict[int, int] = {}
    pool = _Pool()
    try:
        if options.ship_audio and files:  # each file goes into the object store as it is read
            yield Progress(0, total, "connecting to Ray")
            t0 = time.perf_counter()
            connect(options)
            stats.connect_s = time.perf_counter() - t0
        # On the driver: identify every call (sha256), skip the stored ones and repeats.
        t0 = time.perf_counter()
        for i, path in enumerate(files):
            try:
                if options.ship_audio:
                    data = _read_regular(path)
                    sha = hashlib.sha256(data).hexdigest()
                else:
                    from reviewer_app.core.audio.decode import sha256_of_file

                    sha, data = sha256_of_file(path), None
                if sha in first_of:
                    repeats[i] = first_of[sha]
                    continue
                first_of[sha] = i
                stored = repository.load_analysis(engine, sha) if engine is not None and not force else None
                if stored is not None:
                    outcomes[i].analysis, outcomes[i].skipped = stored, True
                    _write_json(out_dir, path, names, sha, stored, outcomes[i])
                    continue
                jobs.append(CallJob(i, os.path.abspath(path), sha, path.stat().st_size))
                if data is not None:
                    import ray

                    t1 = time.perf_counter()
                    refs[i] = ray.put(data)
                    stats.put_s += time.perf_counter() - t1
                    stats.shipped_bytes += len(data)
            except Exception as exc:  # unreadable, not a regular file...: its one line, as in-process
                outcomes[i].error = _one_line(exc, path)
        stats.read_s = time.perf_counter() - t0 - stats.put_s
        done = total - len(jobs)
        yield Progress(done, total, f"{len(jobs)} of {total} calls to analyse")
        if jobs:
            if not options.ship_audio:
                yield Progress(done, total, "connecting to Ray")
                t0 = time.perf_counter()
                connect(options)
                stats.connect_s = time.perf_counter() - t0
            else:  # everything is read: from here on the driver's files are not needed (a test moves them away)
                yield Progress(done, total, f"read {len(jobs)} calls ({stats.shipped_bytes / 1e6:.1f} MB) "
                                            "into Ray's object store")
            yield from _run(jobs, refs, outcomes, files, names, out_dir, engine, db_url, settings,
                            options, cancel, stats, pool, done, total, run_write)
    finally:
        _stop(pool)
    for i, first in repeats.items():  # the same audio twice: analysed once, the repeat names it
        src = outcomes[first]
        outcomes[i].analysis, outcomes[i].skipped = src.analysis, src.analysis is not None
        outcomes[i].error = src.error
        if src.analysis is not None:
            try:
                _write_json(out_dir, files[i], names, src.analysis.audio.sha256, src.analysis, outcomes[i])
            except OSError as exc:
                outcomes[i].error = _one_line(exc, files[i])
    return outcomes


def _write_json(out_dir, path: Path, names, sha: str, analysis, outcome: FileOutcome) -> None:
    if out_dir is not None:
        write_json_atomic(_json_path(Path(out_dir), path, names[path], sha, outcome), analysis_to_dict(analysis))


def _read_regular(path: Path) -> bytes:
    from reviewer_app.core.audio.decode import _check_regular

    _check_regular(os.fspath(path))  # a FIFO or a device would block or never end
    return path.read_bytes()


class _Pool:
    """The driver's view of its workers: who is starting, idle, or busy with which call."""

    def __init__(self) -> None:
        self.workers: list = []  # actor handles
        self.who: dict[int, dict] = {}  # worker index -> provenance, once ready
        self.starting: dict = {}  # ready() ref -> (worker index, since, failed asks)
        self.idle: deque[int] = deque()
        self.inflight: dict = {}  # analyse() ref -> (worker index, job, sent at)
        self.pings: dict = {}  # ready() ref sent to a busy worker -> (worker index, sent at)
        self.answered: dict[int, float] = {}  # worker index -> when it last showed it is alive


def _run(jobs, refs, outcomes, files, names, out_dir, engine, db_url, settings, options, cancel, stats,
         pool: _Pool, done, total, run_write) -> Generator[Progress, None, None]:
    import ray
    from ray.exceptions import ActorDiedError, RayError, RayTaskError

    from reviewer_app.core.storage import repository

    queue = deque(jobs)
    n_workers = _worker_count(options, len(jobs))
    remote = ray.remote(AnalysisWorker).options(
        num_cpus=1, num_gpus=options.worker_gpus or 0, max_restarts=-1, max_task_retries=0,
        max_concurrency=2,  # a liveness ping is answered while a call runs (the driver never sends two calls)
        scheduling_strategy="SPREAD", runtime_env={"env_vars": blas_threads_env()},
    )
    asked = time.perf_counter()
    for w in range(n_workers):
        pool.workers.append(remote.remote(settings, db_url, options.gpu_batch_size))
        pool.starting[pool.workers[w].ready.remote()] = (w, asked, 0)
    yield Progress(done, total, f"starting {n_workers} Ray worker(s)")
    first_sent = None

    def dispatch() -> None:
        """One call per free worker, at most one at a time each: a long call holds up no one else."""
        nonlocal first_sent
        while queue and pool.idle:
            w, job = pool.idle.popleft(), queue.popleft()
            job.attempts += 1
            args = (job, refs[job.index]) if job.index in refs else (job,)
            pool.inflight[pool.workers[w].analyse.remote(*args)] = (w, job, time.perf_counter())
            pool.answered[w] = time.perf_counter()
            first_sent = first_sent or time.perf_counter()

    def state() -> str:
        running = ", ".join(f"{Path(job.path).name} on {_short(pool.who.get(w))}"
                            for w, job, _ in pool.inflight.values())
        waiting = f"; {len(pool.starting)} worker(s) starting" if pool.starting else ""
        return f"{done}/{total} calls done; in flight: {running or 'none'}{waiting}"

    while queue or pool.inflight:
        cancel.raise_if_cancelled()
        if queue and pool.idle:
            dispatch()
            yield Progress(done, total, state())
        if not (pool.idle or pool.inflight or pool.starting):
            for job in queue:  # every worker is gone for good
                outcomes[job.index].error = f"{files[job.index]}: no Ray worker left to analyse it"
                done += 1
            queue.clear()
            break
        ready, _ = ray.wait(list(pool.starting) + list(pool.inflight) + list(pool.pings), num_returns=1,
                            timeout=WAIT_S)
        now = time.perf_counter()
        for ref in ready:
            if ref in pool.pings:
                w, _ = pool.pings.pop(ref)
                try:
                    ray.get(ref)
                    pool.answered[w] = now
                except RayError:  # dead: its call's own result says so
                    pass
                continue
            if ref in pool.starting:
                w, since, failures = pool.starting.pop(ref)
                try:
                    pool.who[w] = ray.get(ref)
                    stats.workers.append(pool.who[w])
                    stats.worker_load_s.append(pool.who[w]["load_s"])
                    stats.first_ready_s = stats.first_ready_s or now - asked
                    pool.idle.append(w)
                except ActorDiedError:  # gone for good: it cannot start anywhere
                    pass
                except RayError:  # still restarting: ask again
                    if failures < 5:
                        pool.starting[pool.workers[w].ready.remote()] = (w, since, failures + 1)
                yield Progress(done, total, state())
                continue
            w, job, sent = pool.inflight.pop(ref)
            try:
                result: WorkResult = ray.get(ref)
            except RayTaskError as exc:  # raised inside the worker although it catches everything
                result = WorkResult(job.index, None, _one_line(exc.cause or exc, files[job.index]), 0.0)
            except RayError:  # the worker died (SIGKILL, OOM, its node went away): the call goes back
                pool.starting[pool.workers[w].ready.remote()] = (w, now, 0)  # Ray restarts it
                done = yield from _lost(job, w, "died", pool, queue, outcomes, files, options, stats, done, total)
                continue
            pool.idle.appendleft(w)
            dispatch()  # the next call first, then the write: no worker waits for the database
            refs.pop(job.index, None)  # the object store may free the audio
            stats.roundtrip_s.append(now - sent)
            stats.worker_s.append(result.worker_s)
            yield from _finish(result, job, outcomes, files, names, out_dir, engine, repository, stats, run_write)
            done += 1
            yield FileDone(done, total, f"{Path(job.path).name}: {'failed' if result.error else 'done'} "
                                        f"on {_short(pool.who.get(w))}", job.index, outcomes[job.index])
            yield Progress(done, total, state())
        for ref, (w, job, _) in list(pool.inflight.items()):
            # A busy worker is pinged now and then. One that stops answering (a frozen process, or
            # one Ray is restarting on a node that is gone, which may never happen) is restarted and
            # its call goes to another worker; a late result from it is never read, so never stored.
            if now - pool.answered.get(w, now) > options.worker_timeout_s:
                del pool.inflight[ref]
                for ping in [r for r, (pw, _) in pool.pings.items() if pw == w]:
                    del pool.pings[ping]
                ray.kill(pool.workers[w], no_restart=False)  # Ray starts it afresh, where it can
                pool.starting[pool.workers[w].ready.remote()] = (w, now, 0)
                done = yield from _lost(job, w, f"stopped answering for {options.worker_timeout_s:g} s",
                                        pool, queue, outcomes, files, options, stats, done, total)
            elif now - pool.answered.get(w, now) > min(PING_EVERY_S, options.worker_timeout_s / 4) \
                    and w not in {pw for pw, _ in pool.pings.values()}:
                pool.pings[pool.workers[w].ready.remote()] = (w, now)
        for ref, (w, since, _) in list(pool.starting.items()):  # never came up: no resources, node gone
            if now - since > options.start_timeout_s:
                del pool.starting[ref]
                ray.kill(pool.workers[w], no_restart=True)
    stats.run_s = time.perf_counter() - first_sent if first_sent else 0.0


def _lost(job: CallJob, w: int, how: str, pool: _Pool, queue: deque, outcomes, files, options: ClusterOptions,
          stats: ClusterStats, done: int, total: int) -> Generator[Progress, None, int]:
    """The worker of `job` is gone: the call goes back to the head of the queue (or fails after
    `max_attempts`). Returns the new count of calls done."""
    lost = pool.who.pop(w, None)
    name = Path(job.path).name
    if job.attempts >= options.max_attempts:
        outcomes[job.index].error = (f"{files[job.index]}: its Ray worker {how} {job.attempts} times while "
                                     f"analysing it (last on {_short(lost)})")
        yield FileDone(done + 1, total, f"{name}: failed", job.index, outcomes[job.index])
        return done + 1
    stats.retries += 1
    queue.appendleft(job)
    yield Progress(done, total, f"{name}: worker {_short(lost)} {how}; retrying on another worker "
                                f"(attempt {job.attempts + 1} of {options.max_attempts})")
    return done


def _finish(result: WorkResult, job: CallJob, outcomes, files, names, out_dir, engine, repository,
            stats: ClusterStats, run_write=write_here) -> Generator[Progress, None, None]:
    """Store one call (one transaction, keyed by sha256) and write its JSON, as the local batch does."""
    outcome: FileOutcome = outcomes[job.index]
    path = files[job.index]
    if result.error is not None:
        outcome.error = result.error
        return
    try:
        analysis = result.analysis
        stats.pipeline_s.append(float(analysis.timings_s.get("total", 0.0)))
        if engine is not None:
            t0 = time.perf_counter()
            yield from run_write(no_steps(lambda: repository.save_analysis(engine, analysis)))
            stats.save_s.append(time.perf_counter() - t0)
        outcome.analysis = analysis
        _write_json(out_dir, path, names, job.sha256, analysis, outcome)
    except Exception as exc:  # a database or disk failure for this call: its one line
        outcome.analysis, outcome.error = None, _one_line(exc, path)


def _stop(pool: _Pool) -> None:
    """Cancel the calls still running, end the workers, leave the cluster (or stop the local Ray).

    Nothing of a call is in the database until the driver's one transaction for it commits, so
    stopping here (Ctrl-C, an error) leaves every call either complete or absent.
    """
    import sys

    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return
    for ref in pool.inflight:
        try:
            ray.cancel(ref)
        except Exception:
            pass
    for actor in pool.workers:
        try:
            ray.kill(actor, no_restart=True)
        except Exception:
            pass
    try:
        ray.shutdown()
    except Exception:
        pass
