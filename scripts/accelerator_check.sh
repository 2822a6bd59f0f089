#!/usr/bin/env bash
# Speed on a GPU: installs the CUDA build of jax (the version already installed), checks
# that jax sees a GPU, then times every benchmark config with K = 1 and 16 models per step
# (train.ensemble) and S = 1 and 100 steps per dispatch (train.steps_per_call), each as a
# ratio to the naive Flax step timed beside it (scripts/speed_table.py). Writes one JSON
# (and its markdown table) for the README's speed table.
#
#   scripts/accelerator_check.sh [--out=results/speed_gpu] [--steps=200] [--cuda=12]
#       [--no_install] [--naive=PATH] [--configs=A.py,B.py] [--dry_run]
#
# --dry_run prints the commands and runs nothing; --no_install keeps the installed jax (a
# machine with a CUDA build already, or no package registry); --cuda picks the CUDA major
# version of the plugin (12 or 13, the driver's); --naive points at the naive step's script
# where ../shared is not beside the checkout; --configs times only these. Every config is
# timed at K = 1, S = 1 first, and the JSON is rewritten after each row, so a run cut short
# keeps what it measured. PYTHON names the interpreter (default: python).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=results/speed_gpu
STEPS=200
INSTALL=1
DRY_RUN=0
CUDA=12
EXTRA=()
for arg in "$@"; do
  case "$arg" in
    --out=*) OUT="${arg#*=}" ;;
    --steps=*) STEPS="${arg#*=}" ;;
    --no_install) INSTALL=0 ;;
    --cuda=12|--cuda=13) CUDA="${arg#*=}" ;;
    --naive=*|--configs=*) EXTRA+=("$arg") ;;
    --dry_run) DRY_RUN=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "Unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

PYTHON="${PYTHON:-python}"
commands=()
if ((INSTALL)); then
  # The CUDA plugin of the jax version rgan was installed with (no silent jax upgrade).
  version="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("jax"))' 2>/dev/null || echo unknown)"
  if [[ "$version" == unknown ]]; then
    commands+=("$PYTHON -m pip install --quiet 'jax[cuda$CUDA]'")
  else
    commands+=("$PYTHON -m pip install --quiet 'jax[cuda$CUDA]==$version'")
  fi
fi
# Fails at once, naming the platform, where jax sees no GPU.
commands+=("$PYTHON -c \"import jax; d = jax.devices(); print(d); assert d[0].platform == 'gpu', 'jax sees no GPU: ' + str(d)\"")
commands+=("JAX_COMPILATION_CACHE_DIR=\${JAX_COMPILATION_CACHE_DIR:-\$HOME/.cache/rgan/jax-compilation-cache} $PYTHON scripts/speed_table.py --out=$OUT --steps=$STEPS --steps_per_call=1,100 --ensemble=1,16${EXTRA[*]:+ ${EXTRA[*]}}")
commands+=("cat $OUT.md")

for command in "${commands[@]}"; do
  if ((DRY_RUN)); then
    printf '%s\n' "$command"
  else
    echo "+ $command" >&2
    eval "$command"
  fi
done
