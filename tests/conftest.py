"""Test setup: 4 simulated CPU devices (set before jax is imported) and shared fixtures."""

import os

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import tempfile  # noqa: E402

import jax  # noqa: E402

# Many tests build the same networks; a persistent compilation cache lets later tests
# reuse earlier compilations (the in-memory cache is keyed on function identity).
jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="rgan-jax-cache-"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

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
