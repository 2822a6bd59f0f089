"""TimeGAN on Sines with the reference hyper-parameters.

    python -m rgan.main --config=configs/sines_timegan.py --workdir=runs/sines_timegan

3 GRU layers of 24 units, batch 128, noise U[0, 1) of the data's width, Adam(1e-3) for
each of the five optimizers without gradient clipping, 50,000 iterations per phase.
`:smoke` trains for a few seconds.

Beyond the reference: the generator, supervisor and recovery keep moving averages over
the joint phase, sampled and evaluated by default (train.ema_decay=0.999; 0 restores the
reference). At 10k iterations per phase on 2 seeds it took the discriminative score from
.063 (results/archive/sines_timegan_without_ema.md) to .036, the same runs' raw weights
scoring .057 (results/curve_sines_timegan_ema*.md).

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
    else:
        config.train.ema_decay = 0.999
    return config
