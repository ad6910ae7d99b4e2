"""Composition root of the desktop app: paths -> settings -> window (painted first) -> database -> pages."""

from __future__ import annotations

import argparse
import sys
import time

from federation_desk import APP_NAME, __version__
from federation_desk.ui.application import after_first_paint, create_application

_STARTED = time.perf_counter()


def setup_logging() -> None:
    import logging
    from logging.handlers import RotatingFileHandler

    from federation_desk.paths import log_dir

    handler = RotatingFileHandler(
        log_dir() / "federation-desk.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # SQL and its parameters never reach the log (they could hold personal data); warnings still do.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="federation-desk", description=f"{APP_NAME}: open the desktop app.")
    parser.add_argument("--db", help="database file or postgresql:// address (default: the last one used)")
    parser.add_argument("--page", help="page to show first (dashboard, organisation, staff, ...)")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = create_application()
    from federation_desk.paths import default_database_path
    from federation_desk.ui import settings
    from federation_desk.ui.main_window import MainWindow, bench_hook

    window = MainWindow()
    bench_hook(window, app, _STARTED)
    window.show()
    remembered = args.db or settings.LAST_DATABASE.get()
    window.show_page(args.page or settings.LAST_PAGE.get())

    def once_painted() -> None:
        # Heavy imports (SQLAlchemy, Alembic, keyring) and the database wait until the window has painted.
        after_first_paint(app)
        setup_logging()
        local = str(default_database_path())
        if not remembered and not default_database_path().exists():
            window.first_run(local, args.page)  # the first start on this computer: local file or server?
        else:
            window.open_database(remembered or local, args.page)

    window.first_painted.connect(once_painted)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
