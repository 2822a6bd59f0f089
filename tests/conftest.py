"""Test setup: 4 simulated CPU devices in the test processes (set before jax is imported),
one in the processes they start, and shared fixtures."""

import os

_DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


def _xla_flags_with_devices(count: int) -> str:
    """XLA_FLAGS of the environment with the simulated CPU device count set to `count`."""
    flags = os.environ.get("XLA_FLAGS", "").split()
    kept = [f for f in flags if not f.startswith(_DEVICE_COUNT_FLAG)]
    return " ".join([*kept, f"{_DEVICE_COUNT_FLAG}={count}"])


os.environ["XLA_FLAGS"] = _xla_flags_with_devices(4)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import tempfile  # noqa: E402

# Most of the suite's time is compilation: many tests build the same networks, and the
# in-memory cache is keyed on function identity. A persistent compilation cache lets
# later tests reuse earlier compilations, and later runs of the suite reuse this one's
# (a change recompiles only the programs it changes). It is set through the environment,
# before jax is imported (jax reads these variables once, at import), so that this
# process, the other pytest-xdist worker and the CLI subprocesses that tests start share it.
# Entries are keyed on the program, the compile options, the devices and the jax
# version, so a stale entry is never used; the oldest are evicted beyond 2 GiB.
# RGAN_TEST_COMPILATION_CACHE=<dir> puts it elsewhere; "none" gives a fresh one per run.
_cache = os.environ.get("RGAN_TEST_COMPILATION_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
    "rgan",
    "test-compilation-cache",
)
if _cache == "none":
    _cache = tempfile.mkdtemp(prefix="rgan-jax-cache-")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", _cache)
os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(2 << 30))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


def _drop_half_written_entries(folder: str) -> None:
    """jax's cache writes each entry as `<key>-cache` then `<key>-atime`. A process killed
    between the two (fault_injection_test kills rgan.main at random moments) leaves half
    an entry, and from then on every write to the cache fails (jax reads every entry's
    atime to decide what to evict), so each run recompiles every program it has not seen
    before. Dropping the halves keeps the cache writable. Run by the pytest process that
    starts the workers, before any of them compiles."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    kinds: dict[str, set] = {}
    for name in names:
        key, _, kind = name.rpartition("-")
        if kind in ("cache", "atime"):
            kinds.setdefault(key, set()).add(kind)
    for key, found in kinds.items():
        if len(found) == 1:
            try:
                os.remove(os.path.join(folder, f"{key}-{found.pop()}"))
            except OSError:
                pass


if "PYTEST_XDIST_WORKER" not in os.environ:
    _drop_half_written_entries(os.environ["JAX_COMPILATION_CACHE_DIR"])

import jax  # noqa: E402

jax.devices()  # starts the CPU backend now, with the 4 devices
# The processes that tests start (CLI runs, sweeps, the notebook kernel, the multi-process
# test) train on one device each: simulated devices share thread pools, and their
# collectives can deadlock on a loaded 2-core machine (see testing.load_test_config).
os.environ["XLA_FLAGS"] = _xla_flags_with_devices(1)

import pathlib  # noqa: E402

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def smoke_config():
    """A factory: smoke_config("configs/sines_rgan.py", train__num_steps=20, ...); one
    training device unless `train__num_devices` says otherwise (see testing.py)."""
    from testing import load_test_config

    def make(path="configs/sines_rgan.py", arg="smoke", **overrides):
        spec = f"{REPO / path}:{arg}" if arg else str(REPO / path)
        return load_test_config(spec, **overrides)

    return make
