"""Icons exist for every name used; Designer forms and their generated modules never drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.gui import resources

ROOT = Path(__file__).resolve().parents[2]
GUI = ROOT / "desktop_app" / "gui"
UIC = Path(sys.executable).with_name("pyside6-uic")


def used_icon_names() -> set[str]:
    names: set[str] = set()
    for path in GUI.rglob("*.py"):
        if "generated" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""\b(?:icon|pixmap)\(\s*["']([\w-]+)["']""", text))
        # icon("a" if x else "b")
        for inner in re.findall(r"""\bicon\(\s*(["'][\w-]+["']\s+if\s+[^)]*)\)""", text):
            names |= set(re.findall(r"""["']([\w-]+)["']""", inner))
    return names


def test_every_icon_used_exists(qapp):
    used = used_icon_names()
    assert {"app", "bell", "lock", "warning", "resume", "pause"} <= used  # the scan finds them
    missing = used - resources.icon_names()
    assert not missing, f"icons used but not shipped: {sorted(missing)}"
    for name in used:
        assert not resources.icon(name).isNull(), name
        assert not resources.pixmap(name, 32).isNull(), name


def test_unknown_icon_is_a_clear_error():
    with pytest.raises(KeyError, match="No icon named 'nope'"):
        resources.icon_bytes("nope")


def test_packaging_app_icon_is_the_window_icon():
    shipped = (ROOT / "resources" / "icons" / "desktop-app.svg").read_bytes()
    assert shipped == resources.icon_bytes("app")


@pytest.mark.parametrize("form", sorted(p.name for p in (ROOT / "ui").glob("*.ui")))
def test_generated_forms_match_the_designer_files(form, tmp_path):
    out = tmp_path / "out.py"
    subprocess.run([str(UIC), str(ROOT / "ui" / form), "-o", str(out)], check=True)
    generated = GUI / "generated" / f"ui_{form.removesuffix('.ui')}.py"
    assert generated.exists(), f"run: .venv/bin/pyside6-uic ui/{form} -o {generated.relative_to(ROOT)}"
    assert _without_uic_header(out) == _without_uic_header(generated), (
        f"{generated.name} is stale; regenerate with pyside6-uic ui/{form}")


def _without_uic_header(path) -> list[str]:
    """The generated code without uic's version banner (it names the PySide6 release that ran it)."""
    return [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith("## Created by: Qt User Interface Compiler version")]


def test_desktop_entry_names_the_icon_and_command():
    entry = (ROOT / "packaging" / "desktop-app.desktop").read_text(encoding="utf-8")
    assert "Exec=desktop-app" in entry and "Icon=desktop-app" in entry and "Type=Application" in entry
