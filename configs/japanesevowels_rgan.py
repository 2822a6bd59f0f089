"""RGAN on JapaneseVowels (640 utterances of 7-29 steps, 12 LPC cepstrum coefficients):
configs/own_data.py on the table that `python scripts/uea_data.py --out=data` writes
(from the aeon package); the speaker label is left out of the features.

    python -m rgan.main --config=configs/japanesevowels_rgan.py --workdir=runs/jv
"""

from configs import own_data


def get_config(arg=None):
    config = own_data.get_config("rgan")
    config.data.path = "data/JapaneseVowels.csv"
    config.data.feature_columns = ",".join(f"c{i}" for i in range(12))
    if arg:
        raise ValueError(f"Unknown config argument {arg!r}; expected nothing.")
    return config
