"""The PyInstaller bundle: its size, and how fast the bundled programs start compared with the same code run from
the source checkout by the development Python.

Reuses the bundle the tests built when it is still up to date (tests/bundle/build.py), otherwise builds it (about a
minute; that build time is reported too). The bundled programs run with the same isolated environment as the smoke
tests (own home, data and settings folders; Qt offscreen).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.runner import Figure, medians, scenario, spawn_until
from tests.bundle.build import Bundle, build_bundle, bundle_env


def _size(bundle: Bundle) -> str:
    files = sum(1 for p in bundle.folder.rglob("*") if p.is_file() and not p.is_symlink())
    internal = bundle.internal
    largest = sorted(
        (sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink()), p.name)
        if p.is_dir()
        else (p.stat().st_size, p.name)
        for p in internal.iterdir()
        if not p.is_symlink()  # PyInstaller links top-level library names to the copies inside packages
    )[-4:]
    parts = ", ".join(f"{name} {size / 2**20:.0f} MB" for size, name in reversed(largest))
    return f"bundle size {bundle.size_bytes() / 2**20:.0f} MB in {files:,} files (largest: {parts})"


@scenario("bundle")
def bundle_startup(repeat: int) -> list[Figure]:
    bundle = build_bundle()
    scratch = Path(tempfile.mkdtemp(prefix="fd-bench-bundle-"))
    env = bundle_env(scratch)
    demo = scratch / "demo.sqlite"
    subprocess.run([str(bundle.cli), "--db", str(demo), "demo"], env=env, cwd=scratch, check=True, capture_output=True)
    # The same code from the checkout, run by the development Python, with the same isolated folders.
    source_env = {k: v for k, v in env.items() if k != "PYTHONTZPATH"}

    def bundled(marker: str | None, *args: str, program: Path = bundle.gui) -> float:
        extra = {"FEDERATION_DESK_BENCH": marker} if marker else {}
        return spawn_until([str(program), *args], marker, dict(env, **extra), scratch)

    def source(marker: str | None, module: str, *args: str) -> float:
        extra = {"FEDERATION_DESK_BENCH": marker} if marker else {}
        return spawn_until([sys.executable, "-m", module, *args], marker, dict(source_env, **extra), scratch)

    first_gui = bundled("first-paint", "--db", str(demo))  # before the repeats warm anything up
    cli_bundled = medians(lambda: bundled(None, "--version", program=bundle.cli), repeat)
    cli_source = medians(lambda: source(None, "federation_desk.cli", "--version"), repeat)
    paint_bundled = medians(lambda: bundled("first-paint", "--db", str(demo)), repeat)
    paint_source = medians(lambda: source("first-paint", "federation_desk", "--db", str(demo)), repeat)
    dash_bundled = medians(lambda: bundled("dashboard", "--db", str(demo)), repeat)
    dash_source = medians(lambda: source("dashboard", "federation_desk", "--db", str(demo)), repeat)

    shutil.rmtree(scratch, ignore_errors=True)
    figures = []
    if bundle.built_seconds is not None:
        figures.append(Figure("bundle build (PyInstaller, one folder)", bundle.built_seconds, target="~1 min"))
    figures += [
        Figure(
            "first launch in this run to first paint (bundled app)",
            first_gui,
            "same, from source",
            paint_source,
            note=_size(bundle) + f"; {bundle.folder}",
        ),
        Figure("bundled CLI --version (fresh process)", cli_bundled, "python -m federation_desk.cli", cli_source),
        Figure("bundled app: fresh process to first paint", paint_bundled, "python -m federation_desk", paint_source),
        Figure("bundled app: to dashboard populated (demo)", dash_bundled, "python -m federation_desk", dash_source),
    ]
    return figures
