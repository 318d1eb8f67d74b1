#!/usr/bin/env bash
# Build dist/hubtokens_<version>_<arch>.deb from the PyInstaller bundle (dist/hubtokens).
#
#   installer/linux/build-deb.sh [BUNDLE_DIR [OUT_DIR]]      (`make deb` runs it)
#
# What the package installs, and nothing else (no maintainer scripts: dpkg's triggers refresh
# the icon cache, the desktop database and the AppStream cache):
#   /opt/hubtokens/                                   the bundle: three programs + _internal/
#   /usr/bin/{hubtokens,hubtokens-gui} -> /opt/hubtokens/...
#   /usr/bin/docker-credential-hubtokens              a launcher (helper_tree.py): the system
#   /opt/hubtokens/helper/                            python3.X runs the helper's modules from
#                                                     here, with the bytecode the package ships;
#                                                     without it the frozen helper answers (the
#                                                     package depends on no Python)
#   /usr/share/applications/io.github.hubtokens.HubTokens.desktop
#   /usr/share/metainfo/io.github.hubtokens.HubTokens.metainfo.xml
#   /usr/share/icons/hicolor/{16x16..256x256,scalable,symbolic}/apps/io.github.hubtokens.HubTokens*
#   /usr/share/doc/hubtokens/{copyright,changelog.gz}
# Removing it removes exactly these. What the app keeps for a person (settings in
# ~/.config/hubtokens, keychain items, an autostart entry, docker's config.json entries) is
# theirs: no maintainer script ever touches a home folder, so `apt purge` leaves it too.
#
# Depends is computed, not hand-written: dpkg-shlibdeps reads every ELF file in the bundle and
# names the Debian packages (with minimum versions) of each library the bundle links but does
# not carry. It fails the build when a library is found nowhere.
#
# Needs: dpkg-deb, dpkg-shlibdeps (dpkg-dev), a Python with PySide6 to render the icons
# ($PYTHON, default .venv/bin/python) and, for the helper's quick path, the system's python3
# (/usr/bin/python3, the release's own); no fakeroot (--root-owner-group). DEB_MAINTAINER sets the
# Maintainer field (the project has no public address yet).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="$(realpath "${1:-$root/dist/hubtokens}")"
out="${2:-$root/dist}"
python="${PYTHON:-$root/.venv/bin/python}"
app_id="io.github.hubtokens.HubTokens"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

for program in hubtokens hubtokens-gui docker-credential-hubtokens; do
  [ -x "$bundle/$program" ] || { echo "build-deb: no $bundle/$program (run: make bundle)" >&2; exit 1; }
done
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/src/hubtokens/__init__.py")"
[ -n "$version" ] || { echo "build-deb: no __version__ in src/hubtokens/__init__.py" >&2; exit 1; }
arch="$(dpkg --print-architecture)"
work="$root/build/deb"
pkg="$work/hubtokens_${version}_${arch}"
rm -rf "$work"
mkdir -p "$pkg/DEBIAN" "$out"

say "staging the package tree in $pkg"
install -d "$pkg/opt" "$pkg/usr/bin"
cp -a "$bundle" "$pkg/opt/hubtokens"
for program in hubtokens hubtokens-gui; do
  ln -s "/opt/hubtokens/$program" "$pkg/usr/bin/$program"
done
say "the credential helper's launcher and modules for the system Python"
"$python" "$here/helper_tree.py" "$pkg"
install -Dm644 "$root/resources/linux/$app_id.desktop" "$pkg/usr/share/applications/$app_id.desktop"
install -Dm644 "$root/resources/linux/$app_id.metainfo.xml" "$pkg/usr/share/metainfo/$app_id.metainfo.xml"
"$python" "$root/installer/render_icons.py" hicolor "$pkg/usr/share/icons"
doc="$pkg/usr/share/doc/hubtokens"
install -d "$doc"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: Hub Tokens"
  echo "Comment: /opt/hubtokens bundles, frozen with PyInstaller: CPython (PSF-2.0), Qt and"
  echo " PySide6 (LGPL-3.0-only), ICU (Unicode-3.0), keyring, requests, platformdirs,"
  echo " SecretStorage, jeepney, cryptography and their dependencies, each under its own"
  echo " licence; the licence files that ship with them are in /opt/hubtokens/_internal."
  echo
  echo "Files: *"
  echo "Copyright: Hub Tokens developers"
  echo "License: MIT"
  sed 's/^$/./; s/^/ /' "$root/LICENSE"
} >"$doc/copyright"
gzip -9n -c "$root/CHANGELOG.md" >"$doc/changelog.gz"

# Owner-only or odd modes from the build machine must not reach /opt: directories 755,
# files 644, executables (the programs and the shared objects) 755.
find "$pkg/opt" "$pkg/usr" -type d -exec chmod 755 {} +
find "$pkg/opt" "$pkg/usr" -type f -perm /111 -exec chmod 755 {} +
find "$pkg/opt" "$pkg/usr" -type f ! -perm /111 -exec chmod 644 {} +

say "computing Depends from the libraries the bundle links (dpkg-shlibdeps)"
elf_files=()
while IFS= read -r -d '' file; do
  [ "$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ] && elf_files+=("$file")
done < <(find "$pkg/opt/hubtokens" -type f -print0)
library_dirs=()
while IFS= read -r dir; do library_dirs+=("-l$dir"); done \
  < <(printf '%s\n' "${elf_files[@]}" | xargs -n1 dirname | sort -u)
mkdir -p "$work/debian"  # dpkg-shlibdeps reads ./debian/control
printf 'Source: hubtokens\n\nPackage: hubtokens\nArchitecture: any\n' >"$work/debian/control"
shlib_log="$work/dpkg-shlibdeps.log"
if ! (cd "$work" && dpkg-shlibdeps -O -S"$pkg" "${library_dirs[@]}" \
  "${elf_files[@]}") >"$work/shlibs.txt" 2>"$shlib_log"; then
  cat "$shlib_log" >&2
  echo "build-deb: dpkg-shlibdeps failed: a library the bundle links is neither in the bundle nor in an installed Debian package" >&2
  exit 1
fi
# Its warnings are about the bundle's private libraries (no shlibs files; $ORIGIN RPATHs):
# expected for a bundle; kept in the log.
shlib_depends="$(sed -n 's/^shlibs:Depends=//p' "$work/shlibs.txt")"
[ -n "$shlib_depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

installed_kib="$(du -sk --apparent-size "$pkg/opt" "$pkg/usr" | awk '{s += $1} END {print s}')"
cat >"$pkg/DEBIAN/control" <<EOF
Package: hubtokens
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-Hub Tokens developers <maintainers@hubtokens.invalid>}
Installed-Size: $installed_kib
Depends: $shlib_depends
Recommends: gnome-keyring, dbus-user-session
Suggests: docker.io | docker-ce-cli
Section: devel
Priority: optional
Homepage: https://github.com/hubtokens/hubtokens
Description: Docker Hub access tokens from the system tray
 Hub Tokens signs in to Docker Hub once, creates a labelled personal access
 token for this device, keeps it in the system keychain (the Secret Service,
 such as GNOME Keyring), recreates it when it is deleted on the Hub, and hands
 it to docker and other tools as the credential helper
 docker-credential-hubtokens. Its window manages the account's access tokens.
 .
 This package installs the app in /opt/hubtokens, with hubtokens,
 hubtokens-gui and docker-credential-hubtokens on PATH.
EOF

deb="$out/hubtokens_${version}_${arch}.deb"
say "building $deb"
rm -f "$deb"
# xz is what every dpkg reads and the smallest (~75 s on 2 cores); DEB_COMPRESSION=zstd takes
# ~5 s for a ~25% larger file (dpkg >= 1.21.18 and Ubuntu read it).
case "${DEB_COMPRESSION:-xz}" in
  xz) compression=(-Zxz -z6) ;;
  zstd) compression=(-Zzstd -z9) ;;
  *) echo "build-deb: DEB_COMPRESSION is xz or zstd" >&2; exit 2 ;;
esac
dpkg-deb --root-owner-group --threads-max="$(nproc)" "${compression[@]}" --build "$pkg" "$deb" >/dev/null
say "$(du -h "$deb" | cut -f1) $deb (installed: $((installed_kib / 1024)) MiB); Depends: $shlib_depends"
