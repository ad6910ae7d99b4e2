"""Entry point of the bundled programs: one script, two executables built from one analysis.

``federation-desk`` (windowed) opens the desktop app; ``federation-desk-cli`` (console) runs the command line.
The executable's own name decides which, so both share every bundled library in the one folder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    if Path(sys.executable).stem.lower().endswith("-cli"):
        from federation_desk.cli import main as run
    else:
        from federation_desk.app import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())
