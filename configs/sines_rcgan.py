"""RCGAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features; no conditions).

    python -m rgan.main --config=configs/sines_rcgan.py --workdir=runs/sines_rcgan

The paper's networks: one LSTM layer of 100 units in the generator and in the
discriminator. Plain Sines have no conditions, so this is RGAN with those networks; the
conditional demo is configs/sines3_rcgan.py. Beyond the paper, RGAN's recipe
(configs/default.py use_rgan_recipe) at 10k steps: the generator's loss adds a
moment-matching term (gan.moment_weight=10), the generator gets per-sequence noise
(model.sequence_noise_dim=8) and its moving average is sampled (train.ema_decay=0.999).
On Sines (3 seeds, results/sines.md) the moment term alone took the discriminative score
at 5k steps from .206 to .091, the whole recipe at 10k steps to .027 ± .010
(results/curve_sines_rcgan.md: score per 1k steps). `--config.gan.moment_weight=0
--config.model.sequence_noise_dim=0 --config.train.ema_decay=0
--config.train.num_steps=5000` is the paper's setup.

With differential privacy (DP-SGD on the discriminator; the (epsilon, delta) budget is
logged at the start and saved with the run; the moment term reads real data outside
DP-SGD, so a private run turns it off):

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
    if arg == "smoke":  # the paper's setup, for the tests' seconds-long runs
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    else:  # beyond the paper: see the module docstring
        default.use_rgan_recipe(config)
        config.train.num_steps = 10000
    return config
