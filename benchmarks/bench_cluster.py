"""Batch analysis on Ray against the plain in-process batch, on the same calls in the same run.

Starts a real two-node Ray cluster on 127.0.0.1 (ray.cluster_utils.Cluster: two raylets, each its
own object store and workers, one CPU each) and the throwaway PostgreSQL server the tests use, then
analyses the same calls four times, each into a fresh database:

  in-process   `analyze` without --cluster (the reference)
  1 worker     --cluster, --workers 1
  2 workers    --cluster, --workers 2 (one per node)
  2 + ship     --cluster, --workers 2, --ship-audio (the audio through the object store)

and reports calls per hour (whole run, and steady state: from the first call handed out to the
last result, without connecting and loading), and where a call's time goes on the cluster: the
overhead Ray adds per call (dispatch to result on the driver minus the analysis inside the
worker: scheduling, arguments and result through Ray, the worker's sha256 check), the worker's
model load amortised over the calls, putting the audio into the object store, and the driver's
database write per call (which bounds how far adding workers helps).

    .venv/bin/python benchmarks/bench_cluster.py [--asr-model tiny.en] [--json out.json] [CALL ...]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keep 127.0.0.1 as it is (see cluster/driver.py)

from reviewer_app.core.batch import analyze_many  # noqa: E402
from reviewer_app.core.cluster.driver import ClusterOptions, ClusterStats, analyze_on_cluster  # noqa: E402
from reviewer_app.core.pipeline import run_to_end  # noqa: E402
from reviewer_app.core.settings import load_settings  # noqa: E402
from reviewer_app.core.storage.db import open_database  # noqa: E402
from reviewer_app.core.storage.repository import save_analysis  # noqa: E402

CALLS = [ROOT / "tests" / "fixtures" / "call_basic.wav", ROOT / "tests" / "fixtures" / "call_noisy_mono.wav",
         ROOT / "resources" / "demo_calls" / "demo_good_call.wav",
         ROOT / "resources" / "demo_calls" / "demo_support_call.wav"]


def _mean(values) -> float:
    return statistics.fmean(values) if values else 0.0


def in_process(calls, settings, db_url: str, second_db_url: str) -> dict:
    engine = open_database(db_url)
    started = time.perf_counter()
    outcomes = run_to_end(analyze_many(calls, settings, engine))
    wall = time.perf_counter() - started
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    pipeline = [o.analysis.timings_s["total"] for o in outcomes]
    # The write of each call again into a fresh database: the per-call database time in-process.
    save_engine = open_database(second_db_url)
    saves = []
    for o in outcomes:
        t0 = time.perf_counter()
        save_analysis(save_engine, o.analysis)
        saves.append(time.perf_counter() - t0)
    engine.dispose()
    save_engine.dispose()
    return {"wall_s": wall, "steady_s": sum(pipeline), "pipeline_s": pipeline, "save_s": saves}


def on_cluster(calls, settings, db_url: str, address: str, workers: int, ship: bool) -> dict:
    engine = open_database(db_url)
    stats = ClusterStats()
    options = ClusterOptions(address=address, workers=workers, ship_audio=ship)
    started = time.perf_counter()
    outcomes = run_to_end(analyze_on_cluster(calls, settings, engine, db_url, options=options, stats=stats))
    wall = time.perf_counter() - started
    engine.dispose()
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    # What Ray adds to each call: dispatch to result on the driver, minus the analysis itself
    # (scheduling, arguments and result through Ray, the worker's sha256 check or scratch copy).
    overhead = [r - p for r, p in zip(stats.roundtrip_s, stats.pipeline_s)]
    return {
        "wall_s": wall, "steady_s": stats.run_s, "connect_s": stats.connect_s, "first_ready_s": stats.first_ready_s,
        "worker_load_s": stats.worker_load_s, "roundtrip_s": stats.roundtrip_s, "worker_s": stats.worker_s,
        "pipeline_s": stats.pipeline_s, "save_s": stats.save_s, "put_s": stats.put_s,
        "shipped_mb": stats.shipped_bytes / 1e6, "ray_overhead_s": overhead,
        "nodes": sorted({w["node"][:8] for w in stats.workers}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls", nargs="*", type=Path, default=CALLS)
    parser.add_argument("--asr-model", default="tiny.en")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()

    import ray.cluster_utils

    from tests.pg_server import PostgresServer

    data = tempfile.mkdtemp(prefix="bench-cluster-")
    os.environ["REVIEWER_APP_DATA_DIR"] = data  # never the user's library or caches of labels
    settings = load_settings(None)
    settings.asr.model, settings.asr.language = args.asr_model, "en"
    server = PostgresServer().start()
    cluster = ray.cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        cluster.wait_for_nodes()
        calls = [str(c) for c in args.calls]
        runs = {"in-process": in_process(calls, settings, server.new_database(), server.new_database())}
        for name, workers, ship in (("1 worker", 1, False), ("2 workers", 2, False), ("2 workers + ship", 2, True)):
            runs[name] = on_cluster(calls, settings, server.new_database(), cluster.address, workers, ship)
    finally:
        cluster.shutdown()
        server.stop()

    import av

    audio_s = 0.0
    for c in args.calls:
        with av.open(str(c)) as f:
            audio_s += float(f.duration or 0) / 1e6
    n = len(args.calls)
    print(f"{n} calls, {audio_s / 60:.1f} min of audio, ASR model {args.asr_model}, {os.cpu_count()} CPUs here; "
          f"(load average {os.getloadavg()[0]:.1f}); cluster: 2 nodes x 1 CPU on 127.0.0.1; "
          f"database: PostgreSQL on 127.0.0.1")
    print(f"{'run':<18} {'calls/h':>8} {'steady calls/h':>15} {'wall s':>7} {'analysis s/call':>16} "
          f"{'Ray overhead s/call':>20} {'load s/call':>12} {'ship s/call':>12} {'DB write ms':>12}")
    for name, r in runs.items():
        per_hour = n / r["wall_s"] * 3600
        steady = n / r["steady_s"] * 3600 if r["steady_s"] else 0.0
        overhead = _mean(r.get("ray_overhead_s", []))
        load = sum(r.get("worker_load_s", [])) / n
        ship = r.get("put_s", 0.0) / n
        print(f"{name:<18} {per_hour:8.0f} {steady:15.0f} {r['wall_s']:7.1f} {_mean(r['pipeline_s']):16.2f} "
              f"{overhead:20.3f} {load:12.2f} {ship:12.4f} {1000 * statistics.median(r['save_s']):12.1f}")
    ref = runs["in-process"]
    print(f"speed-up over in-process (steady): 1 worker {ref['steady_s'] / runs['1 worker']['steady_s']:.2f}x, "
          f"2 workers {ref['steady_s'] / runs['2 workers']['steady_s']:.2f}x; "
          f"2 workers over 1: {runs['1 worker']['steady_s'] / runs['2 workers']['steady_s']:.2f}x")
    save_ms = statistics.median(s for r in runs.values() for s in r["save_s"]) * 1000
    per_call = _mean(ref["pipeline_s"])
    print(f"database: {save_ms:.1f} ms per call (median write) against {per_call:.1f} s of analysis per call: "
          f"one driver writes for up to ~{per_call / (save_ms / 1000):.0f} busy workers before the database bounds it")
    if args.json:
        args.json.write_text(json.dumps({"calls": n, "audio_s": audio_s, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
