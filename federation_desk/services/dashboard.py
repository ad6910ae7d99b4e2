"""The dashboard's "needs attention" cards. Each module registers a provider; the dashboard shows them all.

A provider is ``fn(session, today) -> DashboardCard | None`` registered with :func:`dashboard_card`; return None
when the module has nothing to say (no data yet).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation_desk.domain.audit import AuditEntry
from federation_desk.services.organisation import organisation_summary
from federation_desk.services.progress import NullProgress, Progress


class Severity(enum.Enum):
    GOOD = "good"
    INFO = "info"
    WARNING = "warning"
    DANGER = "danger"


@dataclass(frozen=True)
class DashboardCard:
    key: str
    title: str
    headline: str
    details: tuple[str, ...] = ()
    severity: Severity = Severity.INFO
    page: str = "dashboard"  # the page the card opens
    order: int = 100


Provider = Callable[[Session, date], DashboardCard | None]
_PROVIDERS: dict[str, tuple[int, Provider]] = {}
# Modules whose import registers more cards; a module adds its name here when it lands.
MODULES_WITH_CARDS: tuple[str, ...] = (
    "federation_desk.services.compliance",
    "federation_desk.services.contract_evaluators",
    "federation_desk.services.tenders",
    "federation_desk.services.indemnity",
    "federation_desk.services.rota",
)


def dashboard_card(order: int, key: str) -> Callable[[Provider], Provider]:
    def register(fn: Provider) -> Provider:
        _PROVIDERS[key] = (order, fn)
        return fn

    return register


def collect_cards(session: Session, today: date, progress: Progress | None = None) -> list[DashboardCard]:
    progress = progress or NullProgress()
    for module in MODULES_WITH_CARDS:
        importlib.import_module(module)
    providers = sorted(_PROVIDERS.items(), key=lambda item: item[1][0])
    cards: list[DashboardCard] = []
    for done, (_key, (_order, provider)) in enumerate(providers):
        progress.update(done, len(providers), "Checking what needs attention ...")
        card = provider(session, today)
        if card is not None:
            cards.append(card)
    return sorted(cards, key=lambda c: c.order)


@dashboard_card(10, "organisation")
def organisation_card(session: Session, today: date) -> DashboardCard | None:
    s = organisation_summary(session)
    if s.practices == 0:
        return DashboardCard(
            "organisation",
            "Organisation",
            "No practices yet",
            ("Add your member practices on the Organisation page.",),
            Severity.WARNING,
            "organisation",
            10,
        )
    details = [
        f"{s.list_size:,} registered patients; {s.adjusted_population:,} adjusted population",
        f"{s.sites} sites, {s.hubs} of them hubs",
    ]
    severity = Severity.GOOD
    if s.practices_missing_population:
        names = ", ".join(s.practices_missing_population[:3])
        more = len(s.practices_missing_population) - 3
        details.append(
            f"No adjusted population for {names}{f' and {more} more' if more > 0 else ''}: Enhanced Access "
            "targets cannot be worked out for them."
        )
        severity = Severity.WARNING
    return DashboardCard(
        "organisation",
        s.federation_name or "Organisation",
        f"{s.practices} practices in {s.pcns} PCN{'s' if s.pcns != 1 else ''}",
        tuple(details),
        severity,
        "organisation",
        10,
    )


@dashboard_card(900, "activity")
def activity_card(session: Session, today: date) -> DashboardCard | None:
    since = datetime.now(UTC) - timedelta(days=7)
    rows = session.execute(
        select(AuditEntry.actor, func.count(AuditEntry.id))
        .where(AuditEntry.at >= since)
        .group_by(AuditEntry.actor)
        .order_by(func.count(AuditEntry.id).desc())
    ).all()
    total = sum(n for _a, n in rows)
    if not total:
        return DashboardCard(
            "activity", "Recent changes", "No changes in the last 7 days", (), Severity.INFO, "dashboard", 900
        )
    top = ", ".join(f"{actor} ({n:,})" for actor, n in rows[:3])
    return DashboardCard(
        "activity",
        "Recent changes",
        f"{total:,} changes in the last 7 days",
        (f"By {top}",),
        Severity.INFO,
        "dashboard",
        900,
    )
