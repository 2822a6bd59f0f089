"""TimeGAN on Sines with the reference hyper-parameters.

    python -m rgan.main --config=configs/sines_timegan.py --workdir=runs/sines_timegan

3 GRU layers of 24 units, batch 128, noise U[0, 1) of the data's width, Adam(1e-3) for
each of the five optimizers without gradient clipping, 50,000 iterations per phase.
`:smoke` trains for a few seconds.

Wall time on a 2-core CPU: the README's Sines row (10,000 iterations per phase) trained
in 32 minutes (results/sines.json); the joint phase runs ~9 iterations/s
(results/speed.md), so the whole 50,000-per-phase schedule takes about 2 hours.
"""

from configs import default
from rgan.families import timegan


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "timegan"
    config.data.source = "sines"
    config.train.num_steps = 50000
    config.train.log_every = 500
    config.train.checkpoint_every = 5000
    config.train.plot_every = 10000
    config.optim = timegan.reference_optimizers()
    if arg == "smoke":
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
