"""Core modules never import Textual: each is imported in a fresh interpreter, in turn, and the first
one after which ``textual`` shows up in ``sys.modules`` is named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tui

UI_PARTS = ("tui.app", "tui.widgets", "tui.screens")


def core_modules() -> list[str]:
    root = Path(tui.__file__).resolve().parent
    names = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        if name.endswith("__main__") or name.startswith(UI_PARTS):
            continue
        names.append(name)
    return names


PROBE = """
import importlib, json, sys
out = {"offender": None, "errors": {}}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception as err:
        out["errors"][name] = f"{type(err).__name__}: {err}"
        continue
    if "textual" in sys.modules and out["offender"] is None:
        out["offender"] = name
print(json.dumps(out))
"""


def test_core_modules_import_without_textual() -> None:
    names = core_modules()
    assert "tui.room" in names and "tui.themes" in names and "tui.turn" in names
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert result["offender"] is None, f"{result['offender']} imports Textual"


def test_the_ui_modules_do_import_textual() -> None:
    """The negative control: the probe does see Textual when a UI module is imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["tui.room", "tui.app"])],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1])["offender"] == "tui.app"
