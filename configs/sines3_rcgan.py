"""RCGAN, the conditional demo: three classes of sines told apart by their frequency band.

    python -m rgan.main --config=configs/sines3_rcgan.py --workdir=runs/sines3_rcgan
    python -m rgan.sample --workdir=runs/sines3_rcgan --num=100 --cond=2 --out=class2.npy

10,000 windows of 24 steps and 5 features; class c has every frequency in the middle half
of the c-th third of (0, 0.3): over 24 steps a rising arc, about half a period, about a
full period. The class is a one-hot condition fed to both networks at every step;
`rgan.sample` without `--cond` draws classes with the training frequencies (balanced
here; set data.sine_class_weights, e.g. "(0.5, 0.3, 0.2)", for others). The
discriminator also scores the condition by projection (rcgan.projection): with the
condition only concatenated to its input, the middle class was dropped for whole runs.
`:smoke` trains for a few seconds.
"""

from configs import default


def get_config(arg=None):
    config = default.get_config(None)
    config.family = "rcgan"
    config.data.source = "sines"
    config.data.sine_classes = 3
    config.data.sine_freq_max = 0.3
    config.model.cell = "lstm"
    config.model.hidden = 100
    config.model.layers = 1
    config.rcgan.projection = True
    if arg == "smoke":
        default.apply_smoke(config)
    elif arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected 'smoke' or nothing.")
    return config
