"""TimeGAN on Stocks (Google daily prices, 6 features) with the reference hyper-parameters.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_timegan.py --workdir=runs/stocks_timegan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.
Wall time on a 2-core CPU (scripts/benchmark.py): embedding 38.1, supervised 88.1 and
joint 3.7 iterations/s, so about 4.3 hours for 50,000 iterations per phase.
"""

from configs import default, sines_timegan


def get_config(arg=None):
    config = sines_timegan.get_config(None)
    default.use_benchmark_data(config, "stocks")
    if arg == "smoke":
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
