"""RGAN on Energy (UCI appliances energy, 28 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/energy_rgan.py --workdir=runs/energy_rgan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rgan"
    default.use_benchmark_data(config, "energy")
    default.use_rgan_recipe(config)  # results/energy.md
    if arg == "smoke":
        default.apply_smoke(config)
        config.train.ema_decay = 0.0  # a seconds-long run: the paper's setup
        config.model.sequence_noise_dim = 0
        config.gan.moment_weight = 0.0
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
