"""C-RNN-GAN on Energy (UCI appliances energy, 28 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/energy_crnngan.py --workdir=runs/energy_crnngan

configs/sines_crnngan.py on Energy's windows (two LSTM layers in the feedback generator
and the bidirectional discriminator, feature matching, G at 2e-3 and D at a quarter of
it, the moving average, per-sequence noise and the moment term), with the two changes
that configs/energy_rgan.py measured on Energy: the moment term in units of the real
standard deviations (gan.moment_distance="relative"; Energy's slow features change
little from one 10-minute step to the next) and an 8-step warm-up before the window
(model.warmup_steps=8). `--config.data.path=...` points at another copy of the CSV.
`:smoke` runs for seconds.
"""

from configs import default, sines_crnngan


def get_config(arg=None):
    config = sines_crnngan.get_config(arg)
    default.use_benchmark_data(config, "energy")
    if not arg:
        default.use_energy_dynamics(config)
    return config
