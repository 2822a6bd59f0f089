#!/usr/bin/env bash
# Train on several GPU nodes under SLURM: one process per node (each drives the node's
# GPUs); jax.distributed.initialize() reads the coordinator and process ids from SLURM.
#
#   scripts/launch/slurm.sh [--dry_run] [--deterministic] [--nodes=2] [--gpus_per_node=8] \
#       [--time=24:00:00] [--partition=gpu] -- \
#       --config=configs/energy_timegan.py --workdir=/shared/runs/energy [--config.x=y ...]
#
# The workdir must be on a filesystem every node sees. --dry_run prints the batch script
# instead of submitting it with sbatch. A job cut by its time limit gets SIGTERM, saves a
# checkpoint and exits 0; submitting the same command again resumes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/launch/common.sh

usage() { sed -n '2,13p' "$0"; }
parse_args "$@"

nodes="${OPTIONS[nodes]:-2}"
gpus="${OPTIONS[gpus_per_node]:-8}"
time_limit="${OPTIONS[time]:-24:00:00}"
partition_line=""
if [[ -n "${OPTIONS[partition]:-}" ]]; then
  partition_line="#SBATCH --partition=${OPTIONS[partition]}"
fi
mapfile -t environment < <(run_environment)

script="#!/usr/bin/env bash
#SBATCH --job-name=rgan
#SBATCH --nodes=$nodes
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=$gpus
#SBATCH --time=$time_limit
#SBATCH --signal=TERM@120
${partition_line}
set -euo pipefail
cd $(printf '%q' "$PWD")
export ${environment[*]}
srun $(rgan_command --distributed "${RGAN_ARGS[@]}")"

if ((DRY_RUN)); then
  echo "$script"
else
  sbatch <<<"$script"
fi
