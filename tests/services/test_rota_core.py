"""The rostering solver core: the Curtois & Qu adapter on a small instance in the published format gives the same
optimum as trying every roster (this pins the rules at the horizon's ends), hints are completed into a starting
roster, and Cancel stops the search."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from federation_desk.errors import Cancelled
from federation_desk.services.progress import CancellableProgress
from federation_desk.services.rota_core import RosterCore
from tests.bench.curtois_nrp import Instance, build, evaluate, read_instance, roster_of

SMALL = """# a week, three people, early and late shifts; a late cannot be followed by an early. B is off on Saturday,
# so B may not work Sunday alone: a run of shifts touching the end of the horizon must still be two long.
SECTION_HORIZON
7

SECTION_SHIFTS
E,480,
L,480,E

SECTION_STAFF
A,E=7|L=7,2400,960,3,2,2,1
B,E=7|L=0,2400,960,3,2,2,1
C,E=7|L=7,1920,960,4,2,1,1

SECTION_DAYS_OFF
A,3
B,5
C,0,4

SECTION_SHIFT_ON_REQUESTS
A,0,L,3
B,6,E,2
C,1,E,1

SECTION_SHIFT_OFF_REQUESTS
C,2,L,2
A,5,E,1

SECTION_COVER
0,E,1,100,1
0,L,1,100,1
1,E,1,100,1
1,L,1,100,1
2,E,1,100,1
2,L,1,100,1
3,E,1,100,1
3,L,1,100,1
4,E,1,100,1
4,L,1,100,1
5,E,1,100,1
5,L,0,100,1
6,E,2,100,1
6,L,0,100,1
"""


def _instance(tmp_path: Path) -> Instance:
    (tmp_path / "Instance99.txt").write_text(SMALL)
    return read_instance(99, tmp_path)


def test_the_curtois_adapter_finds_the_optimum_found_by_trying_every_roster(tmp_path: Path) -> None:
    inst = _instance(tmp_path)
    # Every schedule each person may work on their own (the hard rules are per person), then every combination.
    choices = [None, *inst.shifts]
    feasible: dict[str, list[dict[int, str]]] = {}
    for e in inst.staff:
        feasible[e] = []
        for days in itertools.product(choices, repeat=inst.days):
            mine = {d: t for d, t in enumerate(days) if t is not None}
            _penalty, broken = evaluate(inst, {e: mine})
            if not [b for b in broken if b.startswith(f"{e} ")]:
                feasible[e].append(mine)
    assert all(feasible.values())
    # Score every combination quickly: requests are per person, cover adds up the people on each shift.
    staff = list(inst.staff)
    requests = {
        e: [
            sum(w for who, d, t, w in inst.on_requests if who == e and mine.get(d) != t)
            + sum(w for who, d, t, w in inst.off_requests if who == e and mine.get(d) == t)
            for mine in feasible[e]
        ]
        for e in staff
    }
    best: int | None = None
    for combo in itertools.product(*(range(len(feasible[e])) for e in staff)):
        score = sum(requests[e][i] for e, i in zip(staff, combo))
        for d, t, need, under, over in inst.cover:
            have = sum(1 for e, i in zip(staff, combo) if feasible[e][i].get(d) == t)
            score += under * max(0, need - have) + over * max(0, have - need)
        best = score if best is None else min(best, score)
    core = build(inst)
    outcome = core.solve(20, workers=2, lns=False)
    assert outcome.status == "OPTIMAL"
    penalty, broken = evaluate(inst, roster_of(inst, outcome.values))
    assert not broken and penalty == best == outcome.objective


def test_strong_lp_finds_the_same_optimum_and_snapshots_keep_the_best_roster_at_a_time(tmp_path: Path) -> None:
    inst = _instance(tmp_path)
    plain = build(inst).solve(20, workers=2, lns=False)
    core = build(inst)
    core.strong_lp = True  # the full search on CP-SAT's max_lp subsolver
    outcome = core.solve(20, workers=2, lns=False, snapshot_at=(1000.0,))
    assert outcome.status == plain.status == "OPTIMAL" and outcome.objective == plain.objective
    # The roster kept for a time after the end is the final one, and it scores what the solver says it does.
    assert outcome.values_at(1000.0) == outcome.values and outcome.values_at(5.0) is None
    penalty, broken = evaluate(inst, roster_of(inst, outcome.values_at(1000.0) or {}))
    assert not broken and penalty == outcome.objective


def test_a_complete_hint_is_the_starting_roster_and_lns_never_makes_it_worse() -> None:
    core = RosterCore()
    people, days = range(6), range(14)
    for p in people:
        for d in days:
            core.allow(p, d, cost=(p * 7 + d * 3) % 5, day=d)
        core.model.Add(sum(core.x[(p, d)] for d in days) <= 8)
    for d in days:
        core.cover(d, 3, 100, 10)
    hint = {(p, d): 1 if (p + d) % 2 == 0 else 0 for p in people for d in days}
    for (p, d), v in hint.items():
        core.add_hint(p, d, v)
    outcome = core.solve(4, workers=2, first_phase=0.5)
    assert outcome.trace and outcome.trace[0][0] < 1.0
    objectives = [obj for _t, obj in outcome.trace]
    assert objectives == sorted(objectives, reverse=True)  # each recorded roster improves on the one before
    assert outcome.objective == objectives[-1] and outcome.values


def test_cancel_stops_the_search() -> None:
    core = RosterCore()
    for p in range(5):
        for d in range(7):
            core.allow(p, d, day=d)
    for d in range(7):
        core.cover(d, 2, 100)
    progress = CancellableProgress()
    progress.cancel()
    outcome = core.solve(5, progress, workers=1)
    assert outcome.cancelled and not outcome.values
    with pytest.raises(Cancelled):
        progress.update(0)
