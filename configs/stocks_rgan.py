"""RGAN on Stocks (Google daily prices, 6 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_rgan.py --workdir=runs/stocks_rgan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rgan"
    default.use_benchmark_data(config, "stocks")
    if arg == "smoke":  # a seconds-long run: the paper's setup
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    else:
        default.use_rgan_recipe(config)  # results/stocks.md
    return config
