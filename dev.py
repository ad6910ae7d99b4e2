#!/usr/bin/env python3
"""Developer bootstrap: the README's two quick-start commands.

    python dev.py demo              set up, build the demo federation and open the app
    python dev.py demo --headless   same set-up, then write screenshots and the demo PDFs to out/demo/
    python dev.py test              set up and run the whole test suite (ruff, then pytest)

Needs only Python 3.11+ on PATH. The first run creates .venv/ next to this file and installs the package with
its test extras (about a minute); later runs reuse it until pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".federation-desk-installed"
OUT = ROOT / "out" / "demo"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _venv_script(name: str) -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / f"{name}.exe"
    return VENV / "bin" / name


def _wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest} {sys.version_info.major}.{sys.version_info.minor}"


def setup() -> Path:
    """Create the virtual environment and install the package once per pyproject.toml version."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older Python
        sys.exit(f"Federation Desk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = _venv_python()
    if not python.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text(encoding="utf-8") != _wanted_stamp():
        print("Installing Federation Desk and its test tools (first run takes about a minute) ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", ".[test]"], check=True, cwd=ROOT)
        STAMP.write_text(_wanted_stamp(), encoding="utf-8")
    return python


def demo(args: list[str]) -> int:
    setup()
    cli = str(_venv_script("federation-desk-cli"))
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "demo-federation.sqlite"
    print(f"Building the demo federation in {db} ...", flush=True)
    subprocess.run([cli, "--db", str(db), "demo", "--force"], check=True)
    if "--headless" in args:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        subprocess.run([cli, "--db", str(db), "snapshot", "--out", str(OUT)], check=True, env=env)
        subprocess.run([cli, "--db", str(db), "demo-pdfs", "--out", str(OUT)], check=True, env=env)
        print(f"Screenshots and PDFs are in {OUT}")
        return 0
    gui = str(_venv_script("federation-desk"))
    return subprocess.run([gui, "--db", str(db)], check=False).returncode


def test(args: list[str]) -> int:
    python = str(setup())
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    lint = subprocess.run([python, "-m", "ruff", "check", "."], cwd=ROOT, env=env, check=False)
    if lint.returncode != 0:
        print("ruff found problems (above); fix them before the tests count.", flush=True)
        return lint.returncode
    return subprocess.run([python, "-m", "pytest", *args], cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup()
        return 0
    return demo(rest) if command == "demo" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
