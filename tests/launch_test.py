"""scripts/launch/*.sh --dry_run: the exact commands each target would run."""

import shlex
import subprocess

import pytest
from conftest import REPO

ARGS = ["--", "--config=configs/sines_rgan.py", "--workdir=runs/a b", "--config.seed=3"]


def _dry_run(script, *options, env=None):
    done = subprocess.run(
        [str(REPO / "scripts" / "launch" / script), "--dry_run", *options, *ARGS],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gpu_host_runs_rgan_main_with_a_compilation_cache_and_optional_determinism():
    plain = _dry_run("gpu_host.sh", env={"PATH": "/usr/bin:/bin", "HOME": "/h"})
    words = shlex.split(plain)
    assert words[0] == "JAX_COMPILATION_CACHE_DIR=$HOME/.cache/rgan/jax-compilation-cache"
    assert words[1:] == ["python", "-m", "rgan.main", *ARGS[1:]]  # the space kept quoted
    deterministic = _dry_run("gpu_host.sh", "--deterministic", env={"PATH": "/usr/bin:/bin"})
    assert "XLA_FLAGS='--xla_gpu_deterministic_ops=true'" in deterministic


def test_slurm_runs_one_distributed_process_per_node():
    script = _dry_run("slurm.sh", "--nodes=4", "--gpus_per_node=2", "--partition=a100")
    for line in ("--nodes=4", "--ntasks-per-node=1", "--gpus-per-node=2", "--partition=a100"):
        assert f"#SBATCH {line}" in script
    assert "#SBATCH --signal=TERM@120" in script  # time to save before the limit
    last = shlex.split(script.strip().splitlines()[-1])
    assert last == ["srun", "python", "-m", "rgan.main", "--distributed", *ARGS[1:]]


def test_tpu_pod_runs_on_every_worker_in_float32():
    words = shlex.split(_dry_run("tpu_pod.sh", "--name=t1", "--zone=z1", "--project=p"))
    assert words[:8] == [
        "gcloud",
        "compute",
        "tpus",
        "tpu-vm",
        "ssh",
        "t1",
        "--zone=z1",
        "--worker=all",
    ]
    assert "--project=p" in words
    remote = shlex.split(next(w for w in words if w.startswith("--command="))[10:])
    assert remote[:3] == ["cd", "rgan", "&&"]
    assert "JAX_DEFAULT_MATMUL_PRECISION=highest" in remote
    assert remote[-7:] == ["python", "-m", "rgan.main", "--distributed", *ARGS[1:]]


@pytest.mark.parametrize("script", ["gpu_host.sh", "slurm.sh", "tpu_pod.sh"])
def test_rgan_flags_must_follow_a_double_dash(script):
    done = subprocess.run(
        [str(REPO / "scripts" / "launch" / script), "--dry_run", "--config=x.py"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "after --" in done.stderr


def test_accelerator_check_installs_cuda_jax_then_times_every_config_at_k_and_s():
    done = subprocess.run(
        [str(REPO / "scripts" / "accelerator_check.sh"), "--dry_run", "--out=/tmp/gpu"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "pip install" in lines[0] and "jax[cuda12]" in lines[0]
    assert "platform == 'gpu'" in lines[1]  # stops at once without a GPU
    words = shlex.split(lines[2])
    assert words[0].startswith("JAX_COMPILATION_CACHE_DIR=")
    assert words[2:] == [
        "scripts/speed_table.py",
        "--out=/tmp/gpu",
        "--steps=200",
        "--steps_per_call=1,100",
        "--ensemble=1,16",
    ]
