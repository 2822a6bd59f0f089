"""RCGAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features; no conditions).

    python -m rgan.main --config=configs/sines_rcgan.py --workdir=runs/sines_rcgan

The paper's networks: one LSTM layer of 100 units in the generator and in the
discriminator. Plain Sines have no conditions, so this is RGAN with those networks; the
conditional demo is configs/sines3_rcgan.py. Beyond the paper: the generator's loss adds
a moment-matching term (gan.moment_weight=10), which on Sines at 5k steps took the
discriminative score from .206 to .091 (3 seeds, results/sines.md); `--config.gan.moment_weight=0`
is the paper's loss. With differential privacy (DP-SGD on the discriminator; the
(epsilon, delta) budget is logged at the start and saved with the run; the moment term
reads real data outside DP-SGD, so a private run turns it off):

    python -m rgan.main --config=configs/sines_rcgan.py --workdir=runs/sines_rcgan_dp \
        --config.rcgan.dp=True --config.rcgan.dp_noise_multiplier=1.1 \
        --config.gan.moment_weight=0

`:smoke` trains for a few seconds (tests, first contact).
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rcgan"
    config.data.source = "sines"
    config.model.cell = "lstm"
    config.model.hidden = 100
    config.model.layers = 1
    config.gan.moment_weight = 10.0  # beyond the paper: see the module docstring
    if arg == "smoke":
        default.apply_smoke(config)
        config.gan.moment_weight = 0.0  # the paper's loss in the tests' seconds-long runs
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
