"""C-RNN-GAN on Stocks (Google daily prices, 6 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_crnngan.py --workdir=runs/stocks_crnngan

configs/sines_crnngan.py on Stocks' windows: two LSTM layers of 24 in the feedback
generator and the bidirectional discriminator, feature matching, G at 2e-3 and D at a
quarter of it, and RGAN's recipe beyond the paper (moving average, per-sequence noise,
moment term; 10,000 steps). `--config.data.path=...` points at another copy of the CSV.
`:smoke` runs for seconds.
"""

from configs import default, sines_crnngan


def get_config(arg=None):
    config = sines_crnngan.get_config(arg)
    default.use_benchmark_data(config, "stocks")
    return config
