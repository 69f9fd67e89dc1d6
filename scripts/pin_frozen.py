"""Write packaging/requirements-frozen.txt: the exact versions of the runtime dependencies (and
theirs) installed in this environment, for a frozen build that must not float (issue 11 / 13).

    .venv/bin/python scripts/pin_frozen.py
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "packaging" / "requirements-frozen.txt"


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def closure(roots: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    todo = list(roots)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = _name(req.name)
        if name in found:
            continue
        dist = metadata.distribution(req.name)
        found[name] = dist.version
        todo.extend(dist.requires or [])
    return found


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = closure(project["dependencies"])
    lines = ["# Exact versions for frozen builds (written by scripts/pin_frozen.py; do not edit by hand).",
             f"# Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}; "
             "pyproject.toml keeps the ranges.",
             *(f"{name}=={version}" for name, version in sorted(pins.items()))]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{len(pins)} pins written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
