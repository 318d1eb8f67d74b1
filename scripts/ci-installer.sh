#!/usr/bin/env bash
# The installer's CI proof (issue 5), on this Debian/Ubuntu machine, as root or with sudo:
#
#   1. build the bundle and the .deb                       (./run installer -> make installer)
#   2. install the .deb with apt, so its Depends resolve from the archive
#   3. run the INSTALLED programs, from a clean environment (env -i, PATH=/usr/bin:/bin):
#      hubtokens --version; docker-credential-hubtokens version;
#      hubtokens-gui --demo --screenshots DIR offscreen (the tour fails unless the demo data
#      loads), and the PNGs it saved;
#   4. one credential round trip through the installed programs, all on loopback, inside a
#      private D-Bus session with a throwaway unlocked gnome-keyring: the installed CLI starts
#      its local Hub, signs in (its auto token goes to the keychain through keyring), names the
#      helper in docker's config; the installed helper then answers `get` with that very token,
#      `store`s and `erase`s a docker login, `list`s; the CLI signs out. Which program answered
#      is read from its execve calls (strace): the helper's launcher runs the system python3.X
#      (-I -S -B); and (as root) the frozen helper answers `get` and `list` when, in a private
#      mount namespace, that python3.X is hidden, or its json package is (a partial standard
#      library). Running the helper wrote nothing into /opt/hubtokens (as root too);
#   5. the installed desktop entry and metainfo validate, the icons are there;
#   6. apt-get remove, then dpkg --purge: every path `dpkg -L` listed is gone unless it was there before
#      the install (/opt, /usr/bin, shared icon folders), everything that was there before still
#      is, and the person's keychain item and settings are still there.
#
#   scripts/ci-installer.sh                 build with ./run installer (the .venv, extra [installer])
#   PYTHON=/some/python scripts/ci-installer.sh   build with that Python (it needs pyinstaller)
# It leaves the screenshots in build/ci-installer/screenshots/ and prints its wall time.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
say() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }
fail() { echo "ci-installer: FAIL: $*" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_get() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@"; }
work="$(mktemp -d)"
hub_pid=""
cleanup() {
  [ -z "$hub_pid" ] || kill "$hub_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# strace tells which programs the installed helper ran (step 4).
if ! command -v strace >/dev/null; then
  say "installing strace"
  apt_get update && apt_get install --no-install-recommends strace >/dev/null
fi

# Anything left from an earlier run would hide what this one installs.
if dpkg-query -W -f='${db:Status-Abbrev}' hubtokens 2>/dev/null | grep -q '^[ric]'; then
  say "purging an earlier hubtokens package"
  $sudo dpkg --purge hubtokens >/dev/null
fi
[ ! -e /opt/hubtokens ] || fail "/opt/hubtokens exists while the package is not installed"

# --- 1. build -----------------------------------------------------------------------------
say "building the bundle and the .deb"
if [ -n "${PYTHON:-}" ]; then
  make installer PYTHON="$PYTHON"
else
  ./run installer
fi
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' src/hubtokens/__init__.py)"
deb="dist/hubtokens_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "no $deb"
say "built $deb ($(du -h "$deb" | cut -f1); bundle $(du -sh dist/hubtokens | cut -f1))"

# --- 2. install ---------------------------------------------------------------------------
# What of the package's paths exists already (/opt, /usr/bin, shared icon folders...): after
# removal exactly these may remain, and all of them must.
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort -u >"$work/package-paths.txt"
while IFS= read -r path; do
  if [ -e "$path" ] || [ -L "$path" ]; then echo "$path"; fi
done <"$work/package-paths.txt" >"$work/existed-before.txt"
say "installing it with apt-get (Depends from the archive)"
cp "$deb" "$work/"  # apt's _apt user must be able to read it
chmod 755 "$work"
apt_get install "$work/$(basename "$deb")" >"$work/apt-install.log" 2>&1 ||
  { cat "$work/apt-install.log" >&2; fail "apt-get install"; }
dpkg-query -W -f='${db:Status-Abbrev}${Version}\n' hubtokens | grep -qx "ii *$version" ||
  fail "hubtokens $version is not installed"
dpkg -L hubtokens | grep -vx '/\.' | sort -u >"$work/installed.txt"
cmp -s "$work/installed.txt" "$work/package-paths.txt" ||
  fail "dpkg -L and the .deb's contents differ: $(diff "$work/package-paths.txt" "$work/installed.txt" | head)"
while IFS= read -r path; do
  [ -e "$path" ] || [ -L "$path" ] || fail "dpkg -L lists $path but it does not exist"
done <"$work/installed.txt"
say "installed $(grep -c . "$work/installed.txt") paths"

# --- 3. the installed programs ------------------------------------------------------------
home="$work/home"
mkdir -p "$home"
# Nothing of the build, the venv or this shell: only what the package put on PATH.
installed() { env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 "$@"; }
for program in hubtokens hubtokens-gui docker-credential-hubtokens; do
  [ "$(installed sh -c "command -v $program")" = "/usr/bin/$program" ] || fail "$program is not /usr/bin/$program"
  [ -x "/opt/hubtokens/$program" ] || fail "no /opt/hubtokens/$program"
done
for program in hubtokens hubtokens-gui; do
  [ "$(readlink -f "/usr/bin/$program")" = "/opt/hubtokens/$program" ] || fail "/usr/bin/$program does not lead to /opt/hubtokens"
done
# The helper is a launcher for the system Python the package was built with (this machine's).
[ ! -L /usr/bin/docker-credential-hubtokens ] ||
  fail "the package's helper is the frozen one alone (see helper_tree's line in the build log)"
out="$(installed hubtokens --version)"
[ "$out" = "hubtokens $version" ] || fail "hubtokens --version said: $out"
out="$(installed docker-credential-hubtokens version)"
[ "$out" = "docker-credential-hubtokens (Hub Tokens) $version" ] || fail "helper version said: $out"
say "hubtokens --version and docker-credential-hubtokens version: $version"

shots="$here/build/ci-installer/screenshots"
rm -rf "$shots"
say "hubtokens-gui --demo --screenshots (offscreen)"
installed QT_QPA_PLATFORM=offscreen hubtokens-gui --demo --screenshots "$shots" >"$work/gui.log" 2>&1 ||
  { cat "$work/gui.log" >&2; fail "hubtokens-gui --demo --screenshots"; }
# The tour exits 0 only after the demo's sign-in, first sync and token list have come up.
python3 - "$shots" <<'PY' || fail "the screenshots are missing or empty"
import struct, sys
from pathlib import Path

shots = Path(sys.argv[1])
pngs = sorted(shots.glob("*.png"))
names = {p.name for p in pngs}
missing = {"window.png", "tokens.png", "tray-menu.png"} - names
if missing:
    sys.exit(f"missing: {sorted(missing)} (saved: {sorted(names)})")
for png in pngs:
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        sys.exit(f"{png.name}: not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    if width < 100 or height < 50 or len(data) < 5000:
        sys.exit(f"{png.name}: {width}x{height}, {len(data)} bytes: too small to show anything")
    print(f"  {png.name}: {width}x{height}, {len(data) // 1024} KiB")
PY

# --- 4. a credential round trip through the installed programs ------------------------------
say "credential round trip: installed CLI + helper, local Hub, private gnome-keyring"
cat >"$work/round-trip.sh" <<'EOF'
set -euo pipefail
fail() { echo "ci-installer: FAIL: $*" >&2; exit 1; }
eval "$(printf '%s' ci-keyring | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
for _ in $(seq 1 50); do  # the daemon must own the name before anything asks for it
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
export DOCKER_CONFIG="$HOME/docker"
registry="127.0.0.1:5999"  # named in docker's config, never contacted

hubtokens hub serve --demo --data "$HOME/localhub" >"$HOME/hub-url" 2>"$HOME/hub.log" &
echo $! >"$HOME/hub.pid"
for _ in $(seq 1 100); do [ -s "$HOME/hub-url" ] && break; sleep 0.05; done
hub="$(head -n 1 "$HOME/hub-url")"
[ -n "$hub" ] || fail "the installed CLI's local Hub did not start: $(cat "$HOME/hub.log")"

printf '%s' demo-password | hubtokens --hub "$hub" signin --username demo --password-stdin
configured="$(hubtokens --hub "$hub" docker configure --registry "$registry" 2>&1)"
echo "$configured"
if grep -q "not on PATH" <<<"$configured"; then fail "configure did not find the installed helper on PATH"; fi
token="$(hubtokens --hub "$hub" token print)"
[ -n "$token" ] || fail "no auto token"

# Which programs answered a helper run: its successful execve calls, in order (strace pads
# the pid column; the frozen helper execs itself once more: uniq).
traced=(strace -f -qq -e trace=execve -o "$HOME/execve.log")
expect_get() {  # the answer in $HOME/answer is the auto token, from the programs $2...
  local why="$1" ran
  shift
  [ "$(cat "$HOME/answer")" = "{\"ServerURL\":\"$registry\",\"Username\":\"demo\",\"Secret\":\"$token\"}" ] ||
    fail "get ($why) did not answer the auto token: $(cat "$HOME/answer")"
  ran="$(sed -n 's/^[0-9]* *execve("\([^"]*\)", .* = 0$/\1/p' "$HOME/execve.log" | uniq)"
  [ "$ran" = "$(printf '%s\n' "$@")" ] || fail "get ($why) ran $(tr '\n' ' ' <<<"$ran"), not $*: $(cat "$HOME/execve.log")"
}
system_python="$(readlink -f /usr/bin/python3)"
"${traced[@]}" docker-credential-hubtokens get <<<"$registry" >"$HOME/answer"
expect_get "the system Python" /usr/bin/docker-credential-hubtokens "$system_python"
grep -qF "execve(\"$system_python\", [\"$system_python\", \"-I\", \"-S\", \"-B\", \"-c\"" "$HOME/execve.log" ||
  fail "the helper did not start $system_python -I -S -B: $(cat "$HOME/execve.log")"
if [ "$(id -u)" -eq 0 ]; then
  # "$@" in a private mount namespace where the file or folder $1 is hidden (empty).
  hidden() {
    local what="$1" cover=/dev/null
    shift
    if [ -d "$what" ]; then cover="$HOME/empty" && mkdir -p "$cover"; fi
    unshare --mount sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$cover" "$what" "$@"
  }
  stdlib_json="$("$system_python" -I -S -c 'import json, os; print(os.path.dirname(json.__file__))')"
  for gone in "$system_python" "$stdlib_json"; do
    hidden "$gone" "${traced[@]}" docker-credential-hubtokens get <<<"$registry" >"$HOME/answer"
    expect_get "without $gone" /usr/bin/docker-credential-hubtokens /opt/hubtokens/docker-credential-hubtokens
    [ "$(hidden "$gone" docker-credential-hubtokens list)" = "{\"$registry\":\"demo\"}" ] || fail "list without $gone"
  done
  echo "the helper ran $system_python; without it, or without its json, the frozen helper answered"
else
  echo "the helper ran $system_python; the fallback is not checked: hiding it needs root"
fi

# get: the helper reads, through its own Secret Service client, what the CLI stored via keyring.
answer="$(echo "$registry" | docker-credential-hubtokens get)"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert a == {"ServerURL": sys.argv[2], "Username": "demo", "Secret": sys.argv[3]}, a' \
  "$answer" "$registry" "$token" || fail "get did not answer the auto token: $answer"
[ "$(docker-credential-hubtokens list)" = "{\"$registry\":\"demo\"}" ] || fail "list"

# store and erase, as docker login and docker logout use them.
printf '{"ServerURL":"%s","Username":"ci-login","Secret":"ci-secret-1"}' "$registry" |
  docker-credential-hubtokens store
answer="$(echo "$registry" | docker-credential-hubtokens get)"
[ "$answer" = "{\"ServerURL\":\"$registry\",\"Username\":\"ci-login\",\"Secret\":\"ci-secret-1\"}" ] ||
  fail "get after store: $answer"
items="$(secret-tool search --all service hubtokens 2>&1)"  # attributes go to stderr
grep -qF "docker-login:ci-login@$registry" <<<"$items" || fail "the stored credential is not in the keychain: $items"
echo "$registry" | docker-credential-hubtokens erase
if answer="$(echo "$registry" | docker-credential-hubtokens get)"; then fail "get after erase answered: $answer"; fi
[ "$answer" = "credentials not found in native keychain" ] || fail "get after erase: $answer"

hubtokens --hub "$hub" signout
# One docker login stays in the keychain: removing the package must not touch it.
printf '{"ServerURL":"%s","Username":"ci-keeps","Secret":"ci-secret-2"}' "$registry" |
  docker-credential-hubtokens store
kill "$(cat "$HOME/hub.pid")"
echo "round trip: ok"
EOF
# A private D-Bus session; dbus-daemon's "Failed to set fd limit" is harmless noise.
in_keyring_session() {
  local status=0
  installed dbus-run-session -- bash "$1" 2>"$work/session.err" || status=$?
  grep -v "Failed to set fd limit" "$work/session.err" >&2 || true
  return "$status"
}
in_keyring_session "$work/round-trip.sh" || fail "the credential round trip"
# The helper ran from /opt/hubtokens (as root, when this runs as root): it wrote nothing there.
find /opt/hubtokens | sort >"$work/opt-now.txt"
grep '^/opt/hubtokens' "$work/installed.txt" | sort >"$work/opt-installed.txt"
cmp -s "$work/opt-now.txt" "$work/opt-installed.txt" ||
  fail "running the programs changed /opt/hubtokens: $(diff "$work/opt-installed.txt" "$work/opt-now.txt" | head)"

# --- 5. desktop integration, as installed -----------------------------------------------------
app_id="io.github.hubtokens.HubTokens"
say "validating the installed desktop entry, metainfo and icons"
desktop-file-validate "/usr/share/applications/$app_id.desktop"
appstreamcli validate --no-net --no-color "/usr/share/metainfo/$app_id.metainfo.xml" >"$work/appstream.log" ||
  { cat "$work/appstream.log" >&2; fail "appstreamcli validate"; }
for size in 16 22 24 32 48 64 128 256; do
  [ -f "/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png" ] || fail "no ${size}px icon"
done
[ -f "/usr/share/icons/hicolor/scalable/apps/$app_id.svg" ] || fail "no scalable icon"

# --- 6. remove, purge, and nothing left --------------------------------------------------------
say "apt-get remove"
apt_get remove hubtokens >"$work/apt-remove.log" 2>&1 || { cat "$work/apt-remove.log" >&2; fail "apt-get remove"; }
left=()
while IFS= read -r path; do
  if [ -e "$path" ] || [ -L "$path" ]; then
    grep -qxF "$path" "$work/existed-before.txt" || left+=("$path")
  fi
done <"$work/installed.txt"
[ ${#left[@]} -eq 0 ] || fail "left behind after remove: ${left[*]}"
while IFS= read -r path; do
  [ -e "$path" ] || [ -L "$path" ] || fail "removing the package removed $path, which was there before"
done <"$work/existed-before.txt"
[ ! -e /opt/hubtokens ] || fail "/opt/hubtokens is still there"
# With no conffiles and no maintainer scripts, remove already forgets the package; purge (by
# dpkg: apt no longer knows a local .deb) must find nothing more to do.
say "dpkg --purge"
$sudo dpkg --purge hubtokens >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
if dpkg-query -W -f='${db:Status-Abbrev}' hubtokens 2>/dev/null | grep -q '^[ric]'; then
  fail "dpkg still knows hubtokens after purge"
fi
ls /var/lib/dpkg/info/hubtokens.* >/dev/null 2>&1 && fail "dpkg's records of hubtokens are still there"
say "nothing of the package is left ($(grep -c . "$work/installed.txt") paths checked)"

# The person's data was never the package's: the keychain item and the settings stay.
[ -d "$home/.config/hubtokens" ] || fail "the settings folder went with the package"
cat >"$work/still-there.sh" <<'EOF'
set -euo pipefail
eval "$(printf '%s' ci-keyring | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
for _ in $(seq 1 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
items="$(secret-tool search --all service hubtokens 2>&1)"  # attributes go to stderr
grep -qF "docker-login:ci-keeps@" <<<"$items" ||
  { echo "ci-installer: FAIL: the keychain item went with the package: $items" >&2; exit 1; }
EOF
in_keyring_session "$work/still-there.sh" || fail "the person's keychain item"
say "the person's keychain item and settings are still there"

say "ci-installer: ok in ${SECONDS}s"
