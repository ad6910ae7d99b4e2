"""The benchmark runner: scenarios print median figures, a reference measured in the same run, and their ratio.

Run ``python -m tests.bench`` (all scenarios) or ``python -m tests.bench startup scale`` (by name prefix).
Scenario modules are ``tests/bench/bench_*.py``; each registers functions with :func:`scenario`. A scenario
returns a list of :class:`Figure`. The scale dataset is built once per parameter set and cached in .bench-cache/.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench-cache"


@dataclass(frozen=True)
class Figure:
    name: str
    seconds: float
    reference_name: str = ""
    reference_seconds: float | None = None
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference_seconds:
            return self.seconds / self.reference_seconds
        return None


Scenario = Callable[[int], list[Figure]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[name] = fn
        return fn

    return register


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def medians(fn: Callable[[], float], repeat: int) -> float:
    """Median of a function that measures and returns its own seconds."""
    return statistics.median(fn() for _ in range(repeat))


def _schema_key() -> str:
    from federation_desk.db import migrate
    from federation_desk.services import demo

    text = ",".join(sorted(migrate.head_revisions())) + "|" + ",".join(sorted(demo.MODULES_WITH_DEMO_STEPS))
    digest = hashlib.sha256(text.encode())
    # A module may still edit its own (unreleased) revision: the files' content is part of the schema.
    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    for path in sorted(versions.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def scale_dataset(practices: int = 50, staff: int = 2500, seed: int = 20261122) -> Path:
    """The benchmark-scale demo database, built once per parameters and schema (cached in .bench-cache/)."""
    from datetime import date

    from federation_desk.services.demo import DemoScale, build_demo
    from federation_desk.services.startup import open_database

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"scale-p{practices}-s{staff}-seed{seed}-{_schema_key()}.sqlite"
    if not path.exists():
        tmp = path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        opened = open_database(tmp, actor="bench")
        build_demo(opened.database, DemoScale(practices, staff, seed), today=date(2026, 11, 22))
        with opened.database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        opened.database.dispose()
        shutil.move(tmp, path)
    return path


def scratch_copy(path: Path, name: str) -> Path:
    target = CACHE / "scratch" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    return target


def load_scenarios() -> None:
    for module in sorted(Path(__file__).parent.glob("bench_*.py")):
        importlib.import_module(f"tests.bench.{module.stem}")


def report(figures: list[Figure]) -> None:
    for f in figures:
        line = f"  {f.name:<52} {f.seconds * 1000:9.1f} ms"
        if f.reference_seconds is not None:
            line += f"   reference {f.reference_name}: {f.reference_seconds * 1000:8.1f} ms   ratio {f.ratio:5.2f}x"
        if f.target:
            line += f"   target {f.target}"
        print(line, flush=True)
        if f.note:
            print(f"      {f.note}", flush=True)


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    repeat = 5
    if "--repeat" in argv:
        i = argv.index("--repeat")
        repeat = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    load_scenarios()
    chosen = [name for name in SCENARIOS if not argv or any(name.startswith(a) for a in argv)]
    print(f"Federation Desk benchmarks ({repeat} runs each, medians; {os.cpu_count()} cores)", flush=True)
    for name in chosen:
        print(f"\n[{name}]", flush=True)
        report(SCENARIOS[name](repeat))
    return 0


def spawn_until(
    args: list[str], marker: str | None, env: dict[str, str], cwd: Path | None = None, timeout: float = 120.0
) -> float:
    """Seconds from spawning a process to it printing ``BENCH <marker>`` (or, with no marker, to it ending well).
    A process that has neither printed it nor ended within ``timeout`` seconds is killed, and the error says so,
    instead of the benchmark waiting for ever."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=cwd)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        if marker is None:
            proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"{args} exited with {proc.returncode}")
            return time.perf_counter() - start
        for line in proc.stdout:
            if line.startswith(f"BENCH {marker}"):
                elapsed = time.perf_counter() - start
                proc.wait(timeout=60)
                return elapsed
        proc.wait(timeout=60)
    finally:
        watchdog.cancel()
    raise RuntimeError(f"{args} did not print BENCH {marker} (within {timeout:.0f} s, or it stopped first)")
