<#
.SYNOPSIS
    Build the Federation Desk Windows installer: the PyInstaller bundle, a smoke test of it, then Inno Setup.

.DESCRIPTION
    Run from anywhere in a clone (PowerShell 5.1 or 7):

        powershell -ExecutionPolicy Bypass -File installer\build.ps1

    1. Creates a clean build environment in build\installer-venv (Python 3.11+) with Federation Desk, the
       PostgreSQL driver and PyInstaller, so nothing from a developer's own environment slips into the bundle.
    2. Builds dist\FederationDesk\ from installer\federation-desk.spec.
    3. Smoke-tests the bundle: --version, a fresh demo database, and the self-test PDF shown with QtPdf.
    4. Compiles installer\federation-desk.iss with Inno Setup into dist\FederationDesk-VERSION-setup.exe.

    The version comes only from federation_desk.__version__. See installer\README.md.

.PARAMETER Python
    The Python used to create the build environment (default: the "py -3.11" launcher, then "py -3", then python).

.PARAMETER Iscc
    Path of ISCC.exe (default: found on PATH or in the usual Inno Setup 6 folders).

.PARAMETER Fresh
    Delete and recreate the build environment first.

.PARAMETER SkipInstaller
    Stop after the bundle and its smoke test (no Inno Setup needed).
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$Iscc = "",
    [switch]$Fresh,
    [switch]$SkipInstaller
)

$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent $PSScriptRoot
$Venv = Join-Path $Root "build\installer-venv"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
$Dist = Join-Path $Root "dist"
$Work = Join-Path $Root "build\pyinstaller"
$Bundle = Join-Path $Dist "FederationDesk"

function Invoke-Checked {
    param([string]$What, [scriptblock]$Command)
    Write-Host "== $What" -ForegroundColor Cyan
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Find-BasePython {
    if ($Python) { return @($Python) }
    foreach ($candidate in @(@("py", "-3.11"), @("py", "-3"), @("python"))) {
        $exe = $candidate[0]
        if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
        $rest = @($candidate | Select-Object -Skip 1)
        try {
            # "py -3.11" complains on stderr when that version is missing; that only means "try the next one".
            & $exe @rest -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)" 2>$null
            if ($LASTEXITCODE -eq 0) { return $candidate }
        } catch {
            continue
        }
    }
    throw "Python 3.11 or newer was not found. Install it from https://www.python.org/downloads/ and run this again."
}

function Find-Iscc {
    if ($Iscc) { return $Iscc }
    $onPath = Get-Command "ISCC.exe" -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $folders = @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))
    foreach ($folder in $folders) {
        if (-not $folder) { continue }
        $candidate = Join-Path $folder "Inno Setup 6\ISCC.exe"
        if (Test-Path $candidate) { return $candidate }
    }
    throw "Inno Setup 6 (ISCC.exe) was not found. Install it (winget install JRSoftware.InnoSetup) or pass -Iscc PATH."
}

Set-Location $Root

# 1. A clean build environment.
if ($Fresh -and (Test-Path $Venv)) { Remove-Item -Recurse -Force $Venv }
if (-not (Test-Path $VenvPython)) {
    $base = @(Find-BasePython)  # @(...): PowerShell would unroll a one-item array into a string
    $baseExe = $base[0]
    $baseArgs = @($base | Select-Object -Skip 1)
    Invoke-Checked "Creating the build environment in $Venv" { & $baseExe @baseArgs -m venv $Venv }
}
Invoke-Checked "Installing Federation Desk and PyInstaller" {
    & $VenvPython -m pip install --quiet --upgrade pip
    if ($LASTEXITCODE -eq 0) { & $VenvPython -m pip install --quiet -e ".[postgres]" "pyinstaller>=6.10,<7" }
}
$Version = (& $VenvPython -c "import federation_desk; print(federation_desk.__version__)").Trim()
if ($LASTEXITCODE -ne 0 -or -not $Version) { throw "Could not read federation_desk.__version__." }
Write-Host "Federation Desk $Version"

# 2. The one-folder bundle.
Invoke-Checked "PyInstaller: dist\FederationDesk" {
    & $VenvPython -m PyInstaller --noconfirm --log-level WARN --distpath $Dist --workpath $Work `
        (Join-Path $Root "installer\federation-desk.spec")
}

# 3. Smoke test: the bundle starts, reports its version, makes a demo database and a PDF shown with QtPdf.
$Cli = Join-Path $Bundle "federation-desk-cli.exe"
$reported = (& $Cli --version | Out-String).Trim()
if ($reported -ne "Federation Desk $Version") { throw "The bundle reports '$reported', expected 'Federation Desk $Version'." }
$smoke = Join-Path ([System.IO.Path]::GetTempPath()) ("fd-smoke-" + [guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory -Path $smoke | Out-Null
$env:FEDERATION_DESK_DATA_DIR = Join-Path $smoke "data"
$env:QT_QPA_PLATFORM = "offscreen"
try {
    $db = Join-Path $smoke "demo.sqlite"
    Invoke-Checked "Smoke test: demo database" { & $Cli --db $db demo }
    Invoke-Checked "Smoke test: demo PDFs" { & $Cli --db $db demo-pdfs --out (Join-Path $smoke "pdfs") }
    Invoke-Checked "Smoke test: self-test PDF shown with QtPdf" { & $Cli --db $db selftest-pdf --out (Join-Path $smoke "selftest") }
} finally {
    Remove-Item Env:\FEDERATION_DESK_DATA_DIR, Env:\QT_QPA_PLATFORM -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $smoke -ErrorAction SilentlyContinue
}
$size = (Get-ChildItem -Recurse -File $Bundle | Measure-Object -Property Length -Sum).Sum / 1MB
Write-Host ("Bundle: {0} ({1:N0} MB)" -f $Bundle, $size)

if ($SkipInstaller) { exit 0 }

# 4. The installer.
$isccExe = Find-Iscc
Invoke-Checked "Inno Setup: dist\FederationDesk-$Version-setup.exe" {
    & $isccExe /Q "/DAppVersion=$Version" "/DBundleDir=$Bundle" (Join-Path $Root "installer\federation-desk.iss")
}
Write-Host "Installer: $(Join-Path $Dist "FederationDesk-$Version-setup.exe")" -ForegroundColor Green
