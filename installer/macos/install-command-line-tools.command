#!/bin/bash
# Puts hubtokens and docker-credential-hubtokens on PATH (links in /usr/local/bin), so the docker
# CLI finds its credential helper. Double-click it in Finder after copying Hub Tokens to
# Applications; it asks for your password (sudo). Run it again after moving the app.
set -euo pipefail
app="/Applications/Hub Tokens.app"
if [ ! -d "$app" ]; then
  echo "Copy Hub Tokens to the Applications folder first, then run this again."
  exit 1
fi
sudo mkdir -p /usr/local/bin
for program in hubtokens docker-credential-hubtokens; do
  sudo ln -sf "$app/Contents/MacOS/$program" "/usr/local/bin/$program"
  echo "linked /usr/local/bin/$program"
done
echo
echo "Done. In a new terminal: hubtokens --version; hubtokens docker configure"
echo "To undo: sudo rm /usr/local/bin/hubtokens /usr/local/bin/docker-credential-hubtokens"
