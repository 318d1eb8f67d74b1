"""Info.plist entries for "Hub Tokens.app", beyond those PyInstaller's BUNDLE writes itself
(CFBundleIdentifier, CFBundleExecutable, CFBundleIconFile, ...). Used by hubtokens.spec on macOS;
tests/installer checks it on every platform."""

from __future__ import annotations

# Qt 6.8 and later run on macOS 12 (Monterey) and newer.
MINIMUM_MACOS = "12.0"


def info_plist(version: str) -> dict[str, object]:
    return {
        "CFBundleName": "Hub Tokens",
        "CFBundleDisplayName": "Hub Tokens",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        # A menu-bar (tray) app: no Dock icon, no app menu, not in the app switcher. The
        # window still opens from the tray menu.
        "LSUIElement": True,
        "LSMinimumSystemVersion": MINIMUM_MACOS,
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "NSHighResolutionCapable": True,
        # Follow the system's light or dark appearance.
        "NSRequiresAquaSystemAppearance": False,
        "NSHumanReadableCopyright": "MIT licence, Hub Tokens developers",
    }
