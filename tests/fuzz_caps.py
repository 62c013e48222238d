"""Memory and time caps for fuzz cases: each case runs in a forked child under rlimits.

    from tests.fuzz_caps import capped, fuzz_settings

    @fuzz_settings()                 # hypothesis settings: FUZZ_EXAMPLES cases, derandomized by default
    @given(st.binary())
    def test_x(blob):
        result = capped(parse, blob)           # runs in a child: at most CAP_MB more memory, CAP_S seconds
        ...                                    # check the result here, in the parent

`capped(fn, *args)` forks, sets RLIMIT_AS to the child's current address space plus `memory_mb`
(a process that has imported torch already maps gigabytes, so an absolute cap would fail every
allocation) and RLIMIT_CPU plus an alarm for `seconds`, runs `fn`, and sends back its return value
or its exception, which the parent re-raises, so hypothesis sees the same failure and shrinks it.
A child killed by the alarm or the CPU limit raises `CapExceeded` ("took longer than ..."); one
that runs out of memory raises MemoryError. Both are findings: the test fails.

The child must not use resources shared with the parent that a fork breaks: open database
engines, files and sockets inside `fn` (a SQLite file opened in the parent may be used from the
child only through a fresh engine). Arguments and results must be picklable.

Environment: FUZZ_EXAMPLES=N runs N cases per test instead of the short default and searches new
ones (not derandomized); FUZZ_CAP_MB and FUZZ_CAP_S change the caps.
"""
from __future__ import annotations

import os
import pickle
import resource
import signal
import traceback

from hypothesis import HealthCheck, settings

CAP_MB = int(os.environ.get("FUZZ_CAP_MB", 512))
CAP_S = float(os.environ.get("FUZZ_CAP_S", 10))
EXPLORE = "FUZZ_EXAMPLES" in os.environ


class CapExceeded(AssertionError):
    """A fuzz case ran past its time cap (or was killed by a signal)."""


class ChildError(AssertionError):
    """The child raised an exception that could not be pickled back; carries its traceback text."""


def examples(default: int) -> int:
    """Cases per test: `default` in the normal suite, FUZZ_EXAMPLES when exploring."""
    return int(os.environ["FUZZ_EXAMPLES"]) if EXPLORE else default


def fuzz_settings(default: int = 100, **overrides) -> settings:
    """Hypothesis settings for a capped fuzz test (the deadline is the cap's job, not hypothesis')."""
    options = dict(max_examples=examples(default), deadline=None, derandomize=not EXPLORE,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])
    options.update(overrides)
    return settings(**options)


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(write_fd: int, fn, args, kwargs, memory_mb: int, seconds: float) -> None:
    try:
        limit = _address_space_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            payload = ("ok", fn(*args, **kwargs))
        except BaseException as exc:  # everything goes back to the parent, which re-raises it
            payload = ("exc", exc, traceback.format_exc())
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            data = pickle.dumps(payload)
            pickle.loads(data)  # an exception whose __init__ wants other arguments fails only here
        except Exception:
            data = pickle.dumps(("unpicklable", payload[0], repr(payload[1])[:2000],
                                 payload[2] if len(payload) > 2 else ""))
        with os.fdopen(write_fd, "wb") as out:
            out.write(data)
        code = 0
    except BaseException:
        code = 3
    os._exit(code)  # no atexit handlers, no pytest teardown in the child


def capped(fn, *args, memory_mb: int | None = None, seconds: float | None = None, **kwargs):
    """fn(*args, **kwargs) in a forked child with a memory and a time cap; its result or its exception."""
    memory_mb = CAP_MB if memory_mb is None else memory_mb
    seconds = CAP_S if seconds is None else seconds
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(write_fd, fn, args, kwargs, memory_mb, seconds)
    os.close(write_fd)
    chunks = []
    with os.fdopen(read_fd, "rb") as inp:
        while chunk := inp.read(1 << 16):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGALRM, signal.SIGXCPU, signal.SIGKILL):
            raise CapExceeded(f"{getattr(fn, '__name__', fn)} took longer than {seconds:g} s "
                              f"(killed by {signal.Signals(sig).name})")
        raise CapExceeded(f"{getattr(fn, '__name__', fn)} died of {signal.Signals(sig).name}")
    if not chunks:
        raise ChildError(f"the fuzz child exited with status {os.waitstatus_to_exitcode(status)} and no result")
    payload = pickle.loads(b"".join(chunks))
    if payload[0] == "ok":
        return payload[1]
    if payload[0] == "exc":
        exc = payload[1]
        exc.add_note(f"in the capped fuzz child:\n{payload[2]}")
        raise exc
    raise ChildError(f"the fuzz child's {'result' if payload[1] == 'ok' else 'exception'} could not be sent back: "
                     f"{payload[2]}\n{payload[3]}")
