"""HiGHS without its banner on stdout: the CLI's stdout is machine-read (`--json`), and the
banner is printed from C++, past Python's sys.stdout, when a solver is built. Pass
`quiet_highs` as `new_solver` to the sourcing planners (domain/sourcing/highs.py)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator

import highspy

_silence_lock = threading.Lock()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)
    except OSError:  # no C library to load by that name (Windows)
        return None


def _flush_c_stdio() -> None:
    libc = _libc()
    if libc is not None:
        libc.fflush(None)


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point fd 1 at /dev/null. The lock keeps two threads from swapping fds at once."""
    with _silence_lock:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            _flush_c_stdio()  # C stdio may still hold the banner
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)


def quiet_highs() -> highspy.Highs:
    with _stdout_silenced():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs
