"""Atomic file writes: readers, a crash or a kill see the old file or the new one, never half.

Write to a temporary file in the same folder, fsync it, then rename it over
the target (a rename within one file system is atomic on POSIX and Windows).
On any failure (a full disk, a read-only folder, a folder where the file
should be) the temporary file is removed and the error names the target.

A multi-file output (an export) is written into a staging folder next to the
target and moved into place only when every file is written: the output is
complete or absent, never a partial set (`staged_folder`).
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _named(exc: OSError, temp: str | Path, target: Path, inside: bool = False) -> OSError:
    """`exc` naming `target` instead of a temporary path (or nothing), for the user's message; with
    `inside`, a file under the temporary folder `temp` is named by its place under `target`."""
    name = exc.filename
    if name is not None and not str(name).startswith(str(temp)):
        return exc
    rest = str(name)[len(str(temp)):].lstrip(os.sep) if inside and name is not None else ""
    return type(exc)(exc.errno, exc.strerror or str(exc), str(target / rest if rest else target))


def _usual_mode(path: str | Path, directory: bool = False) -> None:
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)  # mkstemp/mkdtemp make things private


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write the new file to; it replaces `path` when the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # a read-only folder
        raise _named(exc, path.parent / f".{path.name}.", path) from None
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _usual_mode(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        named = _named(exc, tmp, path)
        if named is exc:
            raise
        raise named from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


STAGE_SUFFIX = ".staging"


def _remove_stale_stages(parent: Path, name: str) -> None:
    """Staging folders left by a process that was killed (its pid is gone) are removed."""
    for stage in parent.glob(f".{name}.*{STAGE_SUFFIX}"):
        try:
            pid = int(stage.name[len(name) + 2:].split(".", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(stage, ignore_errors=True)
        except (ValueError, OSError):
            continue


def _fsync_tree(folder: Path) -> None:
    for f in folder.rglob("*"):
        if f.is_file():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())


@contextmanager
def staged_folder(out_dir: str | Path) -> Iterator[Path]:
    """A private folder to write a multi-file output to; when the block succeeds its files move into
    `out_dir` (a new `out_dir` appears whole, by one rename), on any failure it is removed and
    `out_dir` is as it was. Map the paths written with `staged_to_final`."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_stages(out.parent, out.name)
    try:
        stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.{os.getpid()}.", suffix=STAGE_SUFFIX))
    except OSError as exc:
        raise _named(exc, out.parent / f".{out.name}.", out) from None
    try:
        yield stage
        _fsync_tree(stage)
        if not out.exists():
            _usual_mode(stage, directory=True)
            os.rename(stage, out)
            return
        files = sorted(f for f in stage.rglob("*") if f.is_file())
        for f in files:  # check every target first, so a conflict moves nothing
            target = out / f.relative_to(stage)
            if target.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
        for f in files:
            target = out / f.relative_to(stage)
            target.parent.mkdir(parents=True, exist_ok=True)
            _usual_mode(f)
            os.replace(f, target)
        shutil.rmtree(stage, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        named = _named(exc, stage, out, inside=True)
        if named is exc:
            raise
        raise named from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def staged_to_final(paths, stage: Path, out_dir: str | Path) -> list[Path]:
    """The final paths of files written under `stage`."""
    return [Path(out_dir) / Path(p).relative_to(stage) for p in paths]
