"""What the PyInstaller spec, the build scripts, the Inno Setup script, the bundle tests and the benchmark agree on.

The version comes from one place only, ``federation_desk.__version__``: the spec renders the Windows version
resource of each executable from it (``win-version-info.txt.in``), the PowerShell build script passes it to Inno
Setup, and the Inno Setup script falls back to reading it back from the built executable.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "federation-desk.spec"
VERSION_TEMPLATE = HERE / "win-version-info.txt.in"
INNO_SCRIPT = HERE / "federation-desk.iss"
APP_ICON = ROOT / "federation_desk" / "resources" / "icons" / "app.ico"

BUNDLE_NAME = "FederationDesk"  # the one-folder bundle: dist/FederationDesk/
GUI_EXE = "federation-desk"  # windowed: the desktop app
CLI_EXE = "federation-desk-cli"  # console: the same commands as the pip-installed federation-desk-cli
PUBLISHER = "Federation Desk developers"


@dataclass(frozen=True)
class Executable:
    name: str
    description: str
    console: bool

    @property
    def filename(self) -> str:
        return f"{self.name}.exe" if sys.platform == "win32" else self.name

    def windows_filename(self) -> str:
        return f"{self.name}.exe"


EXECUTABLES = (
    Executable(GUI_EXE, "Federation Desk", console=False),
    Executable(CLI_EXE, "Federation Desk command line", console=True),
)


def app_version() -> str:
    """``federation_desk.__version__`` of the checkout this file belongs to."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from federation_desk import __version__

    return __version__


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows wants: "1.2.3" -> (1, 2, 3, 0); "2.0rc1" -> (2, 0, 0, 0)."""
    match = re.match(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version)
    if not match:
        raise ValueError(f"The version {version!r} does not start with a number; use a version like 1.2.3.")
    numbers = [int(part) if part else 0 for part in match.groups()]
    if any(n > 65535 for n in numbers):
        raise ValueError(f"The version {version!r} has a part above 65535, which Windows cannot store.")
    return numbers[0], numbers[1], numbers[2], numbers[3]


def render_version_info(executable: Executable, version: str, target: Path) -> Path:
    """Write the Windows version resource text for ``executable`` (PyInstaller's ``EXE(version=...)``)."""
    text = VERSION_TEMPLATE.read_text(encoding="utf-8") % {
        "filevers": repr(version_tuple(version)),
        "version": version,
        "publisher": PUBLISHER,
        "product": "Federation Desk",
        "internal_name": executable.name,
        "filename": executable.windows_filename(),
        "description": executable.description,
        "copyright": f"Copyright {PUBLISHER}",
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
