"""The rostering solver core: a CP-SAT model of people x shifts with the usual rostering constraints, solved by a
short full search followed by large-neighbourhood search (LNS).

The core knows nothing about the rota's tables. A *person* and a *shift* are any hashable keys; ``x[person, shift]``
is 1 when the person works the shift. Shifts may carry a day number, so the search can free whole stretches of
days as well as whole people. The rota's auto-fill (:mod:`federation_desk.services.rota_solver`) and the Curtois &
Qu benchmark adapter (``tests/bench/curtois_nrp.py``) both build on it.

Why LNS: on two cores CP-SAT's portfolio has room for one or two subsolvers, and a full search on a roster of a few
thousand booleans improves slowly after its first solutions. Freeing a few people (or a few days) at a time around
the best roster so far and solving that small problem exactly -- with the best roster as a complete hint, so a
step never makes things worse -- finds much better rosters in the same time. The neighbourhood grows when its
problems are solved to optimality quickly and shrinks when they are not.

Where the linear relaxation of the whole model is strong (the Curtois & Qu instances), ``strong_lp`` puts the full
search's one thread on CP-SAT's max_lp subsolver when there are two workers or fewer. ``snapshot_at`` keeps the best
roster at given times, so a caller can score it independently of the solver's objective.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time as _time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from federation_desk.errors import Cancelled
from federation_desk.services.progress import NullProgress, Progress

Key = Hashable


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@dataclass
class SolveOutcome:
    status: str  # "OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"
    objective: float | None
    bound: float | None
    seconds: float
    values: dict[tuple[Key, Key], int]
    trace: list[tuple[float, float]] = field(default_factory=list)  # (seconds since the start, objective)
    cancelled: bool = False
    lns_steps: int = 0
    lns_improvements: int = 0
    workers: int = 1
    snapshots: dict[float, dict[tuple[Key, Key], int]] = field(default_factory=dict)

    def objective_at(self, seconds: float) -> float | None:
        """The best objective found within ``seconds`` of the start."""
        return min((obj for t, obj in self.trace if t <= seconds), default=None)

    def values_at(self, seconds: float) -> dict[tuple[Key, Key], int] | None:
        """The best roster found within ``seconds`` of the start, for a time given to :meth:`RosterCore.solve`
        as ``snapshot_at`` (None if there was none by then)."""
        return self.snapshots.get(seconds)


def _negate(v: cp_model.IntVar | int) -> object:
    """The negation of a literal or a 0/1 constant (True for a negated 0, False for a negated 1)."""
    if isinstance(v, int):
        return v == 0
    return v.Not()


class _Recorder(cp_model.CpSolverSolutionCallback):
    """Records each improving solution of a full search (time, objective), reports progress, honours Cancel."""

    def __init__(self, core: RosterCore, started: float) -> None:
        super().__init__()
        self.core = core
        self.started = started
        self.cancelled = False

    def on_solution_callback(self) -> None:
        xs = self.core._x_vars
        self.core._note(self.ObjectiveValue(), lambda: [int(self.Value(v)) for v in xs])
        if self.core._poll_cancel():
            self.cancelled = True
            self.StopSearch()


class RosterCore:
    """A CP-SAT roster: boolean ``x[person, shift]`` plus rostering constraints, minimising weighted penalties."""

    def __init__(self) -> None:
        self.model = cp_model.CpModel()
        self.x: dict[tuple[Key, Key], cp_model.IntVar] = {}
        self.by_person: dict[Key, list[Key]] = defaultdict(list)
        self.by_shift: dict[Key, list[Key]] = defaultdict(list)
        self.day_of: dict[Key, int] = {}
        self.terms: list[tuple[cp_model.LinearExprT, int]] = []
        self.constant = 0
        self.shortfalls: dict[Key, cp_model.IntVar] = {}  # cover shortfall per shift (for targeted LNS)
        self.excesses: dict[Key, cp_model.IntVar] = {}
        self._hint: dict[tuple[Key, Key], int] = {}
        # search state
        self._lock = threading.Lock()
        self._started = 0.0
        self._trace: list[tuple[float, float]] = []
        self._best: float | None = None
        self._progress: Progress = NullProgress()
        self._limit = 0.0
        self._cancelled = False
        self._snap_at: tuple[float, ...] = ()
        self._snaps: dict[float, list[int]] = {}
        self._x_vars: list[cp_model.IntVar] = []
        self.step_seconds = 0.3  # time limit of one LNS step (a neighbourhood's search)
        self.start_fraction: float | None = None  # share of the variables an LNS step frees at first
        self.min_fraction = 0.02
        self.kinds: tuple[str, ...] = ("people", "people", "days", "people-days")
        self.step_dtime: float | None = None  # a deterministic limit per LNS step as well (steady under load)
        # With few workers, make the full search's one thread CP-SAT's max_lp subsolver (every constraint in the
        # LP, with cuts) instead of default_lp, whose LP leaves the clauses out. Worth it where the linear
        # relaxation of the whole model is close to the optimum (the Curtois & Qu instances: default_lp bounds
        # instance 7 at 27, max_lp at about 1,045 of 1,056), so the search is guided and pruned by it.
        self.strong_lp = False

    # ---- building -------------------------------------------------------------------------------------------
    def allow(self, person: Key, shift: Key, cost: int = 0, day: int | None = None) -> cp_model.IntVar:
        var = self.model.NewBoolVar(f"x_{person}_{shift}")
        self.x[(person, shift)] = var
        self.by_person[person].append(shift)
        self.by_shift[shift].append(person)
        if day is not None:
            self.day_of[shift] = day
        if cost:
            self.terms.append((var, cost))
        return var

    def penalise(self, expr: cp_model.LinearExprT | int, weight: int) -> None:
        if isinstance(expr, int):
            self.constant += expr * weight
        else:
            self.terms.append((expr, weight))

    def cover(self, shift: Key, need: int, under_weight: int | None, over_weight: int | None = None) -> None:
        """``need`` people on ``shift``: shortfall and excess cost their weights (None: not allowed)."""
        people = [self.x[(p, shift)] for p in self.by_shift.get(shift, [])]
        if not people:
            if under_weight is None and need > 0:
                self.model.AddBoolOr([])  # infeasible: nobody can work a shift that must be covered
            elif need > 0:
                self.constant += need * under_weight
            return
        total = sum(people)
        if under_weight is None:
            self.model.Add(total >= need)
        elif need > 0:
            under = self.model.NewIntVar(0, need, f"under_{shift}")
            self.model.Add(total + under >= need)
            self.penalise(under, under_weight)
            self.shortfalls[shift] = under
        if over_weight is None:
            self.model.Add(total <= need)
        elif len(people) > need:
            over = self.model.NewIntVar(0, len(people) - need, f"over_{shift}")
            self.model.Add(total - over <= need)
            self.penalise(over, over_weight)
            self.excesses[shift] = over

    def at_most_one(self, person: Key, shifts: Iterable[Key]) -> None:
        vars_ = [self.x[(person, s)] for s in shifts if (person, s) in self.x]
        if len(vars_) > 1:
            self.model.AddAtMostOne(vars_)

    def forbid_together(self, person: Key, a: Key, b: Key, weight: int | None = None) -> None:
        xa, xb = self.x.get((person, a)), self.x.get((person, b))
        if xa is None or xb is None:
            return
        if weight is None:
            self.model.AddBoolOr([xa.Not(), xb.Not()])
        else:
            both = self.model.NewBoolVar(f"both_{person}_{a}_{b}")
            self.model.AddBoolOr([xa.Not(), xb.Not(), both])
            self.penalise(both, weight)

    def day_vars(
        self, person: Key, shifts_by_day: dict[int, list[Key]], days: int, one_a_day: bool = False
    ) -> list[cp_model.IntVar | int]:
        """w[d] = the person works on day d (at least one of that day's shifts). With ``one_a_day`` the person
        works at most one shift a day and w[d] is their plain sum (a linear link the LP and local search use)."""
        out: list[cp_model.IntVar | int] = []
        for d in range(days):
            vars_ = [self.x[(person, s)] for s in shifts_by_day.get(d, []) if (person, s) in self.x]
            if not vars_:
                out.append(0)
                continue
            if len(vars_) == 1:
                out.append(vars_[0])
                continue
            w = self.model.NewBoolVar(f"w_{person}_{d}")
            if one_a_day:
                self.model.Add(w == sum(vars_))
            else:
                self.model.AddMaxEquality(w, vars_)
            out.append(w)
        return out

    def any_of(self, literals: Sequence[cp_model.IntVar | int], name: str = "") -> cp_model.IntVar | int:
        """A boolean equal to the OR of ``literals`` (as linear inequalities)."""
        fixed = [v for v in literals if isinstance(v, int)]
        lits = [v for v in literals if not isinstance(v, int)]
        if any(fixed):
            return 1
        if not lits:
            return 0
        if len(lits) == 1:
            return lits[0]
        y = self.model.NewBoolVar(name)
        for v in lits:
            self.model.Add(y >= v)
        self.model.Add(y <= sum(lits))
        return y

    def max_consecutive(self, work: Sequence[cp_model.IntVar | int], k: int, weight: int | None = None) -> None:
        """No more than ``k`` 1s in a row (hard, or each excess window costs ``weight``)."""
        for start in range(0, len(work) - k):
            window = list(work[start : start + k + 1])
            fixed = sum(w for w in window if isinstance(w, int))
            lits = [w for w in window if not isinstance(w, int)]
            if fixed + len(lits) <= k:
                continue
            if weight is None:
                self.model.Add(sum(lits) <= k - fixed)
            else:
                excess = self.model.NewBoolVar("")
                self.model.Add(sum(lits) <= k - fixed + excess)
                self.penalise(excess, weight)

    def min_consecutive(
        self, work: Sequence[cp_model.IntVar | int], k: int, before: int = 0, after_free: bool = True
    ) -> None:
        """Every run of 1s in ``work`` is at least ``k`` long. ``before``: a run touching the start of the horizon
        may be shorter (it continues from before); ``after_free``: so may a run touching the end."""
        n = len(work)
        for length in range(1, k):
            for start in range(0, n - length + 1):
                end = start + length
                if end >= n and after_free:
                    continue
                # Forbid the pattern 0 1..1 0 (a run of ``length``): one of these must hold.
                lits: list[object] = []
                if start > 0:
                    lits.append(work[start - 1])
                elif before:
                    continue
                lits.extend(_negate(w) for w in work[start:end])
                if end < n:
                    lits.append(work[end])
                if any(v is True or (isinstance(v, int) and not isinstance(v, bool) and v == 1) for v in lits):
                    continue  # satisfied whatever happens
                clause = [v for v in lits if not isinstance(v, int | bool)]
                self.model.AddBoolOr(clause)  # type: ignore[arg-type]

    def add_hint(self, person: Key, shift: Key, value: int) -> None:
        if (person, shift) in self.x:
            self._hint[(person, shift)] = value

    # ---- solving --------------------------------------------------------------------------------------------
    def _note(self, objective: float, x_values: Callable[[], list[int]] | None) -> bool:
        """Record a solution if it improves the best; returns whether it did. ``x_values`` gives the roster (the
        values of ``x`` in insertion order), kept for the ``snapshot_at`` times it is the best roster at."""
        with self._lock:
            if self._best is not None and objective >= self._best - 1e-9:
                return False
            self._best = objective
            elapsed = _time.perf_counter() - self._started
            self._trace.append((elapsed, objective))
            due = [t for t in self._snap_at if elapsed <= t]
            if due and x_values is not None:
                values = x_values()
                for t in due:
                    self._snaps[t] = values
        return True

    def _poll_cancel(self) -> bool:
        if self._cancelled:
            return True
        elapsed = _time.perf_counter() - self._started
        best = f", score {self._best:,.0f}" if self._best is not None else ""
        try:
            self._progress.update(
                min(int(elapsed * 10), int(self._limit * 10)),
                int(self._limit * 10),
                f"Searching{best} ...",
            )
        except Cancelled:
            self._cancelled = True
        return self._cancelled

    def solve(
        self,
        seconds: float,
        progress: Progress | None = None,
        workers: int | None = None,
        lns: bool = True,
        seed: int = 1,
        first_phase: float | None = None,
        stall: float | None = None,
        snapshot_at: Sequence[float] = (),
    ) -> SolveOutcome:
        """Search for ``seconds``: a full CP-SAT search first (until it has a solution and ``first_phase``
        seconds have passed, or it proves optimality), then LNS around the best roster on ``workers`` threads
        (stopping early after ``stall`` seconds without an improvement, when given).

        A hint for every ``x`` (:meth:`add_hint`) is completed first -- the other variables solved with ``x``
        fixed -- so the search starts from that roster. ``snapshot_at``: times (seconds from the start) at which
        to keep the best roster so far (:meth:`SolveOutcome.values_at`), so a caller can check it independently."""
        self._progress = progress or NullProgress()
        self._limit = seconds
        self._started = _time.perf_counter()
        self._trace, self._best, self._cancelled = [], None, False
        self._snap_at, self._snaps = tuple(snapshot_at), {}
        self._x_vars = list(self.x.values())
        workers = workers or default_workers()
        deadline = self._started + seconds
        if self.terms:
            self.model.Minimize(sum(w * e for e, w in self.terms) + self.constant)
        model = self.model
        model.ClearHints()
        keys = list(self.x)
        indices = [self.x[k].Index() for k in keys]
        start_from: list[int] | None = None
        if self._hint and len(self._hint) == len(self.x):
            start_from = self._complete([self._hint[k] for k in keys], indices, deadline, seed)
        if start_from is not None:
            model.Proto().solution_hint.vars.extend(range(len(start_from)))
            model.Proto().solution_hint.values.extend(start_from)
        else:
            for (p, s), value in self._hint.items():
                model.AddHint(self.x[(p, s)], value)

        # Phase 1: a full search, to a first solution (and optimality when the model is small).
        first = first_phase if first_phase is not None else min(max(0.15 * seconds, 1.0), 8.0)
        if not lns:
            first = seconds
        incumbent: list[int] | None = start_from
        status_name, bound = ("FEASIBLE" if start_from is not None else "UNKNOWN"), None
        while True:
            remaining = deadline - _time.perf_counter()
            if remaining <= 0.05:
                break
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = min(first, remaining) if incumbent is None or lns else remaining
            solver.parameters.num_workers = workers
            solver.parameters.random_seed = seed
            if self.strong_lp and workers <= 2:
                solver.parameters.subsolvers.append("max_lp")
            recorder = _Recorder(self, self._started)
            status = solver.Solve(model, recorder)
            if recorder.cancelled or self._cancelled:
                self._cancelled = True
                break
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                objective = solver.ObjectiveValue()
                if incumbent is None or self._best is None or objective <= self._best + 1e-9:
                    incumbent = list(solver.ResponseProto().solution)  # (with a complete hint, never worse)
                self._note(objective, None)
                status_name = solver.StatusName(status)
                bound = solver.BestObjectiveBound()
                break
            if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
                status_name = solver.StatusName(status)
                break
            if incumbent is not None:
                break  # the completed hint stands; LNS improves it
            first = remaining  # no solution yet: keep searching with all the time left
        steps = improvements = 0
        if (
            lns
            and incumbent is not None
            and status_name == "FEASIBLE"
            and not self._cancelled
            and deadline - _time.perf_counter() > 0.2
        ):
            incumbent, steps, improvements = self._lns(incumbent, keys, indices, deadline, workers, seed, stall)
        if self._cancelled:
            return SolveOutcome(
                "CANCELLED", None, None, _time.perf_counter() - self._started, {}, self._trace, True, workers=workers
            )
        values: dict[tuple[Key, Key], int] = {}
        objective_value: float | None = None
        if incumbent is not None:
            values = {k: int(incumbent[i]) for k, i in zip(keys, indices)}
            objective_value = self._best
        return SolveOutcome(
            status_name,
            objective_value,
            bound,
            _time.perf_counter() - self._started,
            values,
            list(self._trace),
            False,
            steps,
            improvements,
            workers,
            {t: dict(zip(keys, values)) for t, values in self._snaps.items()},
        )

    def _complete(self, x_values: list[int], indices: list[int], deadline: float, seed: int) -> list[int] | None:
        """A whole solution with ``x`` as given (the other variables solved for), or None if it is infeasible."""
        model = self.model.Clone()
        variables = model.Proto().variables
        for i, value in zip(indices, x_values):
            domain = variables[i].domain
            domain[0], domain[1] = value, value
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, min(5.0, deadline - _time.perf_counter()))
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        status = solver.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        solution = list(solver.ResponseProto().solution)
        self._note(solver.ObjectiveValue(), lambda: [solution[i] for i in indices])
        return solution

    def _lns(
        self,
        incumbent: list[int],
        keys: list[tuple[Key, Key]],
        indices: list[int],
        deadline: float,
        workers: int,
        seed: int,
        stall: float | None = None,
    ) -> tuple[list[int], int, int]:
        """Large-neighbourhood search on ``workers`` threads, each with its own copy of the model whose
        domains it fixes to the best roster except for the freed part."""
        persons = list(self.by_person)
        by_person_idx: dict[Key, list[int]] = defaultdict(list)
        by_day_idx: dict[int, list[int]] = defaultdict(list)
        for n, (p, s) in enumerate(keys):
            by_person_idx[p].append(n)
            day = self.day_of.get(s)
            if day is not None:
                by_day_idx[day].append(n)
        days = sorted(by_day_idx)
        state = {
            "best": list(incumbent),
            "objective": self._best if self._best is not None else math.inf,
            "steps": 0,
            "improvements": 0,
            "fraction": self.start_fraction or (0.12 if len(keys) > 2000 else 0.3),
            "improved_at": _time.perf_counter(),
        }
        lock = threading.Lock()

        cover_days = [
            (var.Index(), self.day_of[shift])
            for table in (self.shortfalls, self.excesses)
            for shift, var in table.items()
            if shift in self.day_of
        ]

        def neighbourhood(rng: random.Random, fraction: float, best: list[int]) -> set[int]:
            """Indices (into keys) to free: some people, some days, some people over some days, or the days
            around a shift that is short or over-staffed in the best roster ("hot")."""
            kinds = list(self.kinds) if days else ["people"]
            kind = rng.choice(kinds)
            free: set[int] = set()
            if kind in ("hot", "hot-people"):
                hot = [d for i, d in cover_days if best[i] > 0]
                if not hot:
                    kind = "days"
                else:
                    centre = rng.choice(hot)
                    share = fraction if kind == "hot" else math.sqrt(fraction)
                    span = max(2, min(len(days), round(share * len(days))))
                    first = max(days[0], min(centre - rng.randrange(0, span), days[-1] - span + 1))
                    window = set(range(first, first + span))
                    if kind == "hot":
                        for d in window:
                            free.update(by_day_idx.get(d, ()))
                        return free
                    count = max(1, min(len(persons), round(share * len(persons))))
                    chosen = set(rng.sample(persons, count))
                    for n, (p, s) in enumerate(keys):
                        if p in chosen and self.day_of.get(s) in window:
                            free.add(n)
                    return free
            if kind == "people" or len(days) < 4:
                count = max(1, min(len(persons), round(fraction * len(persons))))
                for p in rng.sample(persons, count):
                    free.update(by_person_idx[p])
            elif kind == "days":
                span = max(1, min(len(days), round(fraction * len(days))))
                first = rng.randrange(0, len(days) - span + 1)
                for d in days[first : first + span]:
                    free.update(by_day_idx[d])
            else:
                share = math.sqrt(fraction)
                count = max(1, min(len(persons), round(share * len(persons))))
                span = max(2, min(len(days), round(share * len(days))))
                first = rng.randrange(0, len(days) - span + 1)
                chosen = set(rng.sample(persons, count))
                window = set(days[first : first + span])
                for n, (p, s) in enumerate(keys):
                    if p in chosen and self.day_of.get(s) in window:
                        free.add(n)
            return free

        def worker(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            model = self.model.Clone()
            proto = model.Proto()
            variables = proto.variables
            fixed_to: list[int] = [-1] * len(keys)  # -1 free (domain 0..1), else the fixed value
            while True:
                now = _time.perf_counter()
                if now >= deadline - 0.05 or self._cancelled:
                    return
                if stall is not None and now - float(state["improved_at"]) > stall:
                    return
                if number == 0 and self._poll_cancel():
                    return
                with lock:
                    best = state["best"]
                    best_objective = state["objective"]
                    fraction = state["fraction"]
                free = neighbourhood(rng, fraction, best)
                for n, i in enumerate(indices):
                    want = -1 if n in free else best[i]
                    if fixed_to[n] != want:
                        domain = variables[i].domain
                        if want == -1:
                            domain[0], domain[1] = 0, 1
                        else:
                            domain[0], domain[1] = want, want
                        fixed_to[n] = want
                proto.clear_solution_hint()
                proto.solution_hint.vars.extend(range(len(best)))
                proto.solution_hint.values.extend(best)
                solver = cp_model.CpSolver()
                limit = min(deadline - _time.perf_counter(), self.step_seconds * (0.75 + 0.5 * rng.random()))
                if limit <= 0.05:
                    return
                solver.parameters.max_time_in_seconds = limit
                if self.step_dtime:
                    solver.parameters.max_deterministic_time = self.step_dtime
                solver.parameters.num_workers = 1
                solver.parameters.random_seed = rng.randrange(1 << 30)
                status = solver.Solve(model)
                with lock:
                    state["steps"] += 1
                    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                        objective = solver.ObjectiveValue()
                        if objective < state["objective"] - 1e-9:
                            found = list(solver.ResponseProto().solution)
                            state["best"] = found
                            state["objective"] = objective
                            state["improvements"] += 1
                            state["improved_at"] = _time.perf_counter()
                            self._note(objective, lambda sol=found: [sol[i] for i in indices])
                        elif objective <= state["objective"] + 1e-9 and best_objective == state["objective"]:
                            state["best"] = list(solver.ResponseProto().solution)  # a sideways move
                    if status == cp_model.OPTIMAL:
                        state["fraction"] = min(0.9, state["fraction"] * 1.1)
                    else:
                        state["fraction"] = max(self.min_fraction, state["fraction"] * 0.93)

        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(max(1, workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return state["best"], int(state["steps"]), int(state["improvements"])
