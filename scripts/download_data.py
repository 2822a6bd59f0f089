"""Fetch the TimeGAN benchmark CSVs (Stocks, Energy) into a folder, checked by SHA-256.

    python scripts/download_data.py --out=data                  # from the internet
    python scripts/download_data.py --out=data --from=/path/dir # copy local files

The files are those of the TimeGAN reference repository (jsyoon0823/TimeGAN, data/):
Google (GOOG) daily prices from Yahoo Finance, and the UCI "Appliances energy
prediction" data without its date column. A file already present with the right hash is
kept; nothing is overwritten by a failed or mismatching download.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request

BASE = "https://raw.githubusercontent.com/jsyoon0823/TimeGAN/master/data/"
FILES = {
    "stocks": (
        "stock_data.csv",
        "134b8a00eb4eefa3242dd7ae85144082da80dedf75a1a656d5d08f97cd95277a",
    ),
    "energy": (
        "energy_data.csv",
        "0869e426fd33995b4028e092e90ae75c38756172c652b287639d4415985901f2",
    ),
}


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(name: str, out_dir: str, source_dir: str | None) -> str:
    filename, expected = FILES[name]
    target = os.path.join(out_dir, filename)
    if os.path.exists(target) and sha256(target) == expected:
        return f"{name}: {target} already present and verified"
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out_dir, prefix=f".{filename}.", delete=False) as tmp:
        tmp_path = tmp.name
    try:
        if source_dir:
            shutil.copyfile(os.path.join(source_dir, filename), tmp_path)
        else:
            with urllib.request.urlopen(BASE + filename, timeout=60) as response:
                with open(tmp_path, "wb") as f:
                    shutil.copyfileobj(response, f)
        actual = sha256(tmp_path)
        if actual != expected:
            raise ValueError(
                f"{name}: SHA-256 {actual} does not match the benchmark file ({expected}); "
                "not installed."
            )
        os.chmod(tmp_path, 0o644)  # NamedTemporaryFile creates 0600
        os.replace(tmp_path, target)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
    return f"{name}: wrote {target}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="data", help="folder to write the CSVs into")
    parser.add_argument("--from", dest="source", help="copy from this folder instead")
    parser.add_argument("--datasets", default="stocks,energy", help="comma-separated names")
    args = parser.parse_args(argv)
    failed = False
    for name in args.datasets.split(","):
        if name not in FILES:
            print(f"unknown dataset {name!r}; choose from {sorted(FILES)}", file=sys.stderr)
            return 2
        try:
            print(fetch(name, args.out, args.source))
        except (OSError, ValueError) as err:
            print(f"{name}: failed: {err}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
