"""Indemnity benchmarks at benchmark scale (50 practices, 2,500 staff), each against a reference in the same run:

* the rota's gate: ``own_cover_gate`` for every member of staff on one day: target < 300 ms and <= 3x a raw sqlite3
  fetch of the same staff, role and cover rows (what the gate needs to read);
* the contract check: ``policy_held_throughout`` for employers' liability over the last year for every holder (the
  federation and 50 practices): target < 250 ms for all and <= 3x the same SELECTs run through the session (what
  is left is the day-by-day check and the reason in words);
* the Indemnity page's whole load (``load_indemnity``: policies, clinicians' cover, renewals, attention): target
  < 1.5 s and <= 5x a raw fetch of every row it reads (policies, covers, staff with roles, practices).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.bench.runner import Figure, median_time, scale_dataset, scenario

TODAY = date(2026, 11, 22)


def _open(path: Path) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(path, actor="bench").database


@scenario("indemnity-gate")
def gate(repeat: int) -> list[Figure]:
    from sqlalchemy import select

    from federation_desk.domain.staff import StaffMember
    from federation_desk.services.indemnity import own_cover_gate

    path = scale_dataset()
    database = _open(path)
    raw = sqlite3.connect(path)

    def raw_fetch() -> None:
        raw.execute(
            "SELECT s.id, s.version, s.given_name, s.family_name, s.preferred_name, r.name, r.is_clinical, "
            "s.employer_practice_id, s.leave_date FROM staff_member s JOIN role r ON r.id = s.role_id"
        ).fetchall()
        raw.execute("SELECT * FROM indemnity_cover").fetchall()

    with database.session() as session:
        ids = list(session.scalars(select(StaffMember.id)).all())
        result = own_cover_gate(session, ids, TODAY)
        lacking = sum(1 for v in result.values() if v)

        def run() -> None:
            own_cover_gate(session, ids, TODAY)

        ours = median_time(run, repeat)
        ref = median_time(raw_fetch, repeat)
    raw.close()
    database.dispose()
    return [
        Figure(
            f"own_cover_gate, {len(ids):,} staff ({lacking:,} lacking cover)",
            ours,
            "raw sqlite3 fetch of staff, roles and covers",
            ref,
            "< 300 ms and <= 3x",
        )
    ]


@scenario("indemnity-held-throughout")
def held_throughout(repeat: int) -> list[Figure]:
    from sqlalchemy import select

    from federation_desk.domain.indemnity import InsurancePolicy, PolicyType
    from federation_desk.domain.organisation import Practice
    from federation_desk.services.indemnity import policy_held_throughout

    path = scale_dataset()
    database = _open(path)
    start, end = date(2025, 12, 1), TODAY  # the last year, which the scale dataset's policies cover
    with database.session() as session:
        holders: list[int | None] = [None, *session.scalars(select(Practice.id)).all()]

        def run() -> int:
            return sum(
                not policy_held_throughout(
                    session, h, PolicyType.EMPLOYERS_LIABILITY, Decimal(5_000_000), start, end
                ).ok
                for h in holders
            )

        def fetch_only() -> None:
            for h in holders:
                holder = InsurancePolicy.holder_practice_id
                session.execute(
                    select(
                        InsurancePolicy.start_date,
                        InsurancePolicy.end_date,
                        InsurancePolicy.limit_of_indemnity,
                        InsurancePolicy.abuse_exclusion,
                    ).where(
                        holder.is_(None) if h is None else holder == h,
                        InsurancePolicy.policy_type == PolicyType.EMPLOYERS_LIABILITY,
                        InsurancePolicy.start_date <= end,
                        InsurancePolicy.end_date >= start,
                    )
                ).all()

        failing = run()
        ours = median_time(run, repeat)
        ref = median_time(fetch_only, repeat)
    database.dispose()
    return [
        Figure(
            f"policy_held_throughout x {len(holders)} holders, 1 year ({failing} not held)",
            ours,
            "the same policy SELECTs through the session",
            ref,
            "< 250 ms and <= 3x",
        )
    ]


@scenario("indemnity-page-load")
def page_load(repeat: int) -> list[Figure]:
    from federation_desk.services.indemnity import load_indemnity

    path = scale_dataset()
    database = _open(path)
    raw = sqlite3.connect(path)

    def raw_fetch() -> None:
        raw.execute("SELECT * FROM insurance_policy").fetchall()
        raw.execute("SELECT * FROM indemnity_cover").fetchall()
        raw.execute("SELECT * FROM staff_member s JOIN role r ON r.id = s.role_id").fetchall()
        raw.execute("SELECT id, name FROM practice").fetchall()

    with database.session() as session:
        data = load_indemnity(session, TODAY)

        def run() -> None:
            load_indemnity(session, TODAY)

        ours = median_time(run, repeat)
        ref = median_time(raw_fetch, repeat)
    raw.close()
    database.dispose()
    return [
        Figure(
            f"Indemnity page load: {len(data.policies):,} policies, {len(data.clinicians):,} clinicians, "
            f"{len(data.renewals):,} renewals",
            ours,
            "raw sqlite3 fetch of every row it reads",
            ref,
            "< 1.5 s and <= 5x",
        )
    ]
