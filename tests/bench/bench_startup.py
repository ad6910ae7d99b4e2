"""Start-up: a fresh process to the first painted main window (against a bare QMainWindow), to the dashboard
populated, and the time to generate the scale dataset."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.runner import CACHE, Figure, medians, scale_dataset, scenario, spawn_until

HERE = Path(__file__).parent


def _spawn_until(args: list[str], marker: str, env_extra: dict[str, str]) -> float:
    return spawn_until(args, marker, dict(os.environ, QT_QPA_PLATFORM="offscreen", **env_extra))


def _demo_db() -> Path:
    path = CACHE / "startup-demo.sqlite"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "federation_desk.cli", "--db", str(path), "demo"], check=True, capture_output=True
        )
    return path


def _byte_compile() -> None:
    """Compile the app's modules as an installed copy has them (pip and the Windows bundle ship bytecode). Where
    PYTHONDONTWRITEBYTECODE is set, as on the CI machines, Python would otherwise compile every module from source
    on every start: about 0.4 s here that no installed copy pays."""
    import compileall

    import federation_desk

    compileall.compile_dir(Path(federation_desk.__file__).parent, quiet=1)


@scenario("startup")
def startup(repeat: int) -> list[Figure]:
    _byte_compile()
    db = _demo_db()
    data = tempfile.mkdtemp(prefix="fd-bench-")
    # The page is named: the app otherwise opens the page it last showed, and the dashboard is what is timed. The
    # data folder holds this run's settings and logs (ui/settings.py), away from the person's own.
    app = [sys.executable, "-m", "federation_desk", "--db", str(db), "--page", "dashboard"]
    env = {"FEDERATION_DESK_DATA_DIR": data}
    bare_times: list[float] = []
    first_times: list[float] = []
    dash_times: list[float] = []
    # Interleaved, so a change in machine load affects the app and its reference alike.
    for _ in range(max(repeat, 5)):
        bare_times.append(_spawn_until([sys.executable, str(HERE / "bare_window.py")], "first-paint", {}))
        first_times.append(_spawn_until(app, "first-paint", {**env, "FEDERATION_DESK_BENCH": "first-paint"}))
        dash_times.append(_spawn_until(app, "dashboard", {**env, "FEDERATION_DESK_BENCH": "dashboard"}))
    bare, first, dash = (statistics.median(t) for t in (bare_times, first_times, dash_times))
    return [
        Figure("fresh process to first painted main window", first, "bare QMainWindow", bare, "<= 1.5x"),
        Figure("fresh process to dashboard populated (demo)", dash, "bare QMainWindow", bare, "< 1.5 s"),
    ]


@scenario("scale-generation")
def scale_generation(repeat: int) -> list[Figure]:
    from datetime import date

    from federation_desk.services.demo import DemoScale, build_demo
    from federation_desk.services.startup import open_database

    def once() -> float:
        folder = Path(tempfile.mkdtemp(prefix="fd-bench-scale-"))
        opened = open_database(folder / "scale.sqlite", actor="bench")
        start = time.perf_counter()
        build_demo(opened.database, DemoScale(50, 2500), today=date(2026, 11, 22))
        elapsed = time.perf_counter() - start
        opened.database.dispose()
        return elapsed

    def reference() -> float:
        # A bare sqlite3 executemany of the same number of staff-shaped rows.
        import sqlite3

        folder = Path(tempfile.mkdtemp(prefix="fd-bench-ref-"))
        conn = sqlite3.connect(folder / "ref.sqlite")
        conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d INTEGER, e TEXT, f REAL)")
        rows = [(f"FD{i:05d}", "Given", "Family", i % 50, "2020-01-01", 37.5) for i in range(2500)]
        start = time.perf_counter()
        conn.executemany("INSERT INTO s (a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed

    runs = max(1, min(repeat, 3))
    generation = medians(once, runs)
    ref = medians(reference, runs)
    scale_dataset()  # leave the cached dataset for the other scenarios
    return [
        Figure(
            "scale dataset (50 practices, 2,500 staff) generation",
            generation,
            "bare executemany of 2,500 rows",
            ref,
            "< 60 s",
        )
    ]
