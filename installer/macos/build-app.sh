#!/usr/bin/env bash
# macOS: build dist/Hub Tokens.app and dist/HubTokens-<version>.dmg. Run on a Mac, from anywhere:
#
#   installer/macos/build-app.sh
#
# Environment:
#   PYTHON               a Python 3.11+ with `pip install -e '.[installer]'` (default .venv/bin/python)
#   CODESIGN_IDENTITY    "Developer ID Application: ..." to sign (hardened runtime, with
#                        installer/macos/entitlements.plist); unsigned when unset
#   NOTARY_PROFILE       a `xcrun notarytool store-credentials` profile: notarize and staple
#
# Not built or run by CI (CI is Linux). What it checks here, on the Mac, is listed at the end.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
app="$root/dist/Hub Tokens.app"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
cd "$root"
version="$("$python" -c 'import hubtokens; print(hubtokens.__version__)')"

say "rendering the app icon (build/icons/hubtokens.icns)"
rm -rf build/icons/hubtokens.iconset
"$python" installer/render_icons.py iconset build/icons/hubtokens.iconset
iconutil -c icns build/icons/hubtokens.iconset -o build/icons/hubtokens.icns

say "freezing (PyInstaller): $app"
export CODESIGN_IDENTITY="${CODESIGN_IDENTITY:-}"
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  installer/pyinstaller/hubtokens.spec

say "checking the bundle"
"$python" installer/pyinstaller/check_bundle.py dist/hubtokens
plist="$app/Contents/Info.plist"
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$plist")" = "true" ] ||
  { echo "build-app: LSUIElement is not set in $plist" >&2; exit 1; }
[ "$(/usr/libexec/PlistBuddy -c 'Print :CFBundleExecutable' "$plist")" = "hubtokens-gui" ] ||
  { echo "build-app: CFBundleExecutable is not hubtokens-gui" >&2; exit 1; }
for program in hubtokens-gui hubtokens docker-credential-hubtokens; do
  [ -x "$app/Contents/MacOS/$program" ] || { echo "build-app: no $program in the .app" >&2; exit 1; }
done
"$app/Contents/MacOS/hubtokens" --version
"$app/Contents/MacOS/docker-credential-hubtokens" version
ls "$app"/Contents/Resources/hubtokens/gui/assets/tray-*Template.svg >/dev/null
shots="$(mktemp -d)"
QT_QPA_PLATFORM=offscreen "$app/Contents/MacOS/hubtokens-gui" --demo --screenshots "$shots"
ls "$shots"/*.png >/dev/null

if [ -n "$CODESIGN_IDENTITY" ]; then
  say "verifying the signature"
  codesign --verify --deep --strict --verbose=2 "$app"
  if [ -n "${NOTARY_PROFILE:-}" ]; then
    say "notarizing"
    zip="$root/build/HubTokens-notarize.zip"
    ditto -c -k --keepParent "$app" "$zip"
    xcrun notarytool submit "$zip" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$app"
    spctl --assess --type execute --verbose "$app"
  fi
fi

say "making the disk image"
staging="$root/build/dmg"
rm -rf "$staging"
mkdir -p "$staging"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
cp "$here/install-command-line-tools.command" "$staging/Install Command Line Tools.command"
chmod +x "$staging/Install Command Line Tools.command"
dmg="$root/dist/HubTokens-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "Hub Tokens" -srcfolder "$staging" -ov -format UDZO "$dmg"
if [ -n "$CODESIGN_IDENTITY" ]; then
  codesign --sign "$CODESIGN_IDENTITY" --timestamp "$dmg"
fi
say "done: $dmg"
