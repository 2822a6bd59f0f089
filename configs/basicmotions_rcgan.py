"""RCGAN on BasicMotions (80 recordings of 100 steps, 6 channels, 4 activities), each
recording generated for its activity: configs/own_data.py:rcgan on the table that
`python scripts/uea_data.py --out=data` writes (from the aeon package).

    python -m rgan.main --config=configs/basicmotions_rcgan.py --workdir=runs/bm
    python -m rgan.sample --workdir=runs/bm --num=10 --cond=Running --out=running.csv
"""

from configs import own_data


def get_config(arg=None):
    config = own_data.get_config("rcgan")
    config.data.path = "data/BasicMotions.csv"
    config.data.condition_column = "label"
    if arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected nothing.")
    return config
