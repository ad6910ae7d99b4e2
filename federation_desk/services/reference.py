"""Reference data shipped in resources/reference and loaded into editable tables on first run.

Each module registers a loader with :func:`reference_loader`; :func:`load_reference_data` runs those whose table is
still empty, so edits the federation made are never overwritten by an upgrade.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from federation_desk.domain.compliance import ComplianceItemType, RoleCheckRequirement, TrainingSubject
from federation_desk.domain.contracts import KpiTemplate
from federation_desk.domain.indemnity import Insurer, PolicyTypeInfo
from federation_desk.domain.rota import EnhancedAccessWindow, RotaParameter
from federation_desk.domain.staff import Regulator, Role
from federation_desk.domain.tenders import ProcurementProcess, ProcurementRegime
from federation_desk.paths import resource

Loader = Callable[[Session], int]
_LOADERS: list[tuple[int, str, Loader]] = []
# Modules whose import registers more loaders (training catalogue, Enhanced Access parameters ...).
MODULES_WITH_REFERENCE_DATA: tuple[str, ...] = (
    "federation_desk.services.tenders",
    "federation_desk.services.compliance",
    "federation_desk.services.contracts",
    "federation_desk.services.indemnity",
    "federation_desk.services.rota",
)


def reference_loader(order: int, name: str) -> Callable[[Loader], Loader]:
    def register(fn: Loader) -> Loader:
        if all(existing != name for _o, existing, _f in _LOADERS):
            _LOADERS.append((order, name, fn))
        _LOADERS.sort(key=lambda item: item[0])
        return fn

    return register


def read_reference(name: str) -> dict[str, Any]:
    with resource("reference", name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@reference_loader(10, "roles")
def load_roles(session: Session) -> int:
    if session.scalar(select(func.count(Role.id))):
        return 0
    data = read_reference("roles.json")
    for item in data["roles"]:
        session.add(
            Role(
                code=item["code"],
                name=item["name"],
                is_clinical=item["is_clinical"],
                regulator=Regulator(item["regulator"]),
                arrs=item["arrs"],
                sort_order=item["sort_order"],
                source=item["source"],
            )
        )
    session.flush()
    return len(data["roles"])


# Every table a loader fills when it is empty (a test checks this against what the loaders look at). When none is
# empty - every start but the first - one query says so, and the modules holding the loaders are not imported.
REFERENCE_TABLES: tuple[type[Any], ...] = (
    Role,
    TrainingSubject,
    ComplianceItemType,
    RoleCheckRequirement,
    PolicyTypeInfo,
    Insurer,
    RotaParameter,
    EnhancedAccessWindow,
    ProcurementRegime,
    ProcurementProcess,
    KpiTemplate,
)


def reference_tables_filled(session: Session) -> bool:
    """Whether every reference table holds at least one row (one query)."""
    probes = [select(literal(1)).select_from(m.__table__).limit(1).scalar_subquery() for m in REFERENCE_TABLES]
    row = session.execute(select(*probes)).one()
    return all(value is not None for value in row)


def load_reference_data(session: Session) -> dict[str, int]:
    """Fill empty reference tables; returns how many rows each loader added."""
    if reference_tables_filled(session):
        return {}
    _import_module_loaders()
    return {name: loader(session) for _order, name, loader in _LOADERS}


def _import_module_loaders() -> None:
    """Import the modules that register loaders. A module with reference data adds its name here."""
    import importlib

    for module in MODULES_WITH_REFERENCE_DATA:
        importlib.import_module(module)
