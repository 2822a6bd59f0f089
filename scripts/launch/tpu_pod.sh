#!/usr/bin/env bash
# Train on a Cloud TPU VM pod: the same command on every worker over gcloud ssh; each
# worker's jax.distributed.initialize() finds the others from the TPU metadata.
#
#   scripts/launch/tpu_pod.sh [--dry_run] --name=my-tpu --zone=us-central2-b \
#       [--project=my-project] [--repo_dir=rgan] -- \
#       --config=configs/energy_timegan.py --workdir=/mnt/shared/runs/energy [--config.x=y ...]
#
# The workdir must be on a filesystem every worker sees (Filestore, or a bucket mounted
# with gcsfuse). Every worker needs rgan installed in --repo_dir (relative to its home):
# pip install -e ".[dev]" "jax[tpu]". Matmuls run in full float32 (TPUs default to
# bfloat16 passes), as on CPU and GPU. --dry_run prints the gcloud command instead of
# running it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/launch/common.sh

usage() { sed -n '2,13p' "$0"; }
parse_args "$@"

name="${OPTIONS[name]:?--name=<TPU VM name> is required}"
zone="${OPTIONS[zone]:?--zone=<zone> is required}"
repo_dir="${OPTIONS[repo_dir]:-rgan}"
mapfile -t environment < <(run_environment)
remote="cd $repo_dir && JAX_DEFAULT_MATMUL_PRECISION=highest ${environment[*]} $(rgan_command --distributed "${RGAN_ARGS[@]}")"
gcloud_args=(gcloud compute tpus tpu-vm ssh "$name" "--zone=$zone" --worker=all)
if [[ -n "${OPTIONS[project]:-}" ]]; then
  gcloud_args+=("--project=${OPTIONS[project]}")
fi
gcloud_args+=("--command=$remote")

if ((DRY_RUN)); then
  printf '%q ' "${gcloud_args[@]}"
  echo
else
  exec "${gcloud_args[@]}"
fi
