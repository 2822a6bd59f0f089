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

The README's Sines row trains 2k + 2k + 8k iterations with 8 per-sequence noise features
and the paper's bidirectional discriminator as well (--config.model.sequence_noise_dim=8
--config.model.bidirectional_discriminator=True): .007 ± .004 over 3 seeds, 40 minutes
for a seed on a shared 2-core CPU (results/sines.md; .012 ± .006 at 6k joint iterations,
results/archive/sines_timegan_bidirectional_6k.md; .027 ± .014 at 6k with the
reference's causal discriminator, results/archive/sines_timegan_causal_d.md; .036 ± .013
at 10k per phase without either, results/archive/sines_timegan_pretraining_10k.md). The
joint phase runs 4-5 iterations/s on that CPU (results/speed.md), so 50,000 joint
iterations take about 3 hours.
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
