"""What every command module shares: settings from the command line, the database, a progress bar, tables."""
from __future__ import annotations

from reviewer_app.core.messages import one_line


def seconds_between(lo: float, hi: float):
    """An argparse `type` for a number of seconds from `lo` to `hi` (nan refused), named `seconds`
    in argparse's own messages."""

    def seconds(text: str) -> float:
        import argparse

        value = float(text)
        if not lo <= value <= hi:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be from {lo:g} to {hi:g} seconds, got {text}")
        return value

    return seconds


def settings_from(args):
    """The settings file named by --config, with the command line's overrides (--asr-model, --channels ...)."""
    from reviewer_app.core.settings import SettingsError, load_settings

    settings = load_settings(getattr(args, "config", None))
    if getattr(args, "asr_model", None):
        settings.asr.model = args.asr_model
    if getattr(args, "language", None):
        settings.asr.language = args.language
    if getattr(args, "device", None):
        settings.asr.device = args.device
    if getattr(args, "channels", None):
        settings.channels.roles = [r.strip() for r in args.channels.split(",")]
        try:
            settings.validate()
        except SettingsError as exc:
            raise SettingsError(f"--channels: {exc}") from None
    return settings


def open_db(url: str | None):
    """The library database at `url`, or the default one in the user data dir."""
    from reviewer_app.core import paths
    from reviewer_app.core.storage.db import open_database

    return open_database(url or paths.default_db_url())


def db_url(args) -> str:
    from reviewer_app.core import paths

    return args.db or paths.default_db_url()


def open_engine(args):
    """The database named by --db."""
    return open_db(args.db)


def drive(gen):
    """Run a core Progress generator to its result with a terminal progress bar."""
    from reviewer_app.core.progress import run_to_end
    from reviewer_app.terminal import TerminalBar

    bar = TerminalBar()
    try:
        return run_to_end(gen, bar)
    finally:
        bar.close()


def table(headers: list[str], rows: list[list], right: set[int] = frozenset()) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else one_line(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if i in right else v.ljust(w)
                               for i, (v, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
