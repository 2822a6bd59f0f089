"""What rgan's command-line tools share: how they report a user's mistake (one line, no
traceback) and how they set up the process (`setup_process`).

A bad config value, a missing file, a busy workdir or a diverged run is the user's to
fix, and the message that names the fix is what they need; the ~30 lines of traceback
above it hid it. `--verbose` (or RGAN_VERBOSE=1) shows the traceback again, for bugs.
Usage errors (an unknown flag, a value of the wrong type) keep absl's one-line report.
"""

from __future__ import annotations

import functools
import logging as py_logging
import os
import sys

from absl import app, flags, logging

from rgan import allocator
from rgan.workdir_lock import WorkdirBusy

# ValueError covers config, data and sampling errors; FloatingPointError is
# train.TrainingDiverged (not imported here: train imports jax's distributed runtime users).
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, WorkdirBusy, FloatingPointError)


def define_verbose_flag() -> None:
    """Defines `--verbose` once (a tool's entry point calls it; importing rgan does not,
    so a user's own absl program may have a flag of that name)."""
    if "verbose" not in flags.FLAGS:
        flags.DEFINE_bool("verbose", False, "On an error, show the whole traceback.")


def _verbose(argv: list[str] | None = None) -> bool:
    """RGAN_VERBOSE=1 or --verbose; `argv` for the time before absl has parsed it."""
    if os.environ.get("RGAN_VERBOSE") == "1" or (argv is not None and "--verbose" in argv):
        return True
    return "verbose" in flags.FLAGS and flags.FLAGS.is_parsed() and bool(flags.FLAGS.verbose)


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


def _orbax_filter(lowest: int):
    """A log filter that drops orbax's records below level `lowest`."""
    return lambda record: "orbax" not in record.pathname or record.levelno >= lowest


def setup_process(*, reader: bool = False) -> None:
    """What an rgan command does to its own process before any work, and a library user's
    process (a notebook, another program) is left without: glibc told to keep freed memory
    (rgan/allocator.py: no per-step page faults on XLA:CPU), and orbax's per-save INFO
    chatter filtered out of the log.

    reader: a tool that only reads a run (rgan.sample, rgan.evaluate) prints its result
    and warnings only: no INFO logs, none of orbax's notes on opening a checkpoint
    read-only. --verbose keeps them all.
    """
    allocator.keep_freed_memory()
    if _verbose():
        return
    lowest = py_logging.WARNING
    if reader:
        logging.set_verbosity(logging.WARNING)
        lowest = py_logging.ERROR
    logging.get_absl_handler().addFilter(_orbax_filter(lowest))


def config_field_error(error: Exception) -> str | None:
    """The message of an unknown `--config.<field>` override, as ml_collections raises it
    while absl parses flags (an AttributeError holding a KeyError whose text is quoted and
    holds a newline), in one readable line; None for any other error."""
    inner = error.args[0] if error.args else None
    if not isinstance(error, AttributeError) or not isinstance(inner, KeyError):
        return None
    text = str(inner.args[0] if inner.args else inner)
    field, _, hint = text.partition("\n")
    return f"--config: there is no config field {field}." + (f" {hint}" if hint else "")


def parse_flags_reporting_errors(argv: list[str]) -> list[str]:
    """An absl `flags_parser`: parses `argv`, and prints a misspelt config field as one
    line (exit status 1) instead of a traceback.

    Other flag errors (an unknown flag, a value of the wrong type such as
    `--config.train.num_steps=abc`) are reported as absl's own parser reports them for
    every absl program, in one line (`FATAL Flags parsing error: ...`, exit status 1):
    a custom `flags_parser` replaces that parser, so it is called here.
    """
    try:
        return app.parse_flags_with_usage(argv)
    except AttributeError as error:
        message = config_field_error(error)
        if message is None or _verbose(argv):
            raise
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)
