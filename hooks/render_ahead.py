"""Copier migration, before the merge: keep the new version's render for the
project check, which Copier makes anyway.

scripts/check_project.py compares the project's release path with the
template's render for its answers at the recorded version, and caches it.
During an update Copier itself renders the new version for the answers into
a scratch folder (`copier._main.new_copy.*` in the temporary directory, to
diff against), and deletes it after the merge. This starts a process of its
own that copies that folder once Copier has rendered it (it then makes a git
repository of it) and its answers are this project's; should it not appear
before Copier exits (another Copier, or a failed update), nothing is kept
and the check renders the template itself. The update never waits for it,
and it never fails the update; the first check after the update takes the
copy, once its answers are the same as the ones Copier recorded.

    python render_ahead.py ANSWERS_FILE --template DIR [--data JSON]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML

# Copier's render of the new version during an update (its _main module's
# TemporaryDirectory prefix), complete once Copier made it a git repository.
SCRATCH = "copier._main.new_copy."
ANSWERS = ".copier-answers.yml"
POLL = 0.01  # seconds: the folder lives for a few tenths of a second
GIVE_UP = 600.0  # seconds, should Copier be waiting on a terminal


def import_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def start(answers_file: Path, template: Path, given: dict[str, Any]) -> None:
    check = import_script(template / "template/scripts/check_project.py")
    ahead = check.ahead_folder(Path.cwd())
    shutil.rmtree(ahead, ignore_errors=True)
    ahead.mkdir(parents=True)
    recorded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    expected = {
        k: v for k, v in {**recorded, **given}.items() if not str(k).startswith("_")
    }
    (ahead / "answers.json").write_text(json.dumps(expected), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, __file__, "--watch", str(ahead), str(os.getppid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # it outlives this step, and Ctrl-C of Copier
    )
    (ahead / "pid").write_text(str(process.pid), encoding="utf-8")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def ours(render: Path, expected: dict[str, Any]) -> bool:
    """Whether a render's answers include every answer expected."""
    try:
        answers = yaml.safe_load((render / ANSWERS).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(answers, dict) and all(
        answers.get(k) == v for k, v in expected.items()
    )


def watch(ahead: Path, copier_pid: int) -> None:
    """Copy Copier's render of the new version into `ahead`/render."""
    expected = json.loads((ahead / "answers.json").read_text(encoding="utf-8"))
    scratch = Path(tempfile.gettempdir())
    tried: set[str] = set()
    deadline = time.monotonic() + GIVE_UP
    while alive(copier_pid) and time.monotonic() < deadline:
        for entry in os.scandir(scratch):
            made = Path(entry.path)
            if not entry.name.startswith(SCRATCH) or entry.path in tried:
                continue
            if not (made / ".git").exists():  # not rendered yet
                continue
            tried.add(entry.path)
            copy = ahead / "copy"
            shutil.rmtree(copy, ignore_errors=True)
            try:
                shutil.copytree(made, copy, ignore=shutil.ignore_patterns(".git"))
            except OSError:  # deleted while copied: too late for this one
                continue
            if ours(copy, expected):
                copy.rename(ahead / "render")
                return
        time.sleep(POLL)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers_file", type=Path, nargs="?")
    parser.add_argument("--template", type=Path)
    parser.add_argument("--data", default="{}", help="the --data given, as JSON")
    parser.add_argument("--watch", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    try:
        if options.watch:
            ahead = Path(options.watch[0])
            try:
                watch(ahead, int(options.watch[1]))
            finally:  # the check waits for this, not for the process to go
                (ahead / "done").touch()
        elif options.answers_file and options.template:
            given = json.loads(options.data)
            start(options.answers_file, options.template, dict(given))
    except Exception:  # noqa: BLE001 - the check renders it itself, then
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
