"""The frozen build's exact pins (packaging/requirements-frozen.txt) stay inside pyproject's ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "packaging" / "requirements-frozen.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[_name(name)] = version
    return pins


def test_every_runtime_dependency_is_pinned_exactly_within_its_range():
    pins = _pins()
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        req = Requirement(spec)
        name = _name(req.name)
        assert name in pins, f"{req.name} has no exact pin for frozen builds"
        assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} is outside {spec}"


def test_qt_and_its_bindings_are_pinned_together_and_not_the_leaking_release():
    pins = _pins()
    assert pins["pyside6-essentials"] == pins["shiboken6"]
    assert pins["pyside6-essentials"] != "6.12.0"
