"""The benches' own set-up: a command-line tool they drive, installed when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

from support.report import log

DEBIAN_PACKAGES = {"wrk": "wrk"}


def ensure_tool(name: str) -> str:
    """The path of `name`, installed from Debian's packages first if it is not on PATH (as root,
    or through sudo). Raises if it cannot be had: a bench that silently fell back would measure
    something else."""
    found = shutil.which(name)
    if found:
        return found
    package = DEBIAN_PACKAGES[name]
    apt = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if os.geteuid() != 0:
        apt = ["sudo", "-n", *apt]
    log(f"{name} is missing: {' '.join(apt)} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(apt, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # a stale package index: update once, then try again
        subprocess.run([*apt[:-4], "update"], capture_output=True, env=env, check=False)
        done = subprocess.run(apt, capture_output=True, text=True, env=env, check=False)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"could not install {package}: {done.stderr[-500:]}")
    return found
