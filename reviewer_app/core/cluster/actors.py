"""The Ray worker: one long-lived process that loads the ASR model and the detector once, then
analyses the calls the driver hands it, one at a time.

A worker never writes the library: it returns the CallAnalysis and the driver stores it (see
driver.py for why). A failure caused by the file (bad audio, unreadable file, content that differs
from what the driver hashed) is returned as a `WorkResult` with its one-line reason, so Ray never
sees an exception and nothing retries it. Only the death of the process (SIGKILL, OOM, a node that
disappears) reaches the driver as a Ray error, and that the driver retries elsewhere.
"""
from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from reviewer_app.core.cluster.provenance import provenance
from reviewer_app.core.domain import CallAnalysis
from reviewer_app.core.settings import Settings


@dataclass
class CallJob:
    """One call as the driver hands it out. `path` is the driver's absolute path (stored in the
    library); the audio travels separately, as an object-store argument, with --ship-audio."""

    index: int
    path: str
    sha256: str
    size: int
    attempts: int = 0


@dataclass
class WorkResult:
    index: int
    analysis: CallAnalysis | None
    error: str | None
    worker_s: float  # wall time inside the worker (decode + ASR + detection + shipping the audio to disk)


def worker_settings(settings: Settings, gpu: bool) -> Settings:
    """The settings a worker runs with: CUDA (float16) for ASR and the learned model when Ray gave it
    a GPU; the CPU otherwise (a worker without a GPU of its own never touches one)."""
    settings = copy.deepcopy(settings)
    settings.asr.device = "cuda" if gpu else "cpu"
    if gpu and settings.asr.compute_type == "default":
        settings.asr.compute_type = "float16"
    settings.model.device = "cuda" if gpu else "cpu"
    return settings


class AnalysisWorker:
    """The actor class (driver.py wraps it with `ray.remote`). Plain Python, so it reads like the
    in-process batch: `analyse` is `analyze` + the file checks, nothing else."""

    def __init__(self, settings: Settings, db_url: str | None, gpu_batch_size: int = 16) -> None:
        import ray

        from reviewer_app.core.asr.transcribe import load_engine

        started = time.perf_counter()
        gpu = bool(ray.get_gpu_ids())
        self.settings = worker_settings(settings, gpu)
        self.engine = load_engine(self.settings.asr)  # once per process; the pipeline finds it cached
        if gpu:
            from reviewer_app.core.cluster.gpu import use_batched_pipeline

            use_batched_pipeline(self.engine, gpu_batch_size)
        self.db = None
        if db_url:  # read only here: which learned model is promoted in the library
            from reviewer_app.core.storage.db import open_database

            self.db = open_database(db_url)
        self._warm_detector()
        self.provenance = provenance(self.engine.device, ray.get_runtime_context().get_node_id())
        self.load_s = time.perf_counter() - started

    def _warm_detector(self) -> None:
        """Import the rules and, when the promoted model is used for any category, load it once."""
        from reviewer_app.core.detect import detector  # noqa: F401  (the rules)
        from reviewer_app.core.detect.merge import uses_model
        from reviewer_app.core.pipeline import active_policy

        if uses_model(active_policy(self.db, self.settings)):
            from reviewer_app.core.model.registry import load_active

            load_active(self.db, self.settings.model.device)

    def ready(self) -> dict:
        """Who this worker is, and how long it took to load; answered once it can take calls."""
        return dict(self.provenance, load_s=round(self.load_s, 3))

    def info(self) -> dict:
        """`reviewer-app info` as seen on this worker (device, GPU, model), with its provenance."""
        from reviewer_app.core.info import collect_info

        out = collect_info("sqlite://")  # the library is the driver's business: no file made here
        out["device"] = self.engine.device
        out["asr_compute_type"] = self.settings.asr.compute_type
        out["asr_batched"] = bool(getattr(self.engine.model, "_reviewer_batched", False))
        out["worker"] = self.ready()
        return out

    def analyse(self, job: CallJob, audio: bytes | None = None) -> WorkResult:
        from reviewer_app.core.batch import _one_line
        from reviewer_app.core.checksums import sha256_of_file
        from reviewer_app.core.errors import ReviewerError
        from reviewer_app.core.pipeline import analyze, run_to_end

        started = time.perf_counter()
        scratch = local = None
        try:
            if audio is not None:  # --ship-audio: the bytes came through the object store
                if hashlib.sha256(audio).hexdigest() != job.sha256:
                    raise ReviewerError(f"{job.path}: the audio shipped to this worker is damaged (sha256 differs)")
                scratch = tempfile.mkdtemp(prefix="reviewer-call-")
                local = os.path.join(scratch, "call" + Path(job.path).suffix.lower())
                with open(local, "wb") as f:
                    f.write(audio)
            else:  # shared storage: the same path must hold the same audio here
                local = job.path
                try:
                    sha = sha256_of_file(local)
                except FileNotFoundError:
                    raise ReviewerError(f"{job.path}: not found on worker node {self.provenance['node'][:12]} "
                                        "(is the storage shared? --ship-audio sends the audio instead)") from None
                if sha != job.sha256:
                    raise ReviewerError(f"{job.path}: different content on worker node {self.provenance['node'][:12]} "
                                        "than on the driver (changed meanwhile, or not the same storage)")
            analysis = run_to_end(analyze(local, self.settings, sha256=job.sha256, db=self.db))
            if local != job.path:  # the library and every message name the driver's file
                analysis.audio = replace(analysis.audio, path=job.path)
                analysis.warnings = [w.replace(local, job.path) for w in analysis.warnings]
            analysis.analysed_by = dict(self.provenance)
            return WorkResult(job.index, analysis, None, time.perf_counter() - started)
        except Exception as exc:  # the file's fault: reported once, never retried
            message = _one_line(exc, Path(job.path))
            if local is not None and local != job.path:  # name the driver's file, not the scratch copy
                message = message.replace(f"{local}: ", "").replace(local, job.path)
            return WorkResult(job.index, None, message, time.perf_counter() - started)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

