"""SIGTERM/SIGINT as a request to stop training cleanly, not a kill.

A handler only sets a flag: raising from a signal handler can land inside a library
callback that swallows the exception (seen with JAX's garbage-collection hook). The
training loop reads the flag before each step, saves a checkpoint and returns, so
the process exits 0 (rgan.train). The command-line tools install the handler as their
first act (`install`), so a signal during start-up (imports, data loading, restoring,
compiling) stops the run before its first step; a library user's process (a notebook)
gets it only while `Trainer.run` runs (`handled`).
"""

from __future__ import annotations

import contextlib
import signal
import threading

from absl import logging

SIGNALS = (signal.SIGTERM, signal.SIGINT)
_requested = threading.Event()


def _handler(signum, frame) -> None:
    del frame
    logging.warning(
        "Received signal %d: stopping (a checkpoint is saved if training began).", signum
    )
    _requested.set()


def install() -> None:
    """Makes SIGTERM/SIGINT a stop request for the rest of this process (main thread only)."""
    for sig in SIGNALS:
        signal.signal(sig, _handler)


@contextlib.contextmanager
def handled():
    """While inside: SIGTERM/SIGINT are stop requests. Yields the request flag (already set
    if a signal came during start-up); on exit the flag is cleared and the handlers that
    were there before are back, so a later run in the same process starts afresh."""
    if threading.current_thread() is not threading.main_thread():
        yield _requested  # signal handlers can only be set from the main thread
        return
    previous = {sig: signal.signal(sig, _handler) for sig in SIGNALS}
    try:
        yield _requested
    finally:
        _requested.clear()
        for sig, old in previous.items():
            signal.signal(sig, old)
