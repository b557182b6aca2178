"""Copier migration, before the merge: render the new version for the project
check, in the background, while Copier merges.

scripts/check_project.py compares the project's release path with the
template's render for its answers at the recorded version, and caches it.
Rendering is a Copier import and a render: started here, in a process of its
own, it runs beside Copier's merge, and the update never waits for it. The
render starts from the answers as they will be (the recorded ones, renamed
by the migrations before this one, and those given with --data); the first
check after the update waits for it if need be, and keeps it only if the
answers Copier recorded are the same (else it renders again). It never fails
the update.

    python render_ahead.py ANSWERS_FILE --template DIR [--data JSON]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import yaml  # type: ignore[import-untyped]  # Copier depends on PyYAML


def import_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def start(answers_file: Path, template: Path, given: dict[str, object]) -> None:
    script = template / "template/scripts/check_project.py"
    check = import_script(script)
    ahead = check.ahead_folder(Path.cwd())
    shutil.rmtree(ahead, ignore_errors=True)
    ahead.mkdir(parents=True)
    recorded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    data = {**recorded, **given}
    (ahead / "answers.json").write_text(json.dumps(data), encoding="utf-8")
    # Copier's checkout of the new version, without git: Copier renders a
    # folder as it is, where it would clone a repository first.
    source = ahead / "template"
    shutil.copytree(template, source, ignore=shutil.ignore_patterns(".git"))
    args = ["--render", str(source), "", str(ahead / "answers.json")]
    process = subprocess.Popen(
        [sys.executable, str(script), *args, str(ahead / "render")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # it outlives this step, and Ctrl-C of Copier
    )
    (ahead / "pid").write_text(str(process.pid), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--data", default="{}", help="the --data given, as JSON")
    options = parser.parse_args(argv)
    try:
        given = json.loads(options.data)
        start(options.answers_file, options.template, dict(given))
    except Exception:  # noqa: BLE001 - the check renders it itself, then
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
