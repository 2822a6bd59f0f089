"""RCGAN on Stocks (Google daily prices, 6 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_rcgan.py --workdir=runs/stocks_rcgan

configs/sines_rcgan.py on Stocks' windows: the paper's networks (one LSTM layer of 100
units in the generator and in the discriminator) and RGAN's recipe beyond the paper
(moving average, per-sequence noise, moment term; 10,000 steps). Stocks have no
conditions, so this is RGAN with RCGAN's networks, as in the TimeGAN paper's RCGAN
baseline. `--config.data.path=...` points at another copy of the CSV. `:smoke` runs for
seconds.
"""

from configs import default, sines_rcgan


def get_config(arg=None):
    config = sines_rcgan.get_config(arg)
    default.use_benchmark_data(config, "stocks")
    return config
