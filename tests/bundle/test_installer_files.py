"""The packaging files agree with each other and with the package (fast: nothing is built here).

The spec, the Inno Setup script, both build scripts and the bundle tests share names through installer/bundle.py;
the version comes only from federation_desk.__version__.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from federation_desk import APP_ID, ORG_NAME, __version__
from federation_desk.cli import main
from tests.bundle.build import ROOT, config
from tests.pdf import normalise, page_texts

ISS = config.INNO_SCRIPT.read_text(encoding="utf-8")


def _iss_defines() -> dict[str, str]:
    return dict(re.findall(r'^#define (\w+) "([^"]*)"', ISS, flags=re.MULTILINE))


def test_windows_version_numbers() -> None:
    assert config.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert config.version_tuple("2.10") == (2, 10, 0, 0)
    assert config.version_tuple("1.2.3.4") == (1, 2, 3, 4)
    assert config.version_tuple("3.0.0rc1") == (3, 0, 0, 0)
    with pytest.raises(ValueError, match="does not start with a number"):
        config.version_tuple("dev")
    with pytest.raises(ValueError, match="above 65535"):
        config.version_tuple("1.70000")


class _Node:
    """Stands in for PyInstaller's version-resource classes (they need pefile, which only Windows installs)."""

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs


def _parse_version_resource(text: str) -> _Node:
    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct"]
    names += ["VarFileInfo", "VarStruct"]
    namespace = {name: (lambda *a, _k=name, **kw: _Node(_k, *a, **kw)) for name in names}
    return eval(text, namespace)


def test_version_resource_comes_from_the_package_version(tmp_path: Path) -> None:
    for executable in config.EXECUTABLES:
        path = config.render_version_info(executable, __version__, tmp_path / f"{executable.name}.txt")
        info = _parse_version_resource(path.read_text(encoding="utf-8"))
        fixed = info.kwargs["ffi"].kwargs
        assert fixed["filevers"] == fixed["prodvers"] == config.version_tuple(__version__)
        table = info.kwargs["kids"][0].args[0][0]
        strings = {s.args[0]: s.args[1] for s in table.args[1]}
        assert strings["ProductVersion"] == strings["FileVersion"] == __version__
        assert strings["OriginalFilename"] == f"{executable.name}.exe"
        assert strings["ProductName"] == "Federation Desk"


def test_inno_setup_script_matches_the_bundle_and_the_app() -> None:
    defines = _iss_defines()
    assert defines["BundleName"] == config.BUNDLE_NAME
    assert defines["GuiExe"] == f"{config.GUI_EXE}.exe"
    assert defines["CliExe"] == f"{config.CLI_EXE}.exe"
    assert defines["AppPublisher"] == config.PUBLISHER
    # Per user, without administrator rights, into %LOCALAPPDATA%\Programs.
    assert re.search(r"^PrivilegesRequired=lowest$", ISS, flags=re.MULTILINE)
    assert "PrivilegesRequiredOverridesAllowed" not in ISS
    assert re.search(r"^DefaultDirName=\{userpf\}\\", ISS, flags=re.MULTILINE)
    assert re.search(r'^Name: "\{autoprograms\}\\\{#AppName\}"; Filename: "\{app\}\\\{#GuiExe\}"', ISS, re.MULTILINE)
    desktop = re.search(r'^Name: "desktopicon";.*$', ISS, flags=re.MULTILINE)
    assert desktop and "Flags: unchecked" in desktop.group(0)
    # The version: passed by build.ps1, else read back from the executable's version resource.
    assert 'GetStringFileInfo(BundleDir + "\\" + GuiExe, "ProductVersion")' in ISS
    assert "AppVersion={#AppVersion}" in ISS
    # The icon it names exists, relative to the script.
    icon = re.search(r"^SetupIconFile=(.+)$", ISS, flags=re.MULTILINE)
    assert icon and (config.HERE / icon.group(1).replace("\\", "/")).resolve() == config.APP_ICON


