"""RGAN on Stocks (Google daily prices, 6 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/stocks_rgan.py --workdir=runs/stocks_rgan

RGAN's recipe (configs/default.py use_rgan_recipe: moving average, per-sequence noise,
moment term) with one GRU layer of 100 units per network, 10,000 steps. Over three seeds
that scored discriminative .069 ± .007 (results/stocks.md) against .142 ± .041 with the
default three GRU layers of 24 at 20,000 steps
(results/archive/stocks_rgan_gru3x24_20k.md); RCGAN's networks on Stocks, one LSTM
layer of 100 (configs/stocks_rcgan.py), had shown the width first (.045 ± .005).
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
        default.use_rgan_recipe(config)
        config.model.hidden = 100  # one wide layer: results/stocks.md
        config.model.layers = 1
        config.train.num_steps = 10000
    return config
