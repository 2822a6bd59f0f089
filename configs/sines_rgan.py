"""RGAN on TimeGAN's Sines (10,000 windows, 24 steps, 5 features).

    python -m rgan.main --config=configs/sines_rgan.py --workdir=runs/sines_rgan

`:smoke` trains for a few seconds (tests, first contact).
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
