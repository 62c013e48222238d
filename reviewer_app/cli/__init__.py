"""`reviewer-app`: every headless command (commands.py: analyze, gui, info, evaluate and the parser;
learning.py: train, models, labels; team.py: the QA team's commands; common.py: what they share)."""
from reviewer_app.cli.commands import main  # noqa: F401  (the console script: reviewer_app.cli:main)
