"""The contract compliance report (PDF): for one contract and reporting period.

Cover with the overall red/amber/green; contents; a summary page with the RAG of every obligation and a chart of
the RAG mix over the last five periods; the KPI table with the previous four periods as a trend and a trend chart
per obligation; the exceptions (the records behind every red or amber); an evidence appendix saying how each
figure was measured and from what; a sign-off block.

Anonymised, no staff member's name is printed anywhere: the people behind an exception are shown by role and
practice ("this person" in their own row), and any staff name typed into free text (KPI notes, obligation
descriptions, contract fields, evidence) reads "[name withheld]" (``services.anonymise``).

It uses the shared report blocks (``reports.templates``, ``flowables``, ``tables``, ``styles``): the same Unicode
font, escaping, page template, "page x of y", contents and outline as every other report. The file is written
atomically, and each produced report is recorded (who, when, period, SHA-256) with a trace code printed on every
page, so a printed copy can be traced to its record.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from federation_desk.domain.contracts import Rag
from federation_desk.reports.charts import rag_history_chart, trend_chart
from federation_desk.reports.flowables import Heading, escape, markup_paragraph, safe_paragraph
from federation_desk.reports.styles import BRAND, RAG_COLOURS, RAG_TEXT, RULE, ZEBRA
from federation_desk.reports.tables import ColumnSpec, build_table, cell, key_value_table
from federation_desk.reports.templates import (
    ReportDocument,
    ReportInfo,
    generated_line,
    start_body,
    write_pdf_atomically,
)
from federation_desk.services.anonymise import NAME_WITHHELD, scrub_strings, staff_name_scrubber
from federation_desk.services.changes import Changes
from federation_desk.services.contract_evaluators import (
    ContractEvaluation,
    Evaluation,
    ExceptionRow,
    anonymise_evaluation,
    evaluate_contract,
)
from federation_desk.services.contracts import (
    PERCENT,
    KpiTemplateRow,
    ReportRunRow,
    ResultRecord,
    RunRecord,
    describe_parameters,
    format_short,
    format_value,
    list_kpi_templates,
    name_maps,
    record_report_run,
    type_specs,
)
from federation_desk.services.dates import format_date, format_instant
from federation_desk.services.money import format_money
from federation_desk.services.progress import NullProgress, Progress

MAX_EXCEPTION_ROWS = 300


@dataclass(frozen=True)
class ReportOptions:
    anonymise: bool = False  # replace staff names by role and practice
    max_exception_rows: int = MAX_EXCEPTION_ROWS


@dataclass(frozen=True)
class ComplianceReportData:
    evaluation: ContractEvaluation
    federation_name: str
    names: dict[str, dict[int, str]]
    templates: dict[str, KpiTemplateRow]
    produced_at: datetime
    produced_by: str
    trace_code: str
    anonymised: bool = False  # every staff name is already hidden from every text above


@dataclass(frozen=True)
class ProducedReport:
    path: Path
    run: ReportRunRow
    overall: Rag
    counts_text: str
    pages: int
    changes: Changes


def new_trace_code() -> str:
    return f"CR-{secrets.token_hex(4).upper()}"


def gather_report_data(
    session: Any,
    contract_id: int,
    period_id: int,
    today: date,
    produced_by: str,
    progress: Progress | None = None,
    trace_code: str | None = None,
    anonymise: bool = False,
) -> ComplianceReportData:
    """Everything the report shows, read in one session (immutable rows only).

    With ``anonymise``, every text the report prints has the names of all staff in the database hidden: the
    people behind an exception become "this person" in their own row, anyone else named in free text (KPI notes,
    descriptions, contract fields, evidence) "[name withheld]"."""
    from federation_desk.services.organisation import get_federation

    evaluation = evaluate_contract(session, contract_id, period_id, today, progress=progress)
    federation = get_federation(session)
    data = ComplianceReportData(
        evaluation,
        federation.name if federation else "The federation",
        name_maps(session),
        {t.code: t for t in list_kpi_templates(session)},
        datetime.now(UTC),
        produced_by,
        trace_code or new_trace_code(),
    )
    if not anonymise:
        return data
    scrub = staff_name_scrubber(session)
    return ComplianceReportData(
        anonymise_evaluation(evaluation, scrub),
        scrub(data.federation_name),
        scrub_strings(data.names, scrub),
        scrub_strings(data.templates, scrub),
        data.produced_at,
        scrub(data.produced_by),
        data.trace_code,
        anonymised=True,
    )


def produce_compliance_report(
    database: Any,
    contract_id: int,
    period_id: int,
    target: Path,
    anonymise: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ProducedReport:
    """Evaluate, build the PDF atomically at ``target``, and record who produced it, when, and its SHA-256."""
    from federation_desk.services.dates import today as london_today

    progress = progress or NullProgress()
    today = today or london_today()
    with database.session() as session:
        data = gather_report_data(session, contract_id, period_id, today, database.actor, progress, anonymise=anonymise)
    pages = {"n": 0}

    def build(tmp: Path) -> None:
        pages["n"] = build_compliance_pdf(tmp, data, ReportOptions(anonymise=anonymise), progress)

    path = write_pdf_atomically(Path(target), build)
    content = path.read_bytes()
    evaluation = data.evaluation
    record = RunRecord(
        evaluation.contract.id,
        evaluation.period.id,
        evaluation.period.label,
        data.trace_code,
        hashlib.sha256(content).hexdigest(),
        len(content),
        pages["n"],
        anonymise,
        path.name,
        evaluation.overall,
        evaluation.counts_text,
        tuple(ResultRecord(r.obligation.id, r.obligation.name, r.value, r.rag, r.summary) for r in evaluation.results),
    )
    with database.unit_of_work() as session:
        run, changes = record_report_run(session, record)
    progress.update(1, 1, "Report ready.")
    return ProducedReport(path, run, evaluation.overall, evaluation.counts_text, pages["n"], changes)


# ---- building the PDF ------------------------------------------------------------------------------------------


def _rag_cell(rag: Rag, text: str | None = None, align: str = "centre") -> Any:
    colour = RAG_TEXT[rag.value].hexval()[2:]
    style_name = {"left": "Cell", "right": "CellRight", "centre": "CellCentre"}[align]
    return markup_paragraph(f'<font color="#{colour}">{escape(text or rag.label)}</font>', style_name)


def _person_label(row: ExceptionRow, anonymise: bool) -> str:
    if anonymise and row.staff_id is not None:
        return ", ".join(p for p in (row.role, row.practice) if p) or "Member of staff"
    return row.subject


class _Numbers:
    """Obligation numbers as printed (1, 2, 3 ...) by obligation id."""

    def __init__(self, results: Sequence[Evaluation]) -> None:
        self._by_id = {r.obligation.id: i for i, r in enumerate(results, start=1)}

    def __call__(self, ev: Evaluation) -> int:
        return self._by_id[ev.obligation.id]


def build_compliance_pdf(
    target: Path, data: ComplianceReportData, options: ReportOptions, progress: Progress | None = None
) -> int:
    """Write the report to ``target`` (use :func:`write_pdf_atomically` around this); returns the page count."""
    progress = progress or NullProgress()
    if options.anonymise and not data.anonymised:
        raise ValueError("An anonymised report needs its data gathered with anonymise=True.")
    ev = data.evaluation
    contract, period = ev.contract, ev.period
    info = ReportInfo(
        title=f"Contract compliance report: {contract.reference}, {period.label}",
        author=data.produced_by,
        organisation=data.federation_name,
        subject=f"{contract.title} for {contract.commissioner}, {period.title}",
        reference=f"{contract.reference} · {period.label} · trace {data.trace_code}",
        confidentiality=(
            "Official: staff names withheld" if options.anonymise else "Official-sensitive: contains staff names"
        ),
    )
    doc = ReportDocument(target, info, progress)
    width = doc.width
    number = _Numbers(ev.results)
    story: list[Flowable] = []
    story += _cover(data, options, width)
    story += start_body()  # no contents page: the PDF outline lists every section, and the layout is one pass
    progress.update(0, None, "Laying out the summary ...")
    story += _summary(data, width, number)
    story += [PageBreak()]
    story += _kpi_section(data, width, number)
    story += [PageBreak()]
    story += _exceptions(data, options, width, number)
    story += [PageBreak()]
    story += _appendix(data, width, number, options)
    story += [CondPageBreak(110 * mm)]
    story += _sign_off(data, width)
    doc.build_story(story)
    return int(doc.page)


def _cover(data: ComplianceReportData, options: ReportOptions, width: float) -> list[Flowable]:
    ev = data.evaluation
    contract, period = ev.contract, ev.period
    overall = ev.overall
    box = Table(
        [[_rag_cell(overall, f"Overall: {overall.label}")], [cell(ev.counts_text.capitalize(), "centre")]],
        colWidths=[70 * mm],
        hAlign="LEFT",
    )
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, 0), RAG_COLOURS[overall.value]),
                ("BOX", (0, 0), (-1, -1), 0.8, RAG_COLOURS[overall.value]),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    flow: list[Flowable] = [
        Spacer(1, 22 * mm),
        safe_paragraph(data.federation_name, "CoverSub"),
        safe_paragraph("Contract compliance report", "CoverTitle"),
        safe_paragraph(contract.title, "H1"),
        safe_paragraph(f"{contract.reference} for {contract.commissioner}", "CoverSub"),
        Spacer(1, 6 * mm),
        markup_paragraph(
            f"<b>Reporting period:</b> {escape(period.label)}, {escape(period.description)} "
            f"({escape(period.dates_text)})"
        ),
        markup_paragraph(f"<b>Position as at:</b> {escape(format_date(ev.as_of))}"),
        Spacer(1, 6 * mm),
        box,
        Spacer(1, 8 * mm),
    ]
    if options.anonymise:
        flow.append(
            safe_paragraph(
                "Staff names are withheld in this copy: each person is shown by their role and practice, and a "
                f"name in a note or description reads “{NAME_WITHHELD}”.",
                "Italic",
            )
        )
    flow += [
        generated_line(data.produced_at, data.produced_by),
        safe_paragraph(
            f"Trace code {data.trace_code}: Federation Desk records who produced this report, when, and the "
            "SHA-256 fingerprint of the file, so a printed copy can be matched to its record.",
            "Muted",
        ),
    ]
    return flow


def _summary(data: ComplianceReportData, width: float, number: _Numbers) -> list[Flowable]:
    ev = data.evaluation
    contract, period = ev.contract, ev.period
    facts = [
        ("Contract", f"{contract.reference}: {contract.title}"),
        (
            "Commissioner",
            contract.commissioner + (f" ({contract.commissioner_contact})" if contract.commissioner_contact else ""),
        ),
        ("Service", contract.service or "not recorded"),
        ("Term", contract.term_text),
        ("Value", format_money(contract.value) if contract.value is not None else "not recorded"),
        ("Reporting", f"{contract.reporting_frequency.label}; this report: {period.title} ({period.dates_text})"),
        ("Delivered by", _scope_text(contract)),
    ]
    if contract.tender_reference:
        facts.append(("Won from tender", f"{contract.tender_reference}: {contract.tender_title}"))
    if contract.contract_manager:
        facts.append(("Contract manager", contract.contract_manager))
    flow: list[Flowable] = [
        Heading("Summary", key="summary"),
        key_value_table(facts, width),
        Spacer(1, 4 * mm),
        markup_paragraph(
            f"<b>Overall: {escape(ev.overall.label)}.</b> {escape(ev.counts_text.capitalize())} of "
            f"{len(ev.results)} obligation{'s' if len(ev.results) != 1 else ''}, judged as at "
            f"{escape(format_date(ev.as_of))}."
        ),
        Heading("Obligations at a glance", "H2", toc_level=1),
    ]
    columns = [
        ColumnSpec("#", lambda r: number(r), 0.4, "right"),
        ColumnSpec("Obligation", lambda r: r.obligation.name, 2.6),
        ColumnSpec("Value", lambda r: format_short(r.value, r.obligation.unit, "no data"), 1.0, "right"),
        ColumnSpec("Target", lambda r: r.obligation.target_short, 1.15, "right"),
        ColumnSpec("RAG", lambda r: r.rag.label, 0.9, "centre"),
        ColumnSpec("Result", lambda r: r.summary, 4.05),
    ]
    flow.append(
        build_table(
            columns,
            list(ev.results),
            width,
            empty_text="This contract has no active obligations.",
            rag_column=4,
            rag_of=lambda r: r.rag.value,
        )
    )
    return flow


def _scope_text(contract: Any) -> str:
    practices = ", ".join(contract.practice_names) if contract.practice_names else "every member practice"
    services = ", ".join(contract.service_codes) if contract.service_codes else "all rota services"
    return f"{practices}; rota services: {services}"


def _rag_history(ev: ContractEvaluation, width: float) -> list[Flowable]:
    """The RAG mix of the obligations in each of the periods the report covers (a stacked bar chart)."""
    if not ev.results:
        return []
    labels = [p.label for p in ev.trend_periods] + [ev.period.label]
    counts = []
    for i in range(len(ev.trend_periods)):
        tally: dict[str, int] = {}
        for trend in ev.trend.values():
            if i < len(trend):
                tally[trend[i].rag.value] = tally.get(trend[i].rag.value, 0) + 1
        counts.append(tally)
    current: dict[str, int] = {}
    for r in ev.results:
        current[r.rag.value] = current.get(r.rag.value, 0) + 1
    counts.append(current)
    return [
        KeepTogether(
            [
                Heading("Red, amber and green over the last periods", "H2", toc_level=1),
                rag_history_chart(labels, counts, width, 130),
            ]
        )
    ]


def _kpi_section(data: ComplianceReportData, width: float, number: _Numbers) -> list[Flowable]:
    ev = data.evaluation
    periods = [*ev.trend_periods, ev.period]
    flow: list[Flowable] = [
        Heading("KPI table and trend", key="kpis"),
        safe_paragraph(
            f"Each obligation for {ev.period.label} and the {len(ev.trend_periods)} reporting period"
            f"{'s' if len(ev.trend_periods) != 1 else ''} before it, coloured red, amber or green against the "
            "thresholds in force now. An earlier period shows the result of the last report produced for it, as it "
            "was submitted; a period never reported is evaluated now. Grey cells have no data.",
            "Muted",
        ),
        *_rag_history(ev, width),
        Heading("Obligations by period", "H2", toc_level=1),
    ]
    header = ["#", "Obligation", *[p.label for p in periods], "Target"]
    shares = [0.45, 3.0] + [1.1] * len(periods) + [1.3]
    widths = [width * s / sum(shares) for s in shares]
    rows: list[list[Any]] = [[markup_paragraph(f"<b>{escape(h)}</b>", "CellHeader") for h in header]]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, result in enumerate(ev.results, start=1):
        history = [*ev.trend.get(result.obligation.id, ()), result]
        line: list[Any] = [cell(number(result), "right"), cell(_name_with_unit(result.obligation))]
        for j, item in enumerate(history, start=2):
            line.append(_rag_cell(item.rag, format_short(item.value, item.obligation.unit)))
            commands.append(("BACKGROUND", (j, i), (j, i), RAG_COLOURS[item.rag.value]))
        line.append(cell(result.obligation.target_short, "right"))
        rows.append(line)
        if i % 2 == 0:
            commands.append(("BACKGROUND", (0, i), (1, i), ZEBRA))
            commands.append(("BACKGROUND", (-1, i), (-1, i), ZEBRA))
    if ev.results:
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(commands))
        flow.append(table)
    else:
        flow.append(safe_paragraph("This contract has no active obligations.", "Muted"))
    if ev.results:
        flow.append(Heading("Trend charts", "H2", toc_level=1))
        charts: list[Any] = []
        chart_width = (width - 8 * mm) / 2
        for result in ev.results:
            history = [*ev.trend.get(result.obligation.id, ()), result]
            ob = result.obligation
            charts.append(
                trend_chart(
                    f"{number(result)}. {ob.name}",
                    [p.label for p in periods],
                    [h.value for h in history],
                    [h.rag.value for h in history],
                    ob.target if ob.target is not None else ob.green_threshold,
                    chart_width,
                    118,
                    percent=ob.unit == PERCENT,
                )
            )
        grid = [charts[i : i + 2] + ([""] if len(charts[i : i + 2]) == 1 else []) for i in range(0, len(charts), 2)]
        table = Table(grid, colWidths=[chart_width + 4 * mm, chart_width + 4 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
        flow.append(table)
        flow.append(
            safe_paragraph(
                "Points are coloured by their RAG; the dashed line is the target; a hollow grey point means no data.",
                "Muted",
            )
        )
    return flow


def _name_with_unit(ob: Any) -> str:
    if ob.unit == PERCENT or ob.unit.casefold() in ob.name.casefold():
        return str(ob.name)
    return f"{ob.name} ({ob.unit})"


def _exceptions(data: ComplianceReportData, options: ReportOptions, width: float, number: _Numbers) -> list[Flowable]:
    ev = data.evaluation
    bad = [r for r in ev.results if r.is_exception]
    flow: list[Flowable] = [Heading("Exceptions", key="exceptions")]
    if not bad:
        flow.append(safe_paragraph("No obligation is red or amber for this period.", "Body"))
        return flow
    flow.append(
        safe_paragraph(
            "The records behind every red or amber result"
            + (", with staff shown by role and practice." if options.anonymise else "."),
            "Muted",
        )
    )
    for result in sorted(bad, key=lambda r: (-r.rag.severity, number(r))):
        ob = result.obligation
        flow.append(Heading(f"{number(result)}. {ob.name}: {result.rag.label}", "H2", toc_level=1))
        flow.append(
            markup_paragraph(
                f"<b>{escape(result.value_text)}</b> against {escape(ob.target_text)}. {escape(result.summary)}"
            )
        )
        rows = list(result.exceptions)
        shown = rows[: options.max_exception_rows]
        people = any(r.staff_id is not None for r in shown)
        if people and options.anonymise:
            columns = [
                ColumnSpec("Staff (role, practice)", lambda r: _person_label(r, True), 2.2),
                ColumnSpec("Why", lambda r: r.detail, 5.0),
            ]
        elif people:
            columns = [
                ColumnSpec("Name", lambda r: r.subject, 1.7),
                ColumnSpec("Role", lambda r: r.role or "", 1.4),
                ColumnSpec("Practice", lambda r: r.practice or "", 1.7),
                ColumnSpec("Why", lambda r: r.detail, 4.2),
            ]
        else:
            columns = [
                ColumnSpec("Record", lambda r: r.subject, 2.0),
                ColumnSpec("Where", lambda r: r.practice or "", 1.6),
                ColumnSpec("Detail", lambda r: r.detail, 4.4),
            ]
        flow.append(build_table(columns, shown, width, empty_text="No individual records are behind this result."))
        if len(rows) > len(shown):
            flow.append(
                safe_paragraph(
                    f"{len(rows) - len(shown):,} more records are not listed here; Federation Desk shows them all.",
                    "Muted",
                )
            )
        flow.append(Spacer(1, 3 * mm))
    return flow


def _appendix(data: ComplianceReportData, width: float, number: _Numbers, options: ReportOptions) -> list[Flowable]:
    ev = data.evaluation
    specs = type_specs()
    flow: list[Flowable] = [
        Heading("Evidence appendix", key="evidence"),
        safe_paragraph(
            f"How each figure was measured and from which records. Statuses were checked as at "
            f"{format_date(ev.as_of)}"
            + (
                " (the end of the period)."
                if ev.as_of == ev.period.end_date
                else " (today: the period is still running)."
            ),
            "Muted",
        ),
    ]
    for result in ev.results:
        ob = result.obligation
        pairs: list[tuple[str, object]] = [
            ("Type", ob.obligation_type.label),
            ("How it is measured", ob.description or specs[ob.obligation_type].method),
        ]
        params = describe_parameters(ob.obligation_type, ob.parameters, data.names)
        if params:
            pairs.append(("Settings", params))
        pairs.append(("Thresholds", ob.thresholds_text))
        if ob.schedule_ref:
            pairs.append(("Contract reference", ob.schedule_ref))
        if result.numerator is not None and result.denominator is not None:
            pairs.append(("Counted", f"{result.numerator:,} of {result.denominator:,}"))
        pairs.append(("Result", f"{result.value_text}: {result.rag.label}"))
        for what, detail in result.evidence:
            pairs.append((what, detail))
        trend = ev.trend.get(ob.id, ())
        if trend:
            pairs.append(
                (
                    "Earlier periods",
                    "; ".join(_earlier(t) for t in trend),
                )
            )
        template = data.templates.get(ob.kpi_template_code or "")
        if template is not None:
            pairs.append(("Template and source", f"{template.name}. {template.source or ''}".strip()))
        flow.append(
            KeepTogether([Heading(f"{number(result)}. {ob.name}", "H3", toc_level=None), key_value_table(pairs, width)])
        )
        flow.append(Spacer(1, 2 * mm))
    return flow


def _earlier(t: Evaluation) -> str:
    text = f"{t.period.label}: {format_value(t.value, t.obligation.unit, 'no data')}"
    return text + (f" (as reported in {t.reported_in})" if t.reported_in else "")


def _sign_off(data: ComplianceReportData, width: float) -> list[Flowable]:
    ev = data.evaluation
    rows = [
        [markup_paragraph(f"<b>{h}</b>", "CellHeader") for h in ("Role", "Name", "Signature", "Date")],
        [cell("Prepared by"), cell(data.produced_by), cell(""), cell(format_date(data.produced_at.date()))],
        [cell("Reviewed by (clinical lead)"), cell(""), cell(""), cell("")],
        [cell("Approved for submission"), cell(""), cell(""), cell("")],
        [cell(f"Received by {ev.contract.commissioner}"), cell(""), cell(""), cell("")],
    ]
    table = Table(rows, colWidths=[width * 0.3, width * 0.26, width * 0.28, width * 0.16], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), BRAND),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white]),
                ("TOPPADDING", (0, 1), (-1, -1), 12),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 12),
            ]
        )
    )
    return [
        Heading("Sign-off", key="signoff"),
        safe_paragraph(
            f"We confirm that this report gives a true account of the delivery of contract {ev.contract.reference} "
            f"in {ev.period.label} ({ev.period.dates_text}), from the records held in Federation Desk.",
            "Body",
        ),
        table,
        Spacer(1, 4 * mm),
        safe_paragraph(
            f"Trace code {data.trace_code}. Produced {format_instant(data.produced_at)} by {data.produced_by}.",
            "Muted",
        ),
    ]


def default_filename(contract_reference: str, period_label: str, anonymise: bool = False) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in f"{contract_reference}-{period_label}")
    return f"compliance-{safe}{'-anonymised' if anonymise else ''}.pdf"


def demo_compliance_pdf(database: Any, path: Path) -> Path:
    """``demo-pdfs``: the demo contract with the most to explain, for its latest ended period, anonymised."""
    from federation_desk.services.contract_evaluators import current_statuses
    from federation_desk.services.dates import today as london_today

    with database.session() as session:
        statuses = current_statuses(session, london_today())
    chosen = sorted(
        (s for s in statuses if s.period is not None), key=lambda s: (-s.overall.severity, s.contract.reference)
    )
    if not chosen:
        from federation_desk.errors import FederationDeskError

        raise FederationDeskError("The demo database has no contracts.", "Build the demo again with 'demo --force'.")
    status = chosen[0]
    assert status.period is not None
    return produce_compliance_report(database, status.contract.id, status.period.id, path, anonymise=False).path
