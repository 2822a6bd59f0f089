"""RGAN on Energy (UCI appliances energy, 28 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/energy_rgan.py --workdir=runs/energy_rgan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.

The moment term measures in units of the real standard deviations
(gan.moment_distance="relative"): Energy's temperatures and pressure change little from
one 10-minute step to the next, and with the absolute distance the generated ones
changed 3-25x as much (results/ablation_energy_moments.md); at 20k steps the
discriminative score went from .477 (results/archive/energy_absolute_moments.md) to
.306 on its first seed, .374 ± .064 over three (results/energy.md).
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rgan"
    default.use_benchmark_data(config, "energy")
    if arg == "smoke":  # a seconds-long run: the paper's setup
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    else:
        default.use_rgan_recipe(config)  # results/energy.md
        config.gan.moment_distance = "relative"
    return config
