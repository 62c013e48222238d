"""Adopting a session is all or nothing: a database failure part-way leaves the labels of record, their
audit log and the session as they were, and adopting again then makes each change once (the majority's
added segment is added once, not twice). The failure is a real one: a trigger, created from a second
connection, that makes the database refuse one statement of the adoption. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from reviewer_app.core.calibration.adopt import adopt
from reviewer_app.core.calibration.sessions import create_session, load_session, record, submit
from reviewer_app.core.calibration.units import Decision
from reviewer_app.core.storage.models import LabelEventRow, SegmentRow
from reviewer_app.core.storage.repository import load_segments
from tests.core.test_calibration_cli import library, record_state  # noqa: F401 - the fixture

# Where the database refuses: the 3rd audit entry of the adoption (two changes are written by then), or
# marking the session adopted (its very last statement: every change is written by then).
REFUSE_PG = ("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF {when} THEN "
             "RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
FAILURES = {
    "sqlite": {
        "third_audit_entry": ["CREATE TRIGGER refuse BEFORE INSERT ON label_events "
                              "WHEN (SELECT count(*) FROM label_events) >= {events} + 2 "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"],
        "marking_adopted": ["CREATE TRIGGER refuse BEFORE UPDATE ON calibration_sessions WHEN NEW.state = 'adopted' "
                            "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"],
    },
    "postgresql": {
        "third_audit_entry": [REFUSE_PG.replace("{when}", "(SELECT count(*) FROM label_events) >= {events} + 2"),
                              "CREATE TRIGGER refuse BEFORE INSERT ON label_events FOR EACH ROW "
                              "EXECUTE FUNCTION refuse()"],
        "marking_adopted": [REFUSE_PG.replace("{when}", "NEW.state = 'adopted'"),
                            "CREATE TRIGGER refuse BEFORE UPDATE ON calibration_sessions FOR EACH ROW "
                            "EXECUTE FUNCTION refuse()"],
    },
}
DROP = {"sqlite": "DROP TRIGGER refuse", "postgresql": "DROP FUNCTION refuse() CASCADE"}


def reviewed_session(engine, support: int, good: int) -> int:
    """Ana and bob review both calls: the majority confirms f1, f2, f4, moves f3 to their median bounds,
    rejects f5 and g1, and adds the overtalk both of them added on the good call."""
    f1, f2, f3, f4, f5 = [g.id for g in load_segments(engine, support)]
    [g1] = [g.id for g in load_segments(engine, good)]
    session = create_session(engine, [support, good], ["ana", "bob"], "lea")
    for name, f3_end in (("ana", 30.5), ("bob", 30.9)):
        f3_start = next(g.start for g in load_segments(engine, support) if g.id == f3)
        record(engine, session, support, name, confirm=[f1, f2, f4], reject=[f5], score=70,
               edit=[Decision(f3, "edit", f3_start, f3_end)])
        record(engine, session, good, name, reject=[g1], score=95,
               add=[Decision(None, "add", 30.0, 32.0 if name == "ana" else 32.4, "both", "overtalk")])
        submit(engine, session, name, [support, good])
    return session


def database_refuses(db_url: str, dialect: str, where: str, events: int):
    """The trigger, made through a connection of its own; a function that drops it again."""
    other = create_engine(db_url)
    with other.begin() as conn:
        for statement in FAILURES[dialect][where]:
            conn.execute(text(statement.replace("{events}", str(events))))

    def drop() -> None:
        with other.begin() as conn:
            conn.execute(text(DROP[dialect]))
        other.dispose()

    return drop


@pytest.mark.parametrize("where", ["third_audit_entry", "marking_adopted"])
def test_a_failure_part_way_adopts_nothing_and_a_retry_adopts_once(library, where):  # noqa: F811
    db_url, engine, support, good = library
    session = reviewed_session(engine, support, good)
    before = record_state(engine)
    drop = database_refuses(db_url, engine.dialect.name, where, before[1])

    with pytest.raises(DBAPIError, match="refused by the test trigger"):
        adopt(engine, session, "majority", "lea")
    assert record_state(engine) == before  # no label, audit entry or review state changed
    assert load_session(engine, session).summary.state == "open"

    drop()
    done = adopt(engine, session, "majority", "lea")
    assert done.counts() == {"confirm": 3, "edit": 1, "reject": 2, "add": 1}
    segments, events, calls = record_state(engine)
    assert events == before[1] + len(done.changes) + 2  # one audit entry per change, one per call reviewed
    assert [c[1] for c in calls] == ["reviewed", "reviewed"]
    with Session(engine) as s:
        added = s.execute(select(SegmentRow.call_id, SegmentRow.start, SegmentRow.end, SegmentRow.category)
                          .where(SegmentRow.source == "reviewer")).all()
        assert [tuple(a) for a in added] == [(good, 30.0, pytest.approx(32.2), "overtalk")]
        assert s.scalar(select(func.count()).select_from(LabelEventRow)
                        .where(LabelEventRow.action == "add")) == 1
    summary = load_session(engine, session).summary
    assert (summary.state, summary.adopted_from, summary.adopted_by) == ("adopted", "majority", "lea")
