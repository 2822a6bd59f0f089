"""RGAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features).

    python -m rgan.main --config=configs/sines_rgan.py --workdir=runs/sines_rgan

`:smoke` trains for a few seconds (tests, first contact).

Sweep (scripts/sweep.py): learning rate x hidden size x the discriminator's update count.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rgan"
    config.data.source = "sines"
    if arg == "smoke":
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
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
