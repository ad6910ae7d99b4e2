; Inno Setup script of Federation Desk: a per-user installation that needs no administrator rights.
;
; Build with installer\build.ps1 (it runs PyInstaller first, then this script). By hand, after the PyInstaller build:
;
;   ISCC.exe /DAppVersion=0.1.0 installer\federation-desk.iss
;
; Installs dist\FederationDesk\ (from installer\federation-desk.spec) into %LOCALAPPDATA%\Programs\Federation Desk,
; adds a Start-menu shortcut and, if ticked, a desktop shortcut. The uninstaller keeps the user's databases, backups
; and logs in %LOCALAPPDATA%\FederationDesk unless the user ticks the box that deletes them.
; Needs Inno Setup 6.3 or newer.

#define AppName "Federation Desk"
#define AppPublisher "Federation Desk developers"
; These four must match installer\bundle.py (tests\bundle\test_installer_files.py checks they do).
#define BundleName "FederationDesk"
#define GuiExe "federation-desk.exe"
#define CliExe "federation-desk-cli.exe"
; platformdirs folder of federation_desk.paths (appauthor "FederationDesk") and the QSettings registry key.
#define DataFolder "FederationDesk"

#ifndef BundleDir
  #define BundleDir AddBackslash(SourcePath) + "..\dist\" + BundleName
#endif
#if !FileExists(BundleDir + "\" + GuiExe)
  #error The PyInstaller bundle is missing: build it first (installer\build.ps1 does both steps).
#endif
; The version comes from federation_desk.__version__: build.ps1 passes it; otherwise it is read back from the
; version resource that the PyInstaller spec wrote into the executable from the same source.
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(BundleDir + "\" + GuiExe, "ProductVersion")
#endif
#if AppVersion == ""
  #error No version: pass /DAppVersion=X.Y.Z or build the bundle with installer\federation-desk.spec.
#endif
#define NumericVersion GetVersionNumbersString(BundleDir + "\" + GuiExe)

[Setup]
; Never change AppId: Windows uses it to recognise an upgrade of the same application.
AppId={{6F3C9A52-1E7B-4B8D-9C4A-2D5E8F1B7A93}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#NumericVersion}
VersionInfoProductVersion={#NumericVersion}
VersionInfoDescription={#AppName} setup
; Per user, no administrator rights, no option to ask for them.
PrivilegesRequired=lowest
DefaultDirName={userpf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#BundleDir}\..
OutputBaseFilename={#BundleName}-{#AppVersion}-setup
SetupIconFile=..\federation_desk\resources\icons\app.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the bundled libraries completely: a file left over from an older version could be loaded.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Comment: "The shared back office of the federation"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Code]
var
  RemoveUserData: Boolean;

function UserDataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataFolder}');
end;

{ Asks before uninstalling. The box that deletes the user's data starts unticked; Cancel stops the uninstall. }
function AskAboutUserData(): Boolean;
var
  Form: TSetupForm;
  Intro: TNewStaticText;
  RemoveBox: TNewCheckBox;
  UninstallButton, CancelButton: TNewButton;
begin
  Form := TSetupForm.CreateNew(nil);
  try
    Form.Caption := 'Uninstall {#AppName}';
    Form.BorderStyle := bsDialog;
    Form.Position := poScreenCenter;
    Form.ClientWidth := ScaleX(460);
    Form.ClientHeight := ScaleY(196);

    Intro := TNewStaticText.Create(Form);
    Intro.Parent := Form;
    Intro.AutoSize := False;
    Intro.WordWrap := True;
    Intro.Left := ScaleX(16);
    Intro.Top := ScaleY(16);
    Intro.Width := Form.ClientWidth - ScaleX(32);
    Intro.Height := ScaleY(88);
    Intro.Caption := '{#AppName} will be removed from this computer.' + #13#10 + #13#10 +
      'Your databases, their backups and the log files in ' + UserDataFolder() +
      ' are kept, so that a new installation finds them again. Databases saved in other folders are never touched.';

    RemoveBox := TNewCheckBox.Create(Form);
    RemoveBox.Parent := Form;
    RemoveBox.Left := ScaleX(16);
    RemoveBox.Top := Intro.Top + Intro.Height + ScaleY(12);
    RemoveBox.Width := Form.ClientWidth - ScaleX(32);
    RemoveBox.Height := ScaleY(20);
    RemoveBox.Caption := 'Also delete my {#AppName} data (this cannot be undone)';
    RemoveBox.Checked := False;

    UninstallButton := TNewButton.Create(Form);
    UninstallButton.Parent := Form;
    UninstallButton.Caption := '&Uninstall';
    UninstallButton.Width := ScaleX(90);
    UninstallButton.Height := ScaleY(25);
    UninstallButton.Left := Form.ClientWidth - ScaleX(16 + 90 + 8 + 90);
    UninstallButton.Top := Form.ClientHeight - ScaleY(25 + 14);
    UninstallButton.ModalResult := mrOk;
    UninstallButton.Default := True;

    CancelButton := TNewButton.Create(Form);
    CancelButton.Parent := Form;
    CancelButton.Caption := 'Cancel';
    CancelButton.Width := ScaleX(90);
    CancelButton.Height := ScaleY(25);
    CancelButton.Left := Form.ClientWidth - ScaleX(16 + 90);
    CancelButton.Top := UninstallButton.Top;
    CancelButton.ModalResult := mrCancel;
    CancelButton.Cancel := True;

    Form.ActiveControl := UninstallButton;
    Result := Form.ShowModal() = mrOk;
    RemoveUserData := Result and RemoveBox.Checked;
  finally
    Form.Free();
  end;
end;

function InitializeUninstall(): Boolean;
begin
  RemoveUserData := False;
  { A silent uninstall (for example by IT tools: unins000.exe /VERYSILENT) always keeps the user's data. }
  if UninstallSilent() then
    Result := True
  else
    Result := AskAboutUserData();
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and RemoveUserData then
  begin
    if DirExists(UserDataFolder()) and not DelTree(UserDataFolder(), True, True, True) then
      MsgBox('Some files in ' + UserDataFolder() + ' could not be deleted, perhaps because a database is still ' +
        'open in another program. Close it and delete the folder yourself.', mbError, MB_OK);
    { The app's settings (window layout, recent databases) live in the registry under the same name. }
    RegDeleteKeyIncludingSubkeys(HKCU, 'Software\{#DataFolder}');
  end;
end;