def test_uninstaller_keeps_the_users_data_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder the uninstaller may delete is exactly where federation_desk.paths keeps data on Windows."""
    from platformdirs import windows

    monkeypatch.setattr(windows, "get_win_folder", lambda _csidl: "C:/Users/someone/AppData/Local")
    data = Path(windows.Windows(appname=APP_ID, appauthor=ORG_NAME, roaming=False).user_data_dir)
    relative = data.relative_to("C:/Users/someone/AppData/Local")
    assert relative.parts[0] == _iss_defines()["DataFolder"] == ORG_NAME
    assert "ExpandConstant('{localappdata}\\{#DataFolder}')" in ISS
    # QSettings keeps the app's preferences under HKCU\Software\<organisation>.
    assert "RegDeleteKeyIncludingSubkeys(HKCU, 'Software\\{#DataFolder}')" in ISS
    # Unticked by default; deleted only when ticked; a silent uninstall keeps everything.
    assert "RemoveBox.Checked := False;" in ISS
    assert "RemoveUserData := Result and RemoveBox.Checked;" in ISS
    assert "(CurUninstallStep = usPostUninstall) and RemoveUserData" in ISS
    assert re.search(r"if UninstallSilent\(\) then\s+Result := True", ISS)


def test_build_scripts_use_the_one_spec() -> None:
    powershell = (config.HERE / "build.ps1").read_text(encoding="utf-8")
    linux = (config.HERE / "build-linux.sh").read_text(encoding="utf-8")
    assert 'installer\\federation-desk.spec"' in powershell and "installer/federation-desk.spec" in linux
    assert 'installer\\federation-desk.iss"' in powershell
    assert '"/DAppVersion=$Version"' in powershell
    assert "federation_desk.__version__" in powershell and "federation_desk.__version__" in linux
    assert f'Join-Path $Dist "{config.BUNDLE_NAME}"' in powershell and f'"{config.CLI_EXE}.exe"' in powershell
    assert f'BUNDLE="$DIST/{config.BUNDLE_NAME}"' in linux and f'"$BUNDLE/{config.CLI_EXE}" --version' in linux
    if shutil.which("bash"):
        check = subprocess.run(["bash", "-n", str(config.HERE / "build-linux.sh")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_pyinstaller_is_installed_by_the_test_setup() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = project["project"]["optional-dependencies"]["test"]
    assert any(req.lower().startswith("pyinstaller") for req in test_extra)


def test_app_icon_has_every_windows_size_drawn_from_app_svg(qapp: Any) -> None:
    import io

    import make_icon  # installer/make_icon.py
    from PIL import Image, ImageChops, ImageStat

    with Image.open(config.APP_ICON) as ico:
        assert sorted(ico.info["sizes"]) == [(s, s) for s in make_icon.SIZES]
        for size in (16, 48, 256):
            ico.size = (size, size)
            ico.load()
            stored = ico.convert("RGBA")
            fresh = Image.open(io.BytesIO(make_icon.render_png(make_icon.ICONS / "app.svg", size))).convert("RGBA")
            difference = ImageStat.Stat(ImageChops.difference(stored, fresh)).mean
            assert max(difference) < 2, f"app.ico ({size}px) is out of date: run installer/make_icon.py"


def test_selftest_pdf_is_hidden_and_builds_a_readable_pdf(
    qapp: Any, demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "selftest" not in capsys.readouterr().out

    assert main(["--db", str(demo_path), "selftest-pdf", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Christmas Day: 25/12/" in out and "is a bank holiday" in out
    assert "(3 pages, shown with QtPdf)" in out
    texts = page_texts(tmp_path / "selftest.pdf")
    assert "Federation Desk self-test" in texts[0]
    body = normalise(texts[2])
    assert "Font and escaping: Łukasz Ó'Brien-Nowak, £1,250.50, <b>not bold</b> & co." in body
    assert "Member practices" in body and "List size" in body
    assert (tmp_path / "selftest-preview.png").stat().st_size > 1000
