#!/usr/bin/env bash
# Train on every GPU of one host: one process drives all local GPUs (the batch is split
# over them on the 'data' mesh axis).
#
#   scripts/launch/gpu_host.sh [--dry_run] [--deterministic] -- \
#       --config=configs/sines_timegan.py --workdir=runs/tg [--config.x=y ...]
#
# --dry_run prints the exact command instead of running it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/launch/common.sh

usage() { sed -n '2,9p' "$0"; }
parse_args "$@"

mapfile -t environment < <(run_environment)
command="${environment[*]} $(rgan_command "${RGAN_ARGS[@]}")"
if ((DRY_RUN)); then
  echo "$command"
else
  eval "exec $command"
fi
