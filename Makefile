# Installers. The README's two commands are ./run demo and ./run test; `./run installer` sets up
# what these targets need (Debian packages, the venv with the `installer` extra) and runs
# `make installer`.
#
#   make installer      the Linux bundle (dist/hubtokens/) and the .deb (dist/hubtokens_*.deb)
#   make bundle         only the PyInstaller bundle
#   make deb            only the .deb, from the bundle in dist/hubtokens/
#   make bundle-sizes   the bundle's size untrimmed (PyInstaller's defaults), then trimming
#                       Qt (plugins, translations, modules) and stripping, then leaving the
#                       system libraries to the .deb's Depends, then thinning ICU's data
#   make clean          remove build/ and dist/
#
# PYTHON is a Python with hubtokens[installer] installed (default: the ./run venv).
# DEB_COMPRESSION=zstd makes a quicker, slightly larger .deb for local tries (default: xz).

VENV ?= $(or $(HUBTOKENS_VENV),.venv)
PYTHON ?= $(VENV)/bin/python
DIST ?= dist
BUILD ?= build
SPEC := installer/pyinstaller/hubtokens.spec
PYINSTALLER = $(PYTHON) -m PyInstaller --noconfirm --log-level WARN

.PHONY: installer bundle deb bundle-sizes clean

installer: deb

bundle:
	$(PYINSTALLER) --distpath $(DIST) --workpath $(BUILD)/pyinstaller $(SPEC)
	$(PYTHON) installer/pyinstaller/check_bundle.py $(DIST)/hubtokens

deb: bundle
	PYTHON="$(PYTHON)" installer/linux/build-deb.sh $(DIST)/hubtokens $(DIST)

bundle-sizes:
	$(PYINSTALLER) --distpath $(BUILD)/sizes/plain --workpath $(BUILD)/sizes/work-plain $(SPEC) -- --plain
	$(PYINSTALLER) --distpath $(BUILD)/sizes/qt-trimmed --workpath $(BUILD)/sizes/work-qt $(SPEC) -- --keep-system-libraries --full-icu-data
	$(PYINSTALLER) --distpath $(BUILD)/sizes/system-libs-from-deb --workpath $(BUILD)/sizes/work-sys $(SPEC) -- --full-icu-data
	$(PYINSTALLER) --distpath $(BUILD)/sizes/final --workpath $(BUILD)/sizes/work-final $(SPEC)
	@for kind in plain qt-trimmed system-libs-from-deb final; do \
	  printf '%-18s %s MiB\n' "$$kind" \
	    "$$(du -sk --apparent-size $(BUILD)/sizes/$$kind/hubtokens | awk '{printf "%.0f", $$1 / 1024}')"; \
	done

clean:
	rm -rf $(BUILD) $(DIST)
