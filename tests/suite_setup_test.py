"""What conftest.py sets up for the suite: the 4 simulated devices and the persistent
compilation cache, both in effect in this process."""

import os

import jax


def test_this_process_compiles_through_the_persistent_cache():
    # jax reads the cache settings once, at import: set after it, they would reach only the
    # subprocesses that tests start, and every pytest worker would compile from scratch.
    assert jax.config.jax_compilation_cache_dir == os.environ["JAX_COMPILATION_CACHE_DIR"]
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0


def test_this_process_has_four_devices_and_its_subprocesses_one():
    assert jax.device_count() == 4
    assert "--xla_force_host_platform_device_count=1" in os.environ["XLA_FLAGS"]
