"""Adapter: the Curtois & Qu nurse rostering instances (../shared/benchdata/curtois_nrp/, read at bench time,
never copied into the repository) as a RosterCore model (federation_desk.services.rota_solver).

Hard: one shift a day, days off, forbidden successions, maximum shifts per type, total minutes between the
bounds, maximum and minimum consecutive shifts, minimum consecutive days off, maximum working weekends.
Soft (the objective): shift-on and shift-off requests and weighted under/over cover.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from federation_desk.services.rota_core import RosterCore, SolveOutcome

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "benchdata" / "curtois_nrp"


@dataclass
class Instance:
    name: str
    days: int
    shifts: dict[str, tuple[int, list[str]]]  # id -> (minutes, forbidden next)
    staff: dict[str, dict[str, object]] = field(default_factory=dict)
    days_off: dict[str, set[int]] = field(default_factory=dict)
    on_requests: list[tuple[str, int, str, int]] = field(default_factory=list)
    off_requests: list[tuple[str, int, str, int]] = field(default_factory=list)
    cover: list[tuple[int, str, int, int, int]] = field(default_factory=list)


def read_instance(number: int, folder: Path = DATA) -> Instance:
    path = folder / f"Instance{number}.txt"
    section = ""
    inst = Instance(path.stem, 0, {})
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            section = line
            continue
        parts = line.split(",")
        if section == "SECTION_HORIZON":
            inst.days = int(line)
        elif section == "SECTION_SHIFTS":
            inst.shifts[parts[0]] = (int(parts[1]), [p for p in parts[2].split("|") if p] if len(parts) > 2 else [])
        elif section == "SECTION_STAFF":
            limits = {}
            for item in parts[1].split("|"):
                if "=" in item:
                    k, v = item.split("=")
                    limits[k] = int(v)
            inst.staff[parts[0]] = {
                "max_shifts": limits,
                "max_minutes": int(parts[2]),
                "min_minutes": int(parts[3]),
                "max_consecutive": int(parts[4]),
                "min_consecutive": int(parts[5]),
                "min_days_off": int(parts[6]),
                "max_weekends": int(parts[7]),
            }
        elif section == "SECTION_DAYS_OFF":
            inst.days_off[parts[0]] = {int(p) for p in parts[1:] if p}
        elif section == "SECTION_SHIFT_ON_REQUESTS":
            inst.on_requests.append((parts[0], int(parts[1]), parts[2], int(parts[3])))
        elif section == "SECTION_SHIFT_OFF_REQUESTS":
            inst.off_requests.append((parts[0], int(parts[1]), parts[2], int(parts[3])))
        elif section == "SECTION_COVER":
            inst.cover.append((int(parts[0]), parts[1], int(parts[2]), int(parts[3]), int(parts[4])))
    return inst


def best_known(folder: Path = DATA) -> dict[str, int]:
    with (folder / "best_known.csv").open() as fh:
        return {row["instance"].removesuffix(".txt"): int(row["best_known_upper_bound"]) for row in csv.DictReader(fh)}


def build(inst: Instance) -> RosterCore:
    """The instance as a RosterCore model. Outside the horizon counts as days off (so a run of shifts touching
    either end must still be long enough, and a run of days off touching an end may be short), as in the
    published model."""
    core = RosterCore()
    m = core.model
    for e, rules in inst.staff.items():
        off = inst.days_off.get(e, set())
        limits = rules["max_shifts"]
        for d in range(inst.days):
            if d in off:
                continue
            for t in inst.shifts:
                if limits.get(t, inst.days) > 0:  # type: ignore[union-attr]
                    core.allow(e, (d, t), day=d)
        by_day = {d: [(d, t) for t in inst.shifts] for d in range(inst.days)}
        # One shift a day: w[d] is the sum of the day's shifts (a boolean, so at most one).
        work = core.day_vars(e, by_day, inst.days, one_a_day=True)
        for t, (_minutes, forbidden) in inst.shifts.items():
            for nxt in forbidden:
                for d in range(inst.days - 1):
                    core.forbid_together(e, (d, t), (d + 1, nxt))
            xs = [core.x[(e, (d, t))] for d in range(inst.days) if (e, (d, t)) in core.x]
            if xs and limits.get(t, inst.days) < len(xs):  # type: ignore[union-attr]
                m.Add(sum(xs) <= limits[t])  # type: ignore[index]
        minutes = sum(
            inst.shifts[t][0] * core.x[(e, (d, t))]
            for d in range(inst.days)
            for t in inst.shifts
            if (e, (d, t)) in core.x
        )
        m.Add(minutes <= rules["max_minutes"])  # type: ignore[operator]
        m.Add(minutes >= rules["min_minutes"])  # type: ignore[operator]
        core.max_consecutive(work, int(rules["max_consecutive"]))  # type: ignore[arg-type]
        core.min_consecutive(work, int(rules["min_consecutive"]), before=0, after_free=False)  # type: ignore[arg-type]
        offs = [1 - w if isinstance(w, int) else w.Not() for w in work]
        core.min_consecutive(offs, int(rules["min_days_off"]), before=1, after_free=True)  # type: ignore[arg-type]
        weekends = [core.any_of(work[sat : sat + 2], f"weekend_{e}_{sat}") for sat in range(5, inst.days, 7)]
        m.Add(sum(weekends) <= rules["max_weekends"])  # type: ignore[operator]
    for e, d, t, w in inst.on_requests:
        var = core.x.get((e, (d, t)))
        core.penalise(1 - var if var is not None else 1, w)  # type: ignore[arg-type]
    for e, d, t, w in inst.off_requests:
        var = core.x.get((e, (d, t)))
        if var is not None:
            core.penalise(var, w)
    for d, t, need, under, over in inst.cover:
        core.cover((d, t), need, under, over)
    return core


def roster_of(inst: Instance, values: dict[tuple[object, object], int]) -> dict[str, dict[int, str]]:
    """A solver's answer as employee -> day -> shift."""
    out: dict[str, dict[int, str]] = {e: {} for e in inst.staff}
    for (e, (d, t)), v in values.items():  # type: ignore[misc]
        if v:
            out[e][d] = t  # type: ignore[index]
    return out


