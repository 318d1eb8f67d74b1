; Inno Setup 6.3+ script: HubTokens-<version>-setup.exe from the PyInstaller bundle (dist\hubtokens).
; Built by installer\windows\build.ps1 (which passes /DAppVersion=...). Not built by CI (Linux).
;
; It installs the three programs into one folder, per user by default (no admin rights needed;
; "Install for all users" is offered), and
;   - puts that folder on PATH (the user's PATH, or the system PATH for an all-users install),
;     so the docker CLI finds docker-credential-hubtokens.exe and a terminal finds hubtokens.exe;
;     the uninstaller takes it off again;
;   - offers "Start Hub Tokens when I sign in": the same HKCU Run value that the app's own
;     "Start at login" switch writes (src/hubtokens/gui/autostart.py, WindowsRunKey), so the
;     switch shows it as on and can turn it off; the uninstaller deletes it.
; Settings (%LOCALAPPDATA%\hubtokens) and Credential Manager entries are the person's and stay.

#define AppName "Hub Tokens"
#define AppId "io.github.hubtokens.HubTokens"
#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=0.1.0 hubtokens.iss (build.ps1 does)
#endif
#define Gui "hubtokens-gui.exe"
; gui/autostart.py: DISPLAY_NAME and BACKGROUND_FLAG
#define RunValueName "Hub Tokens"
#define BackgroundFlag "--background"

[Setup]
AppId={#AppId}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Hub Tokens developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesEnvironment=yes
CloseApplications=yes
RestartApplications=no
SetupIconFile=..\..\build\icons\hubtokens.ico
UninstallDisplayIcon={app}\{#Gui}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=HubTokens-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
LicenseFile=..\..\LICENSE

[Tasks]
Name: "addtopath"; Description: "Add the command-line tools to PATH (docker finds its credential helper docker-credential-hubtokens this way)"; GroupDescription: "Command line:"
Name: "startatlogin"; Description: "Start Hub Tokens when I sign in"; GroupDescription: "Start-up:"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\hubtokens\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#Gui}"; AppUserModelID: "{#AppId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#Gui}"; AppUserModelID: "{#AppId}"; Tasks: desktopicon

[Registry]
; Start at login: "C:\...\hubtokens-gui.exe" --background, as WindowsRunKey writes it.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#RunValueName}"; ValueData: """{app}\{#Gui}"" {#BackgroundFlag}"; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#Gui}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; The tray app holds its files open: stop it before they are removed.
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM {#Gui}"; Flags: runhidden; RunOnceId: "StopHubTokens"

[Code]
const
  UserEnvironment = 'Environment';
  SystemEnvironment = 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';

function PathRoot(): Integer;
begin
  if IsAdminInstallMode() then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function PathKey(): String;
begin
  if IsAdminInstallMode() then
    Result := SystemEnvironment
  else
    Result := UserEnvironment;
end;

{ Whether Dir is one of the entries of the ';'-separated Path (case-insensitive). }
function PathHas(Path, Dir: String): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') > 0;
end;

procedure AddToPath(Dir: String);
var
  Path: String;
begin
  if not RegQueryStringValue(PathRoot(), PathKey(), 'Path', Path) then
    Path := '';
  if PathHas(Path, Dir) then
    exit;
  if (Path <> '') and (Copy(Path, Length(Path), 1) <> ';') then
    Path := Path + ';';
  RegWriteExpandStringValue(PathRoot(), PathKey(), 'Path', Path + Dir);
end;

procedure RemoveFromPath(Dir: String);
var
  Path: String;
  Position: Integer;
begin
  if not RegQueryStringValue(PathRoot(), PathKey(), 'Path', Path) then
    exit;
  Path := ';' + Path + ';';
  Position := Pos(';' + Uppercase(Dir) + ';', Uppercase(Path));
  if Position = 0 then
    exit;
  Delete(Path, Position, Length(Dir) + 1);
  Path := Copy(Path, 2, Length(Path) - 2);
  RegWriteExpandStringValue(PathRoot(), PathKey(), 'Path', Path);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Command: String;
begin
  if CurUninstallStep = usUninstall then
  begin
    RemoveFromPath(ExpandConstant('{app}'));
    { A Run value that points into this folder is stale once it is gone (the app's own switch
      may have written it without the installer's task). }
    if RegQueryStringValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run',
      '{#RunValueName}', Command) and (Pos(Uppercase(ExpandConstant('{app}')), Uppercase(Command)) > 0) then
      RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', '{#RunValueName}');
  end;
end;
