"""Building the PyInstaller bundle for the smoke tests and the benchmark, and running the bundled programs.

The bundle is built with the Linux build script (``installer/build-linux.sh``; on Windows PyInstaller directly) from
``installer/federation-desk.spec`` into ``build/bundle/``. A build is reused only while its fingerprint (every file
of the package and the installer, the Python version and the installed distributions) is unchanged, so a test
session builds at most once and a clean clone always builds. A lock file keeps two test sessions in one checkout
from building into the same folder at the same time.
"""

from __future__ import annotations

import hashlib
import json
import os
import pkgutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "installer") not in sys.path:
    sys.path.insert(0, str(ROOT / "installer"))

import bundle as config  # noqa: E402 - installer/bundle.py: names shared with the spec and the Inno Setup script

BUILD = ROOT / "build" / "bundle"
DIST = BUILD / "dist"
WORK = BUILD / "work"
FINGERPRINT = BUILD / "fingerprint.txt"
MANIFEST = BUILD / "manifest.json"  # what the package held when the bundle was built (see source_manifest)
LOCK = BUILD / ".lock"
REBUILD_ENV = "FEDERATION_DESK_BUNDLE_REBUILD"  # set to 1 to rebuild even when nothing changed


@dataclass(frozen=True)
class Bundle:
    folder: Path
    built_seconds: float | None  # None: an up-to-date build was reused

    @property
    def gui(self) -> Path:
        return self.folder / config.EXECUTABLES[0].filename

    @property
    def cli(self) -> Path:
        return self.folder / config.EXECUTABLES[1].filename

    @property
    def internal(self) -> Path:
        return self.folder / "_internal"

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file() and not p.is_symlink())

    def manifest(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(MANIFEST.read_text(encoding="utf-8"))
        return data


def source_manifest() -> dict[str, object]:
    """The package's modules, and its resource and migration files with their hashes, as the build starts.

    The tests compare the bundle with this rather than with the checkout as it is later: in a shared checkout other
    people add files while the bundle builds, and those belong to the next build, not this one."""
    package = ROOT / "federation_desk"
    modules = ["federation_desk"] + [
        info.name
        for info in pkgutil.walk_packages([str(package)], prefix="federation_desk.")
        if not info.name.endswith("__main__")
    ]
    shipped = [p for p in (package / "resources").rglob("*") if p.is_file()]
    shipped += [p for p in (package / "db" / "migrations").rglob("*") if p.suffix in {".py", ".mako"}]
    files = {
        p.relative_to(package).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in shipped
        if "__pycache__" not in p.parts
    }
    return {"modules": sorted(modules), "files": files}


def fingerprint() -> str:
    digest = hashlib.sha256()
    sources = [p for p in (ROOT / "federation_desk").rglob("*") if p.is_file()]
    sources += [p for p in (ROOT / "installer").iterdir() if p.is_file()]
    for path in sorted(sources):
        if "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}:
            continue
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()


@contextmanager
def _locked() -> Iterator[None]:
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def build_bundle(force: bool = False) -> Bundle:
    """The bundle of the current checkout: reused when up to date, otherwise built (about a minute)."""
    folder = DIST / config.BUNDLE_NAME
    with _locked():
        wanted = fingerprint()
        force = force or os.environ.get(REBUILD_ENV) == "1"
        current = FINGERPRINT.read_text(encoding="utf-8").strip() if FINGERPRINT.exists() else ""
        if not force and current == wanted and (folder / config.EXECUTABLES[1].filename).exists():
            return Bundle(folder, None)
        FINGERPRINT.unlink(missing_ok=True)
        manifest = source_manifest()
        if os.name == "nt":
            command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
            command += ["--distpath", str(DIST), "--workpath", str(WORK), str(config.SPEC)]
        else:
            command = ["bash", str(ROOT / "installer" / "build-linux.sh"), "--python", sys.executable]
            command += ["--dist", str(DIST), "--work", str(WORK)]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-6000:]
            raise RuntimeError(f"Building the bundle failed (exit code {result.returncode}):\n{output}")
        MANIFEST.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        FINGERPRINT.write_text(wanted, encoding="utf-8")
        return Bundle(folder, elapsed)


def bundle_env(scratch: Path, **extra: str) -> dict[str, str]:
    """An environment in which a bundled program can lean on nothing of the developer's: no Python or Qt variables,
    a home, data and settings folder of its own, no system time-zone database (as on Windows), Qt offscreen."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "QT_", "VIRTUAL_ENV", "FEDERATION_DESK_", "LD_", "XDG_"))
    }
    for name in ("home", "data", "config"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(scratch / "home"),
        XDG_CONFIG_HOME=str(scratch / "config"),
        FEDERATION_DESK_DATA_DIR=str(scratch / "data"),
        QT_QPA_PLATFORM="offscreen",
        PYTHONTZPATH="",  # zoneinfo must use the bundled tzdata, as it has to on Windows
    )
    env.update(extra)
    return env


def run(program: Path, *args: str, scratch: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a bundled program from a folder outside the checkout."""
    return subprocess.run(
        [str(program), *args],
        cwd=scratch,
        env=bundle_env(scratch, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
