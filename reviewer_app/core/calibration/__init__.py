"""Calibration sessions: several reviewers label the same calls blind, and the team measures how far
they (and the model, counted as one more rater) agree.

sessions.py: create, list, record decisions, submit, the blind view (storage tables of migration 0006);
label_file.py: a reviewer's decisions from a labels JSON; units.py: one rater's labels, and the units
several raters' labels are matched into by overlap; reliability.py: Cohen's and Fleiss' kappa,
Krippendorff's alpha, spread; agreement.py: a session's agreement per pair, category and call;
adopt.py: the lead adopts one outcome (a reviewer's or the majority's) through the labels of record;
trend.py: each rater's agreement with the outcome, session after session.
"""