def evaluate(inst: Instance, roster: dict[str, dict[int, str]]) -> tuple[int, list[str]]:
    """The objective of a roster and the hard rules it breaks, worked out directly from the instance's rules
    (independently of the model), so the benchmark reports a checked figure."""
    broken: list[str] = []
    penalty = 0
    n = inst.days
    for e, rules in inst.staff.items():
        mine = roster.get(e, {})
        work = [d in mine for d in range(n)]
        for d in inst.days_off.get(e, set()):
            if work[d]:
                broken.append(f"{e} works on day off {d}")
        for d in range(n - 1):
            if work[d] and work[d + 1] and mine[d + 1] in inst.shifts[mine[d]][1]:
                broken.append(f"{e} {mine[d]} on {d} followed by {mine[d + 1]}")
        limits = rules["max_shifts"]
        for t in inst.shifts:
            count = sum(1 for v in mine.values() if v == t)
            if count > limits.get(t, n):  # type: ignore[union-attr]
                broken.append(f"{e} works {count} {t} shifts")
        minutes = sum(inst.shifts[t][0] for t in mine.values())
        if not rules["min_minutes"] <= minutes <= rules["max_minutes"]:  # type: ignore[operator]
            broken.append(f"{e} works {minutes} minutes")
        runs: list[tuple[bool, int, int]] = []  # (working, start, length)
        for d in range(n):
            if runs and runs[-1][0] == work[d]:
                kind, start, length = runs[-1]
                runs[-1] = (kind, start, length + 1)
            else:
                runs.append((work[d], d, 1))
        for kind, start, length in runs:
            if kind and length > rules["max_consecutive"]:  # type: ignore[operator]
                broken.append(f"{e} works {length} days in a row from {start}")
            if kind and length < rules["min_consecutive"]:  # type: ignore[operator]
                broken.append(f"{e} works only {length} days in a row from {start}")
            touches_edge = start == 0 or start + length == n
            if not kind and not touches_edge and length < rules["min_days_off"]:  # type: ignore[operator]
                broken.append(f"{e} has only {length} days off from {start}")
        weekends = sum(1 for sat in range(5, n, 7) if work[sat] or (sat + 1 < n and work[sat + 1]))
        if weekends > rules["max_weekends"]:  # type: ignore[operator]
            broken.append(f"{e} works {weekends} weekends")
    for e, d, t, w in inst.on_requests:
        if roster.get(e, {}).get(d) != t:
            penalty += w
    for e, d, t, w in inst.off_requests:
        if roster.get(e, {}).get(d) == t:
            penalty += w
    for d, t, need, under, over in inst.cover:
        have = sum(1 for e in inst.staff if roster.get(e, {}).get(d) == t)
        penalty += under * max(0, need - have) + over * max(0, have - need)
    return penalty, broken


def solve(number: int, seconds: float, workers: int | None = None) -> tuple[SolveOutcome, int]:
    inst = read_instance(number)
    core = build(inst)
    return core.solve(seconds, workers=workers), best_known()[inst.name]
