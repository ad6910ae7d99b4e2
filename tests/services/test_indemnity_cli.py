"""``federation-desk-cli insurance ...`` and ``indemnity clinicians`` on a copy of the demo federation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from federation_desk import cli
from federation_desk.commands.indemnity import CHECK_FAILED, policy_type_from
from federation_desk.domain.indemnity import PolicyType


def _run(demo_path: Path, capsys: Any, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--db", str(demo_path), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_schedule_on_a_date(demo_path: Path, capsys: Any) -> None:
    code, out, _ = _run(demo_path, capsys, "insurance", "schedule", "--on", "22/11/2026")
    assert code == 0
    assert "Insurance schedule on 22/11/2026" in out
    assert "ZM/EL/2026/0417" in out and "£10,000,000" in out and "No stated limit" in out
    assert "Employers liability certificate 2026.pdf" in out
    code, out, _ = _run(demo_path, capsys, "insurance", "schedule", "--on", "22/11/2026", "--all")
    assert out.count("\n") > 20  # the federation's and every practice's


def test_check_exit_codes_and_reasons(demo_path: Path, capsys: Any) -> None:
    code, out, _ = _run(
        demo_path,
        capsys,
        "insurance",
        "check",
        "--type",
        "PL",
        "--min",
        "£10m",
        "--from",
        "01/04/2025",
        "--to",
        "31/03/2027",
    )
    assert code == CHECK_FAILED
    assert "no policy from 01/04/2026 to 14/04/2026 (14 days)" in out
    code, out, _ = _run(
        demo_path,
        capsys,
        "insurance",
        "check",
        "--type",
        "employers-liability",
        "--min",
        "5,000,000",
        "--from",
        "01/04/2026",
        "--to",
        "31/03/2027",
    )
    assert code == 0 and "on every day from 01/04/2026 to 31/03/2027" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--type", "fire", "--min", "£5m", "--from", "01/04/2026", "--to", "31/03/2027"], "is not a kind of policy"),
        (["--type", "PL", "--min", "lots", "--from", "01/04/2026", "--to", "31/03/2027"], "is not an amount of money"),
        (["--type", "PL", "--min", "£5m", "--from", "04/31/2026", "--to", "31/03/2027"], "month-first"),
        (["--type", "PL", "--min", "£5m", "--from", "01/04/2026", "--to", "31/03/2027", "--practice", "Z9"], "ODS"),
        (["--type", "PL", "--min", "£5m", "--from", "01/04/2027", "--to", "31/03/2026"], "ends before it starts"),
    ],
)
def test_bad_command_lines_get_plain_english(demo_path: Path, capsys: Any, args: list[str], message: str) -> None:
    code, _out, err = _run(demo_path, capsys, "insurance", "check", *args)
    assert code == 1 and message in err and "Traceback" not in err


def test_renewals_and_clinicians(demo_path: Path, capsys: Any) -> None:
    code, out, _ = _run(demo_path, capsys, "insurance", "renewals", "--days", "30")
    assert code == 0 and "Cyber" in out and "days left" in out
    code, out, _ = _run(demo_path, capsys, "indemnity", "clinicians", "--on", "22/11/2026", "--missing")
    assert code == 0 and out.startswith("Own indemnity cover on 22/11/2026: 0 of ")
    assert "has no indemnity cover of their own recorded" in out


def test_policy_type_names() -> None:
    assert policy_type_from("Employers' liability") is PolicyType.EMPLOYERS_LIABILITY
    assert policy_type_from("PUBLIC_LIABILITY") is PolicyType.PUBLIC_LIABILITY
    assert policy_type_from("clinical-negligence-scheme") is PolicyType.CLINICAL_NEGLIGENCE
    assert policy_type_from("cnst") is PolicyType.CLINICAL_NEGLIGENCE
