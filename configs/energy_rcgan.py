"""RCGAN on Energy (UCI appliances energy, 28 features), windowed as TimeGAN does.

    python scripts/download_data.py --out=data      # once; or --from=DIR with the CSVs
    python -m rgan.main --config=configs/energy_rcgan.py --workdir=runs/energy_rcgan

configs/sines_rcgan.py on Energy's windows (the paper's networks, one LSTM layer of 100
units in the generator and in the discriminator, and RGAN's recipe beyond the paper:
moving average, per-sequence noise, moment term; 10,000 steps), with the two changes that
configs/energy_rgan.py measured on Energy: the moment term in units of the real standard
deviations (gan.moment_distance="relative"; Energy's slow features change little from one
10-minute step to the next) and an 8-step warm-up before the window
(model.warmup_steps=8). Energy has no conditions, so this is RGAN with RCGAN's networks,
as in the TimeGAN paper's RCGAN baseline. `--config.data.path=...` points at another copy
of the CSV. `:smoke` runs for seconds.
"""

from configs import default, sines_rcgan


def get_config(arg=None):
    config = sines_rcgan.get_config(arg)
    default.use_benchmark_data(config, "energy")
    if not arg:
        default.use_energy_dynamics(config)
    return config
