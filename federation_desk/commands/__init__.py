"""Sub-commands of ``federation-desk-cli``. Each module here has ``register(subparsers)``; a module that lands adds
its name to ``cli.COMMAND_MODULES``."""

from __future__ import annotations

import argparse
from typing import Any


def subparsers_of(parser: argparse.ArgumentParser, dest: str | None = None, metavar: str = "ACTION") -> Any:
    """The sub-command action of ``parser``, created on first use, so several modules can add to one command."""
    for action in parser._actions:  # argparse keeps the sub-parsers action among the parser's actions
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest or f"{parser.prog.split()[-1]}_command", metavar=metavar)


def report_subparsers(sub: Any) -> Any:
    """The sub-commands of ``report`` (created by whichever module registers first)."""
    parser = sub.choices.get("report") or sub.add_parser("report", help="produce a PDF report")
    return subparsers_of(parser, "report_command", "REPORT")
