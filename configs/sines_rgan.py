"""RGAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features).

    python -m rgan.main --config=configs/sines_rgan.py --workdir=runs/sines_rgan

`:smoke` trains for a few seconds (tests, first contact).

Beyond the RGAN paper's setup: the generator's weights are averaged (train.ema_decay)
and sampled from, it gets per-sequence noise besides the per-step noise
(model.sequence_noise_dim), its loss adds a moment-matching term (gan.moment_weight),
and it trains 20k steps. On Sines (3 seeds each, results/ablation_sines.md) the first two
took the discriminative score from .318 (5k steps, neither) to .248 (5k, both) and .157
at 20k; the moment term took that to .046 (results/sines.md). `--config.train.ema_decay=0
--config.model.sequence_noise_dim=0 --config.gan.moment_weight=0
--config.train.num_steps=5000` is the paper's setup.

Sweep (scripts/sweep.py): learning rate x hidden size x the discriminator's update count.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rgan"
    config.data.source = "sines"
    if arg == "smoke":
        # A few dozen steps: too few for a moving average of G (it would stay near the
        # initial weights), so the smoke run is the paper's setup.
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    else:
        default.use_rgan_recipe(config)
    return config


def sweep(add):
    for learning_rate in (1e-3, 3e-4):
        for hidden in (24, 48):
            for d_steps in (1, 2):
                add(
                    {
                        "optim.generator.learning_rate": learning_rate,
                        "optim.discriminator.learning_rate": learning_rate,
                        "model.hidden": hidden,
                        "train.d_steps": d_steps,
                    }
                )
