"""detector.RULES / detect_problems on a whole synthetic call, and the no-Qt guard."""
import subprocess
import sys

from rule_builders import channel, context, settings, speech, turn, words_at

from reviewer_app.core.detect import detector
from reviewer_app.core.domain import AGENT, CATEGORIES, CUSTOMER, ROLES


def test_rules_cover_every_category_in_order():
    assert tuple(detector.RULES) == CATEGORIES


def _problem_call():
    agent_words = speech(2.0, 40.0, {10.0: "not my problem"})  # no greeting, no closing
    cust_words = words_at("this is ridiculous", 50.0, 0.5)
    turns = [turn(AGENT, agent_words), turn(CUSTOMER, cust_words)]
    chans = [channel(CUSTOMER, 60, [(38.0, 52.0)]), channel(AGENT, 60, [(2.0, 40.0)])]
    return context(60, turns, channels=chans)


def test_detect_problems_runs_all_rules_sorted():
    segs = detector.detect_problems(_problem_call(), settings())
    assert segs == sorted(segs, key=lambda s: (s.start, s.category))
    found = {(s.category, s.role, s.start, s.end) for s in segs}
    assert ("missing_greeting", AGENT, 2.0, 22.0) in found
    assert ("forbidden_phrase", AGENT, 10.0, 10.9) in found
    assert ("overtalk", CUSTOMER, 38.0, 40.0) in found  # the customer started over the agent
    assert ("dead_air", "both", 0.0, 2.0) not in found  # only 2 s
    assert ("dead_air", "both", 52.0, 60.0) not in found  # after the last speech: not dead air (issue 9)
    assert ("negative_emotion", CUSTOMER, 51.0, 51.5) in found
    assert any(s.category == "missing_closing" for s in segs)
    for s in segs:
        assert s.category in CATEGORIES and s.role in ROLES
        assert s.source == f"rule:{s.category}" and s.evidence
        assert 0.0 <= s.score <= 1.0 and s.start <= s.end
        assert round(s.start, 2) == s.start and round(s.end, 2) == s.end


def test_empty_call_only_dead_air_and_missing_greeting():
    segs = detector.detect_problems(context(30.0), settings())
    assert sorted(s.category for s in segs) == ["dead_air", "missing_greeting"]


def test_detect_modules_never_import_qt():
    # in a fresh interpreter: pytest-qt may already have imported PySide6 into this one
    code = (
        "import importlib, pkgutil, sys\n"
        "import reviewer_app.core.detect as d, reviewer_app.core.scoring\n"
        "for m in pkgutil.walk_packages(d.__path__, 'reviewer_app.core.detect.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.startswith('PySide6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
