#!/usr/bin/env bash
# The demo behind `./run demo`: a local Hub with the demo account, the CLI signed in to it,
# then a shell to try things in (or a short tour when there is no terminal).
# Usage: scripts/demo.sh VENV
set -euo pipefail
venv="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A keychain is required (Hub Tokens never falls back to plaintext). Without a desktop session,
# run the demo inside a private D-Bus session with a throwaway, unlocked gnome-keyring.
if [ -z "${HUBTOKENS_DEMO_SESSION:-}" ] && ! "$venv/bin/python" - <<'PY' 2>/dev/null
import keyring, keyring.backends.fail, keyring.backends.chainer, sys
backend = keyring.get_keyring()
sys.exit(0 if backend.priority >= 1 and not isinstance(backend, keyring.backends.fail.Keyring) else 1)
PY
then
  say "no keychain in this session: starting a private D-Bus session with a throwaway gnome-keyring"
  demo_home="$(mktemp -d)"
  export HOME="$demo_home" XDG_DATA_HOME="$demo_home/.local/share" HUBTOKENS_DEMO_SESSION=1
  # dbus-daemon's "Failed to set fd limit" is harmless noise when not root-unlimited.
  exec 2> >(grep -v "Failed to set fd limit" >&2)
  exec dbus-run-session -- bash -c '
    eval "$(printf "%s" "demo-keyring" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
    for _ in $(seq 1 50); do
      dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
      sleep 0.1
    done
    exec "$0" "$@"' "$0" "$venv"
fi

export PATH="$venv/bin:$PATH"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  say "starting the desktop app on a demo Hub (hubtokens-gui --demo)"
  exec hubtokens-gui --demo
fi
say "no display: showing the command line instead (on a desktop, ./run demo opens the app;"
say "its screens can be rendered here with: hubtokens-gui --demo --screenshots DIR)"
export HUBTOKENS_HOME="${HUBTOKENS_HOME:-$(mktemp -d)}"
url_file="$HUBTOKENS_HOME/hub-url"

say "starting the local Hub (hubtokens hub serve --demo)"
hubtokens hub serve --demo --data "$HUBTOKENS_HOME/localhub" >"$url_file" 2>"$HUBTOKENS_HOME/hub.log" &
hub_pid=$!
cleanup() {
  hubtokens signout >/dev/null 2>&1 || true   # removes the demo's keychain entries
  kill "$hub_pid" 2>/dev/null || true
  wait "$hub_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -s "$url_file" ] && break
  sleep 0.05
done
HUBTOKENS_HUB_URL="$(head -n 1 "$url_file")"
export HUBTOKENS_HUB_URL

say "signing the CLI in as demo (password read from stdin, never from argv)"
printf '%s' demo-password | hubtokens signin --username demo --password-stdin
echo
hubtokens status
echo
hubtokens token ls
cat <<TRY

The local Hub runs at $HUBTOKENS_HUB_URL with the demo account.
Try:
  hubtokens token create --description "CI pipeline" --access read-write --expires 30d
  hubtokens token deactivate UUID        # then: hubtokens token activate UUID
  hubtokens token rm UUID
  hubtokens token print                  # this device's auto token, for scripts
  hubtokens token rm AUTO_TOKEN_UUID --yes; hubtokens status
                                         # status says it was deleted and when it comes back:
                                         # automatic recreation waits out a 10-minute budget
  hubtokens sync --now                   # your own request: recreated at once
  hubtokens status --json
  hubtokens signout; hubtokens signin    # sign in through the browser, as docker login does:
                                         # open the page it prints, sign in as demo with the
                                         # password demo-password, and approve
Type exit to stop the demo (the local Hub stops with it).
TRY
if [ -t 0 ]; then
  PS1='(hubtokens demo) \w \$ ' bash --norc -i
fi
