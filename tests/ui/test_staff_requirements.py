"""The requirements editor: lead times, refresher periods and role training changed through the dialog, refused
when not a number, marked as local policy, and picked up by the compliance engine at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from federation_desk.domain.compliance import ComplianceItemType, ItemKind, RoleTrainingRequirement, TrainingLevel
from federation_desk.services import compliance as comp
from federation_desk.ui.dialogs.staff_requirements import RequirementsDialog
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle


def test_edit_lead_times_refreshers_and_role_training(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    window.show_page("staff")
    wait_idle(qtbot, window)
    dialog = RequirementsDialog(window.ctx, window.pages["staff"])
    qtbot.addWidget(dialog)
    dialog.show()
    job = dialog.load()
    qtbot.waitUntil(lambda: job.done and dialog.settings is not None, timeout=20_000)
    kinds = [r.kind for r in dialog.type_model.all_rows]
    assert kinds[0] is ItemKind.REGISTRATION and len(kinds) == len(ItemKind)
    screenshot(dialog, "staff-requirements")
    # Training's lead time: 30 -> 45 days.
    dialog.type_table.select_where(lambda r: r.kind is ItemKind.TRAINING)
    assert dialog.lead.text() == "30"
    dialog.lead.setText("45")
    job = dialog.save_type()
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    wait_idle(qtbot, window)
    # A refresher period that is not a number is refused with the reason, and nothing changes.
    dialog.tabs.setCurrentIndex(1)
    dialog.level_table.select_where(lambda r: r.subject == "Fire Safety")
    assert dialog.refresher.text() == "24"
    dialog.refresher.setText("two years")
    job = dialog.save_level()
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert "whole number from 1 to 120, not 'two years'" in dialog.level_problem.text()
    dialog.level_table.select_where(lambda r: r.subject == "Fire Safety")
    dialog.refresher.setText("12")
    job = dialog.save_level()
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    wait_idle(qtbot, window)
    # GPs now need sepsis awareness.
    dialog.tabs.setCurrentIndex(2)
    dialog.role.setCurrentIndex(dialog.role.findText("GP"))
    sepsis = next(
        sid for sid, combo in dialog.role_combos.items() if combo.accessibleName() == "Level of Sepsis Awareness needed"
    )
    dialog.role_combos[sepsis].setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.role_combos[sepsis].isVisible(), timeout=5_000)
    screenshot(dialog, "staff-requirements-role")
    job = dialog.save_role()
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    wait_idle(qtbot, window)
    with window.ctx.database.session() as s:
        training = s.scalar(select(ComplianceItemType).where(ComplianceItemType.kind == ItemKind.TRAINING))
        assert training.lead_days == 45 and training.source == comp.LOCAL_POLICY
        catalogue = comp.load_catalogue(s)
        fire = next(x for x in catalogue.subjects.values() if x.code == "fire_safety")
        assert fire.refresher(1) == 12
        gp = next(r.id for r in catalogue.roles.values() if r.code == "gp")
        assert sepsis in catalogue.training_by_role[gp]
        level = s.scalars(select(TrainingLevel).where(TrainingLevel.subject_id == fire.id)).one()
        assert level.source == comp.LOCAL_POLICY
        assert (
            s.scalar(
                select(RoleTrainingRequirement.source).where(
                    RoleTrainingRequirement.subject_id == sepsis, RoleTrainingRequirement.role_id == gp
                )
            )
            == comp.LOCAL_POLICY
        )
    dialog.reject()
