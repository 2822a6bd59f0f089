"""TimeGAN on Stocks (Google daily prices, 6 features) with the reference hyper-parameters.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_timegan.py --workdir=runs/stocks_timegan

`--config.data.path=...` points at another copy of the CSV. `:smoke` runs for seconds.
Its speed on your machine, per phase: `python scripts/benchmark.py
--config=configs/stocks_timegan.py --steps=50` (the joint phase dominates: on Sines, of
about the same width, it runs ~9 iterations/s on a 2-core CPU, results/speed.md, so
50,000 iterations per phase take a few hours there).
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
