"""Test setup: 4 simulated CPU devices (set before jax is imported) and shared fixtures."""

import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import tempfile  # noqa: E402

# Many tests build the same networks; a persistent compilation cache lets later tests
# reuse earlier compilations (the in-memory cache is keyed on function identity). It is
# set through the environment so that the pytest-xdist workers and the CLI subprocesses
# that tests start (all inherit it from the first process) share one cache.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="rgan-jax-cache-"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

import pathlib  # noqa: E402

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def smoke_config():
    """A factory: smoke_config("configs/sines_rgan.py", train__num_steps=20, ...)."""
    from rgan.config import load_config

    def make(path="configs/sines_rgan.py", arg="smoke", **overrides):
        return load_config(f"{REPO / path}:{arg}" if arg else str(REPO / path), **overrides)

    return make
