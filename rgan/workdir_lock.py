"""One training process per workdir: `workdir/lock.json` names the process that trains.

Without it, a second `rgan.main` on a busy workdir (a resubmitted job, a sweep started
twice) found no checkpoint yet and trained from step 0, replacing the first run's
checkpoints and rewriting its metrics. The lock is created atomically (`O_EXCL`) before
anything else is written and removed when training stops. A lock left by a process that
died (same host, pid no longer running) is taken over with a warning; a lock from
another host cannot be checked, so the message says how to remove it by hand.
In a multi-process run only process 0 holds it.
"""

from __future__ import annotations

import datetime
import json
import os
import socket

from absl import logging

LOCK_FILE = "lock.json"


class WorkdirBusy(RuntimeError):
    """Another live process trains in this workdir."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _read(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):  # vanished, or caught mid-write by its creator
        return None


def check_free(workdir: str) -> None:
    """Raises WorkdirBusy when a live process holds `workdir`'s lock (a read-only check,
    so that a second run fails with this message before it reads a half-made workdir)."""
    lock = WorkdirLock(workdir)
    holder = _read(lock.path)
    if holder is not None and not WorkdirLock._is_stale(holder, socket.gethostname()):
        raise WorkdirBusy(lock._busy_message(holder))


class WorkdirLock:
    """`with WorkdirLock(workdir):` trains alone in `workdir` or raises WorkdirBusy."""

    def __init__(self, workdir: str):
        self.path = os.path.join(workdir, LOCK_FILE)
        self._held = False

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        me = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        for _ in range(3):  # a stale lock is removed, then creation is tried again
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read(self.path)
                if holder is None or not self._is_stale(holder, me["host"]):
                    raise WorkdirBusy(self._busy_message(holder)) from None
                logging.warning(
                    "Taking over the lock of %s: process %s on %s (since %s) is gone.",
                    os.path.dirname(self.path),
                    holder.get("pid"),
                    holder.get("host"),
                    holder.get("since"),
                )
                try:
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self._held = True
            return
        raise WorkdirBusy(self._busy_message(_read(self.path)))

    def release(self) -> None:
        if self._held:
            self._held = False
            holder = _read(self.path)
            if holder is not None and holder.get("pid") == os.getpid():
                os.remove(self.path)

    def __enter__(self) -> WorkdirLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    @staticmethod
    def _is_stale(holder: dict, host: str) -> bool:
        return holder.get("host") == host and not _alive(int(holder.get("pid", -1)))

    def _busy_message(self, holder: dict | None) -> str:
        workdir = os.path.dirname(self.path)
        if holder is None:
            who = "another process (its lock file is being written or is unreadable)"
        else:
            who = (
                f"process {holder.get('pid')} on {holder.get('host')} (since {holder.get('since')})"
            )
        return (
            f"{workdir} is in use by {who}. Wait for that run to finish, or use another "
            f"--workdir. If that process no longer runs (e.g. it ran on another machine), "
            f"delete {self.path} and run again. Nothing in the workdir was changed."
        )
