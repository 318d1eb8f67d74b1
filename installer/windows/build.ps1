# Windows: build dist\HubTokens-<version>-setup.exe. Run on Windows from the repository root:
#
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1 [-Python .venv\Scripts\python.exe]
#
# Needs a Python 3.11+ venv with `pip install -e .[installer]` and Inno Setup 6.3 or later
# (ISCC.exe). Not built or run by CI (CI is Linux); the smoke checks below run here.
param(
    [string]$Python = ".venv\Scripts\python.exe",
    [string]$Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
)
$ErrorActionPreference = "Stop"
Set-Location (Resolve-Path "$PSScriptRoot\..\..")

function Invoke-Checked {
    param([string]$Program, [string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Program $Arguments failed with exit code $LASTEXITCODE" }
}

$version = (& $Python -c "import hubtokens; print(hubtokens.__version__)").Trim()
Write-Host "==> rendering the app icon (build\icons\hubtokens.ico)"
Invoke-Checked $Python @("installer\render_icons.py", "ico", "build\icons\hubtokens.ico")

Write-Host "==> freezing (PyInstaller) into dist\hubtokens"
Invoke-Checked $Python @("-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
    "--distpath", "dist", "--workpath", "build\pyinstaller", "installer\pyinstaller\hubtokens.spec")

Write-Host "==> smoke checks of the frozen programs"
Invoke-Checked $Python @("installer\pyinstaller\check_bundle.py", "dist\hubtokens")
Invoke-Checked "dist\hubtokens\hubtokens.exe" @("--version")
Invoke-Checked "dist\hubtokens\docker-credential-hubtokens.exe" @("version")
$shots = Join-Path $env:TEMP "hubtokens-shots"
$env:QT_QPA_PLATFORM = "offscreen"
# A windowed program: wait for it explicitly.
$gui = Start-Process -FilePath "dist\hubtokens\hubtokens-gui.exe" -ArgumentList @("--demo", "--screenshots", $shots) -Wait -PassThru
Remove-Item Env:QT_QPA_PLATFORM
if ($gui.ExitCode -ne 0) { throw "hubtokens-gui --demo --screenshots failed ($($gui.ExitCode))" }
if (-not (Test-Path "$shots\tokens.png")) { throw "no screenshots in $shots" }

Write-Host "==> building the installer (Inno Setup)"
Invoke-Checked $Iscc @("/DAppVersion=$version", "installer\windows\hubtokens.iss")
Write-Host "==> done: dist\HubTokens-$version-setup.exe"
