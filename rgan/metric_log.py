"""Where training metrics go: `workdir/metrics.jsonl`, TensorBoard, and the console.

- metrics.jsonl: one JSON object per log step ({"step": s, "phase": ..., name: value}).
- TensorBoard event files in `workdir/tensorboard` when tensorboardX is installed.
- A tqdm progress bar (steps/s, ETA) on a TTY; plain periodic log lines otherwise
  (CI logs, `nohup`, cluster schedulers).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

from absl import logging as absl_logging

METRICS_FILE = "metrics.jsonl"


def _to_json_number(value):
    value = float(value)
    return value if math.isfinite(value) else str(value)


def read_metrics(workdir: str) -> list[dict]:
    """All records of `workdir/metrics.jsonl` (empty if none)."""
    path = os.path.join(workdir, METRICS_FILE)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class MetricWriter:
    """Appends metric records; on resume, drops records past the restored step.

    Records after the last checkpoint belong to steps that the resumed run recomputes
    (bit-identically), so keeping them would duplicate steps in the file.
    """

    def __init__(
        self, workdir: str, *, resume_step: int, tensorboard: bool = True, enabled: bool = True
    ):
        """enabled: False on all but one process of a multi-host job (records are still
        returned by `write`, only not written)."""
        self.path = os.path.join(workdir, METRICS_FILE)
        self.enabled = enabled
        self._file = self._tb = None
        if not enabled:
            return
        os.makedirs(workdir, exist_ok=True)
        kept = [r for r in read_metrics(workdir) if r.get("step", 0) <= resume_step]
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in kept)
        os.replace(tmp, self.path)
        self._file = open(self.path, "a")  # noqa: SIM115 - closed in close()
        if tensorboard:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                pass
            else:
                self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"))

    def write(self, step: int, record: dict) -> dict:
        """Writes `record` (scalars, plus string fields such as "phase") for `step`."""
        out = {"step": step}
        for name, value in record.items():
            out[name] = value if isinstance(value, str) else _to_json_number(value)
        if not self.enabled:
            return out
        self._file.write(json.dumps(out) + "\n")
        self._file.flush()
        if self._tb is not None:
            for name, value in out.items():
                if name != "step" and not isinstance(value, str):
                    self._tb.add_scalar(name, value, step)
        return out

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._tb is not None:
            self._tb.close()


HEALTH_PREFIX = "health_"


class Progress:
    """A progress bar on a TTY, or a log line per `update` call otherwise."""

    def __init__(self, total: int, initial: int, *, enabled: bool = True):
        self.total = total
        self._bar = None
        self._start = time.perf_counter()
        self._start_step = initial
        if enabled and sys.stderr.isatty():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)
        self._last = initial

    def update(self, step: int, summary: dict) -> None:
        numbers = {
            k: v
            for k, v in summary.items()
            if isinstance(v, float | int) and not k.startswith(HEALTH_PREFIX)
        }
        text = ", ".join(f"{k}={v:.4g}" for k, v in numbers.items())
        flags = [k.removeprefix(HEALTH_PREFIX) for k in summary if k.startswith(HEALTH_PREFIX)]
        if flags:  # the health flags of rgan/health.py, in words: "health=ok" or the failures
            failing = [f for f in flags if summary[HEALTH_PREFIX + f]]
            text += ", health=" + ("+".join(failing) if failing else "ok")
        if self._bar is not None:
            self._bar.update(step - self._last)
            self._bar.set_postfix_str(text, refresh=False)
        else:
            elapsed = time.perf_counter() - self._start
            rate = (step - self._start_step) / elapsed if elapsed > 0 else 0.0
            eta = (self.total - step) / rate if rate > 0 else float("nan")
            absl_logging.info(
                "step %d/%d (%.1f steps/s, ETA %.0fs) %s", step, self.total, rate, eta, text
            )
        self._last = step

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
