"""C-RNN-GAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features).

    python -m rgan.main --config=configs/sines_crnngan.py --workdir=runs/sines_crnngan

Two LSTM layers in the feedback generator and in the bidirectional discriminator, as in
the paper (which used 350 units for music; 24 suffice for Sines). The generator matches
the discriminator's mean features (feature matching, as in Mogren's runs; it also trained
better than the adversarial loss in short runs here). The generator learns at 2e-3 and the
discriminator at a quarter of that: with Mogren's d_lr_factor = 0.5 (G 1e-3, D 5e-4) the
bidirectional discriminator separated real from generated within 200 steps and the
generator's sigmoid outputs collapsed to 0 (measured on Sines: mean output 0.0005 after
400 steps, against 0.78 with these rates). The adversarial generator loss instead:

    python -m rgan.main --config=configs/sines_crnngan.py --workdir=runs/sines_crnngan_adv \
        --config.crnngan.feature_matching=False

Beyond the paper, RGAN's recipe (configs/default.py use_rgan_recipe) at 10k steps: the
generator's loss adds a moment-matching term (gan.moment_weight=10: per-feature means,
standard deviations and correlations of the generated steps and of their step-to-step
changes against the real batch's), the generator gets per-sequence noise
(model.sequence_noise_dim=8) and its moving average is sampled (train.ema_decay=0.999).
On Sines (3 seeds, results/sines.md) the moment term alone took the discriminative score
at 5k steps from .241 ± .224 (one seed of three collapsed) to .110 ± .022, the whole
recipe at 10k steps to .046 ± .008 (results/curve_sines_crnngan.md: score per 1k steps).
`--config.gan.moment_weight=0 --config.model.sequence_noise_dim=0
--config.train.ema_decay=0 --config.train.num_steps=5000` is the paper's setup.

`:smoke` trains for a few seconds.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "crnngan"
    config.data.source = "sines"
    config.model.cell = "lstm"
    config.model.hidden = 24
    config.model.layers = 2
    config.crnngan.feature_matching = True
    config.optim.generator.learning_rate = 2e-3
    config.optim.discriminator.learning_rate = 0.25 * config.optim.generator.learning_rate
    if arg == "smoke":  # the paper's setup, for the tests' seconds-long runs
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    else:  # beyond the paper: see the module docstring
        default.use_rgan_recipe(config)
        config.train.num_steps = 10000
    return config
