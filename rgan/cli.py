"""How rgan's command-line tools report a user's mistake: one line, no traceback.

A bad config value, a missing file, a busy workdir or a diverged run is the user's to
fix, and the message that names the fix is what they need; the ~30 lines of traceback
above it hid it. `--verbose` (or RGAN_VERBOSE=1) shows the traceback again, for bugs.
Usage errors (unknown flags) stay absl's.
"""

from __future__ import annotations

import functools
import os
import sys

from absl import flags

from rgan.workdir_lock import WorkdirBusy

# ValueError covers config, data and sampling errors; FloatingPointError is
# train.TrainingDiverged (not imported here: train imports jax's distributed runtime users).
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, WorkdirBusy, FloatingPointError)


def define_verbose_flag() -> None:
    """Defines `--verbose` once (a tool's entry point calls it; importing rgan does not,
    so a user's own absl program may have a flag of that name)."""
    if "verbose" not in flags.FLAGS:
        flags.DEFINE_bool("verbose", False, "On an error, show the whole traceback.")


def _verbose() -> bool:
    if os.environ.get("RGAN_VERBOSE") == "1":
        return True
    return "verbose" in flags.FLAGS and bool(flags.FLAGS.verbose)


def reports_user_errors(main):
    """Wraps an absl `main(argv)`: a user error prints `Error: <message>` and exits 1."""

    @functools.wraps(main)
    def wrapped(argv):
        try:
            return main(argv)
        except USER_ERRORS as error:
            if _verbose():
                raise
            print(f"Error: {error}\n(--verbose shows the traceback.)", file=sys.stderr)
            sys.exit(1)

    return wrapped
