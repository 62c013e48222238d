"""The learned model's track of each call (ModelTrack), stored beside its analysis.

The values travel as float16 (little-endian, row after row): a 2-hour call's track at 0.5 s per
value and twelve rows is under 400 kB. A re-analysis replaces the track; an analysis without one
(the model could not run) removes the old one, so a track never outlives the findings it was
computed with.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from reviewer_app.core.domain import ModelTrack
from reviewer_app.core.storage.models import ModelTrackRow

_DTYPE = np.dtype("<f2")


def replace_track(s: Session, call_id: int, track: ModelTrack | None, now: datetime) -> None:
    """Within the caller's transaction: `call_id`'s track becomes `track` (none when None)."""
    s.execute(delete(ModelTrackRow).where(ModelTrackRow.call_id == call_id))
    if track is None:
        return
    values = np.asarray(track.values, np.float32).reshape(len(track.rows), -1)
    s.add(ModelTrackRow(
        call_id=call_id, model_version=track.model_version, hop_s=float(track.hop_s),
        threshold=float(track.threshold), rows=[list(r) for r in track.rows], frames=int(values.shape[1]),
        values=np.clip(values, 0.0, 1.0).astype(_DTYPE).tobytes(), disagreements=list(track.disagreements),
        updated_at=now,
    ))


def track_of(s: Session, call_id: int) -> ModelTrack | None:
    row = s.get(ModelTrackRow, call_id)
    if row is None:
        return None
    values = np.frombuffer(row.values, _DTYPE).astype(np.float32).reshape(len(row.rows), row.frames)
    return ModelTrack(row.model_version, row.hop_s, row.threshold, [(c, r) for c, r in row.rows], values,
                      list(row.disagreements or []))


def load_track(engine: Engine, call_id: int) -> ModelTrack | None:
    """The model track stored for the call, or None (analysed before the model ran on every call)."""
    with Session(engine) as s, s.begin():
        return track_of(s, call_id)
