"""Library scale: 5,000 calls and 500,000 segments on SQLite and on PostgreSQL.

Measures what a reviewer waits for: opening the library view (every call with
its problem counts), filtering it, and one label write (median of many
LabelStore changes, each its own committed transaction). As a reference run
in the same process, a plain `SELECT count(*)` over the segments table is
timed too, and each figure is also given as a multiple of it.

    .venv/bin/python benchmarks/bench_db.py [--calls 5000] [--segments-per-call 100] [--pg-url URL]

Without --pg-url a throwaway PostgreSQL server is started on loopback (as in
the tests); PostgreSQL is skipped with a message when that is not possible.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer_app.core.domain import CATEGORIES  # noqa: E402
from reviewer_app.core.storage.db import open_database, writer  # noqa: E402
from reviewer_app.core.storage.labels import LabelStore  # noqa: E402
from reviewer_app.core.storage.models import CallRow, SegmentRow  # noqa: E402
from reviewer_app.core.storage.repository import list_calls, refresh_problem_counts  # noqa: E402


def populate(engine, n_calls: int, per_call: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    grades = ["high", "medium", "low"]
    statuses = ["new", "in_review", "reviewed"]
    with Session(writer(engine)) as s, s.begin():
        for start in range(0, n_calls, 1000):
            rows = []
            for i in range(start, min(n_calls, start + 1000)):
                score = rng.randint(20, 100)
                rows.append(dict(
                    sha256=f"{i:064x}", path=f"/calls/2026/agent{i % 40:02d}/call_{i:05d}.wav",
                    duration_s=rng.uniform(60, 900), sample_rate=8000, channels=2,
                    roles=["customer", "agent"], language="en", score_value=score,
                    score_grade=grades[0 if score >= 85 else 1 if score >= 60 else 2], deductions={},
                    timings={}, versions={}, review_status=rng.choice(statuses),
                    analysed_at=now - timedelta(minutes=i), created_at=now, updated_at=now,
                ))
            s.execute(insert(CallRow), rows)
        ids = s.scalars(select(CallRow.id).order_by(CallRow.id)).all()
        batch = []
        for call_id in ids:
            for k in range(per_call):
                t = rng.uniform(0, 800)
                batch.append(dict(
                    call_id=call_id, start=t, end=t + rng.uniform(0.5, 8), role=rng.choice(["agent", "customer",
                                                                                             "both"]),
                    category=rng.choice(CATEGORIES), score=rng.random(), source="rule:bench", evidence="bench",
                    status=rng.choice(["predicted"] * 8 + ["confirmed", "rejected"]), version=1,
                    created_at=now, updated_at=now,
                ))
            if len(batch) >= 20000:
                s.execute(insert(SegmentRow), batch)
                batch = []
        if batch:
            s.execute(insert(SegmentRow), batch)
        for call in s.scalars(select(CallRow)):  # what save_analysis keeps on each call
            refresh_problem_counts(s, call)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(name: str, url: str, n_calls: int, per_call: int) -> None:
    engine = open_database(url)
    t0 = time.perf_counter()
    populate(engine, n_calls, per_call)
    print(f"\n{name}: generated {n_calls} calls, {n_calls * per_call} segments in {time.perf_counter() - t0:.1f} s")

    def count_segments():
        with engine.connect() as c:
            c.execute(select(func.count()).select_from(SegmentRow)).scalar()

    reference = timed(count_segments, 5)
    open_view = timed(lambda: list_calls(engine), 5)
    filters = dict(review_status="new", grade="low", category="overtalk", path_contains="agent07")
    filtered = timed(lambda: list_calls(engine, **filters), 5)
    n_filtered = len(list_calls(engine, **filters))

    labels = LabelStore(engine)
    with engine.connect() as c:
        seg_ids = c.execute(select(SegmentRow.id).order_by(func.random()).limit(200)).scalars().all()
    writes = []
    for i, seg_id in enumerate(seg_ids):
        t0 = time.perf_counter()
        (labels.confirm if i % 2 else labels.reject)(seg_id, "bench")
        writes.append(time.perf_counter() - t0)
    write = statistics.median(writes)
    print(f"reference SELECT count(*) over segments: {reference * 1000:.0f} ms")
    print(f"open library view (all calls + problem counts): {open_view * 1000:.0f} ms "
          f"({open_view / reference:.1f}x reference; target <= 1000 ms)")
    print(f"filter {filters} -> {n_filtered} calls: {filtered * 1000:.0f} ms "
          f"({filtered / reference:.1f}x reference; target <= 500 ms)")
    print(f"label write, median of {len(writes)}: {write * 1000:.1f} ms "
          f"(p90 {sorted(writes)[int(0.9 * len(writes))] * 1000:.1f} ms; target <= 20 ms)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--segments-per-call", type=int, default=100)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{tmp}/scale.sqlite3", args.calls, args.segments_per_call)
    if args.pg_url:
        measure("PostgreSQL", args.pg_url, args.calls, args.segments_per_call)
        return
    from tests.pg_server import PostgresServer, Unavailable

    try:
        server = PostgresServer().start()
    except Unavailable as why:
        print(f"\nPostgreSQL skipped: {why}")
        return
    try:
        measure("PostgreSQL", server.new_database(), args.calls, args.segments_per_call)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
