# Shared by the launch scripts (sourced, not run): argument parsing and the environment
# every accelerator run gets.
#
# Sets DRY_RUN (0/1), DETERMINISTIC (0/1), OPTIONS (assoc: --name=value options before
# `--`) and RGAN_ARGS (array: everything after `--`, passed to python -m rgan.main).

DRY_RUN=0
DETERMINISTIC=0
declare -A OPTIONS=()
RGAN_ARGS=()

parse_args() {
  while (($#)); do
    case "$1" in
      --dry_run) DRY_RUN=1 ;;
      --deterministic) DETERMINISTIC=1 ;;
      --) shift; RGAN_ARGS=("$@"); return 0 ;;
      --*=*) local kv="${1#--}"; OPTIONS["${kv%%=*}"]="${kv#*=}" ;;
      -h|--help) usage; exit 0 ;;
      *) echo "Unknown argument: $1 (rgan.main's flags go after --)" >&2; usage >&2; exit 2 ;;
    esac
    shift
  done
  if ((${#RGAN_ARGS[@]} == 0)); then
    echo "Missing rgan.main's flags after --, e.g. -- --config=configs/sines_rgan.py --workdir=runs/x" >&2
    exit 2
  fi
}

# The environment of every run, as NAME=value words: a persistent compilation cache (a
# restarted or resumed job does not compile again), and with --deterministic XLA's
# deterministic GPU kernels (bit-reproducible runs, somewhat slower).
run_environment() {
  local cache="${JAX_COMPILATION_CACHE_DIR:-\$HOME/.cache/rgan/jax-compilation-cache}"
  local xla_flags="${XLA_FLAGS:-}"
  if ((DETERMINISTIC)); then
    xla_flags="${xla_flags:+$xla_flags }--xla_gpu_deterministic_ops=true"
  fi
  printf '%s\n' "JAX_COMPILATION_CACHE_DIR=$cache"
  if [[ -n "$xla_flags" ]]; then
    printf '%s\n' "XLA_FLAGS='$xla_flags'"
  fi
}

# rgan.main's command line, shell-quoted.
rgan_command() {
  local words=(python -m rgan.main "$@") out=""
  for w in "${words[@]}"; do out+="$(printf '%q' "$w") "; done
  printf '%s' "${out% }"
}
