"""Every package's public face (lazy_face.py): importing the package imports none of the
modules behind it; each name is the one its module defines; an unknown name is an
AttributeError naming the package."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PACKAGES = ("collect", "config", "devices", "mqtt", "ui", "wire")

PROBE = """
import importlib, json, sys
pkg = importlib.import_module("nocturne." + sys.argv[1])
face = pkg._FACE
loaded_early = sorted(m for m in set(face.values()) if f"{pkg.__name__}.{m}" in sys.modules)
wrong = []
for name, module in face.items():
    got = getattr(pkg, name)
    if got is not getattr(sys.modules[f"{pkg.__name__}.{module}"], name):
        wrong.append(name)
try:
    pkg.no_such_name
    unknown = None
except AttributeError as exc:
    unknown = str(exc)
print(json.dumps({"early": loaded_early, "wrong": wrong, "unknown": unknown,
                  "all": sorted(pkg.__all__) == sorted(face)}))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_package_face_is_lazy_and_exact(package: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, package], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out)
    assert seen["early"] == [], f"imported with the package: {seen['early']}"
    assert seen["wrong"] == []
    assert seen["all"]
    assert seen["unknown"] == f"module 'nocturne.{package}' has no attribute 'no_such_name'"
