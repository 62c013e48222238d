"""Re-score unreviewed calls with the model now in use (after a promotion or a rollback).

A generator of Progress like every long core job: the GUI runs it in a
background lane, the CLI with a terminal bar, the training worker after a
promotion. Only calls nobody has touched (review status "new") are re-scored;
their transcript is kept (no ASR), the audio is decoded and measured again,
and the rules merged with the model replace the old predictions in one
transaction per call. Whatever a reviewer did meanwhile (a corrected turn, a
confirmed, rejected, edited or added segment, also on a call set back to
"new") is kept by repository.save_analysis, as for `analyze --force`. A call
whose audio is gone is skipped and named.
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import CancelToken, Progress, no_steps, write_here
from reviewer_app.core.settings import Settings


@dataclass
class RescoreReport:
    rescored: int = 0
    skipped: list[str] = field(default_factory=list)  # one line each: the file and why
    detector: str = "rules"


def rescore_unreviewed(engine, settings: Settings, cancel: CancelToken | None = None, run_write=write_here
                       ) -> Generator[Progress, None, RescoreReport]:
    """Re-detect each unreviewed call and store it through `run_write` (core.progress.write_here)."""
    from reviewer_app.core.detect.merge import uses_model
    from reviewer_app.core.pipeline import active_policy, redetect_analysis
    from reviewer_app.core.storage import repository
    from reviewer_app.core.model.registry import active_weights

    cancel = cancel or CancelToken()
    version, _ = active_weights(engine)
    detector = f"rules + model {version}" if uses_model(active_policy(engine, settings)) else "rules"
    report = RescoreReport(detector=detector)
    calls = [c for c in repository.list_calls(engine) if c.review_status == "new"]
    for n, call in enumerate(calls):
        cancel.raise_if_cancelled()
        yield Progress(n, len(calls), f"re-scoring call {n + 1} of {len(calls)}")
        analysis = repository.load_analysis(engine, call.sha256)
        if analysis is None:
            continue
        try:
            again = redetect_analysis(analysis, settings, db=engine, path=call.path)
        except (OSError, ReviewerError) as exc:
            report.skipped.append(f"{call.path}: {exc}")
            continue
        stored = replace(again, versions=dict(analysis.versions, detector=detector))
        yield from run_write(no_steps(lambda: repository.save_analysis(engine, stored)))
        report.rescored += 1
    yield Progress(len(calls), len(calls), f"re-scored {report.rescored} calls")
    return report
