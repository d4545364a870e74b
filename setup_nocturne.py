"""One-time set-up of NOCTURNE_OS from this folder (what RUN.bat runs first).

    python setup_nocturne.py

1. creates a virtual environment in .venv next to this file (if there is none);
2. installs NOCTURNE_OS into it (again only when pyproject.toml changed since the last time);
3. creates config.json next to this file with the defaults if it is missing (an existing one
   is never touched);
then says what it did and what to do next. Running it again is quick and changes nothing.
Only the standard library is used, so any Python 3.10+ can run it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MIN_PYTHON = (3, 10)
STAMP = ".nocturne-installed"  # inside the venv: the hash of the pyproject.toml installed


def venv_python(venv_dir: Path) -> Path:
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def project_hash(root: Path) -> str:
    return hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()


def run(cmd: list[str]) -> None:
    print("  $ " + " ".join(f'"{c}"' if " " in c else c for c in cmd), flush=True)
    subprocess.run(cmd, check=True)


def setup(root: Path, venv_dir: Path, config: Path, extras: str = "") -> list[str]:
    """Do what is missing; return one line per thing done or found in place."""
    done: list[str] = []
    python = venv_python(venv_dir)
    if python.exists():
        done.append(f"virtual environment: {venv_dir} (already there)")
    else:
        print(f"Creating the virtual environment {venv_dir} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
        done.append(f"virtual environment: created {venv_dir}")
    stamp = venv_dir / STAMP
    wanted = project_hash(root) + extras
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
        done.append("NOCTURNE_OS: already installed")
    else:
        print("Installing NOCTURNE_OS and what it needs (a minute the first time) ...", flush=True)
        target = f"{root}[{extras}]" if extras else str(root)
        run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target]
        )
        stamp.write_text(wanted, encoding="utf-8")
        done.append("NOCTURNE_OS: installed")
    if config.exists():
        done.append(f"config: {config} (kept as it is)")
    else:
        run([str(python), "-m", "nocturne", "config", "--config", str(config)])
        done.append(f"config: created {config} with the defaults")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One-time set-up of NOCTURNE_OS.")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="virtual environment")
    parser.add_argument("--config", type=Path, default=ROOT / "config.json", help="config file")
    parser.add_argument(
        "--extras", default="", help="optional parts to install too, e.g. device,build"
    )
    args = parser.parse_args(argv)
    if sys.version_info < MIN_PYTHON:
        print(
            f"NOCTURNE_OS needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; this is "
            f"{sys.version.split()[0]}. Install a newer one from python.org and run this again.",
            file=sys.stderr,
        )
        return 1
    try:
        done = setup(ROOT, args.venv.resolve(), args.config.resolve(), args.extras)
    except subprocess.CalledProcessError as exc:
        print(
            f"\nSet-up failed: {exc.cmd[0]} exited with {exc.returncode} (see above). "
            "Check the internet connection and run this again.",
            file=sys.stderr,
        )
        return 1
    print("\nNOCTURNE_OS is set up:")
    for line in done:
        print(f"  - {line}")
    if os.name == "nt":
        print("\nNext: double-click RUN.bat (tray) or EMERGENCY_START.bat (console).")
    else:
        print(f"\nNext: {venv_python(args.venv)} -m nocturne --config {args.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
