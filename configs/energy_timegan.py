"""TimeGAN on Energy (UCI appliances energy, 28 features) with the reference hyper-parameters.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/energy_timegan.py --workdir=runs/energy_timegan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.
Its speed on your machine, per phase: `python scripts/benchmark.py
--config=configs/energy_timegan.py --steps=50` (the joint phase dominates; with 28
features it is slower than on Sines' 5).
"""

from configs import default, sines_timegan


def get_config(arg=None):
    config = sines_timegan.get_config(None)
    default.use_benchmark_data(config, "energy")
    if arg == "smoke":
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
