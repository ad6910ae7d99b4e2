"""Developer tool (not a test): autogenerate a module's Alembic revision.

    .venv/bin/python -m tests.db.make_migration 0002 "hr: staff compliance" --branch-label hr [--depends-on 0005]

Upgrades a scratch SQLite database to every current head, autogenerates the difference against the models, and
writes federation_desk/db/migrations/versions/<rev>_<message>.py branching from 0001. Other modules' unfinished
models can appear in the diff: delete every operation that is not your module's before committing.
"""

from __future__ import annotations

import argparse
import tempfile

from alembic import command

from federation_desk.db import migrate
from federation_desk.db.engine import create_engine_for, parse_location


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev_id")
    parser.add_argument("message")
    parser.add_argument("--branch-label", required=True)
    parser.add_argument("--depends-on", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    engine = create_engine_for(parse_location(f"{folder}/scratch.sqlite"))
    migrate.upgrade(engine)
    cfg = migrate.alembic_config(engine)
    command.revision(
        cfg, message=args.message, autogenerate=True, rev_id=args.rev_id, head="0001",
        splice=True, branch_label=args.branch_label, depends_on=args.depends_on,
    )


if __name__ == "__main__":
    main()
