"""A smaller ICU data library for the Linux bundle: root and English only.

PySide6's Linux wheels ship ICU, and libQt6Core links it, so libicudata.so.NN (31 MB, every
locale's collation, time-zone names, currencies, units, ...; all the legacy character-set
converters) cannot be left out. Hub Tokens is English-only; Qt uses ICU for locale-aware
collation, time-zone display names and non-Unicode codecs, none of which the app relies on
(sorting in the token table is not locale-aware; dates are formatted in Python; text is UTF-8).
Other locales fall back to ICU's root data, as ICU does for any locale it lacks.

What is kept: all non-locale data (normalization, properties, time-zone rules, likely subtags,
plural rules, ...), the break-iterator dictionaries (root's rules name them), and the ``root``,
``pool`` and ``en*`` resources of every tree. What goes: other locales' resources, the
``*.cnv`` converter tables (UTF-8/16/32, ASCII and Latin-1 are built into ICU) and the
transliterators.

How: the data is one symbol, ``icudtNN_dat``, in libicudata. It is cut out of the ELF file,
thinned with ``icupkg -r`` (Debian: icu-devtools; its package format is the same across ICU
versions) and linked into a new libicudata.so.NN with ``as`` and ``ld`` (binutils) under the
same soname and symbol. Used by hubtokens.spec; tests/installer checks Qt on the result.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

_LOCALE_RESOURCE = re.compile(r"^(?:[a-z]+/)?(?P<name>[a-z]{2,3}(?:_[A-Za-z0-9]*)*)\.res$")
TOOLS = ("icupkg", "as", "ld")


def dropped_items(items: Iterable[str]) -> list[str]:
    """Of an ICU data package's item names (``coll/de.res``), those to leave out."""
    dropped = []
    for item in items:
        if item.endswith(".cnv") or item.startswith("translit/"):
            dropped.append(item)
            continue
        locale = _LOCALE_RESOURCE.match(item)
        if locale and not (locale["name"] == "en" or locale["name"].startswith("en_")):
            dropped.append(item)
    return dropped


def data_symbol(library: bytes) -> tuple[str, int, int]:
    """``(name, file offset, size)`` of the ``icudtNN_dat`` symbol in an ELF64 shared library."""
    if library[:4] != b"\x7fELF" or library[4] != 2 or library[5] != 1:
        raise ValueError("not a little-endian ELF64 file")
    (shoff,) = struct.unpack_from("<Q", library, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", library, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", library, shoff + index * shentsize)
        for index in range(shnum)
    ]
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strings_offset = sections[link][4]
        for start in range(offset, offset + size, entsize):
            name_at, _, _, section, value, length = struct.unpack_from("<IBBHQQ", library, start)
            end = library.index(b"\0", strings_offset + name_at)
            name = library[strings_offset + name_at : end].decode("ascii")
            if re.fullmatch(r"icudt\d+_dat", name):
                _, _, _, address, section_offset, *_ = sections[section]
                return name, value - address + section_offset, length
    raise ValueError("no icudtNN_dat symbol")


def thinned_library(original: Path, work: Path) -> Path:
    """A new ``libicudata.so.NN`` in ``work`` with the data this app needs."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"thinning ICU data needs {', '.join(missing)} (Debian: icu-devtools binutils)"
        )
    library = original.read_bytes()
    symbol, offset, size = data_symbol(library)
    package = symbol.removesuffix("_dat") + "l"  # icudt73l: ICU's name for little-endian data
    for folder in ("in", "out"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    source, thinned = work / "in" / f"{package}.dat", work / "out" / f"{package}.dat"
    source.write_bytes(library[offset : offset + size])
    thinned.unlink(missing_ok=True)
    listing = subprocess.run(
        ["icupkg", "-l", str(source)], capture_output=True, text=True, check=True
    ).stdout
    drop_list = work / "dropped.txt"
    drop_list.write_text("\n".join(dropped_items(listing.split())) + "\n", encoding="utf-8")
    subprocess.run(
        ["icupkg", "-r", str(drop_list), str(source), str(thinned)],
        capture_output=True,
        text=True,
        check=True,
    )
    assembly = work / "icudata.s"
    assembly.write_text(
        "\t.section .rodata\n"
        f"\t.globl {symbol}\n"
        f"\t.type {symbol}, @object\n"
        "\t.balign 16\n"
        f"{symbol}:\n"
        f'\t.incbin "{thinned}"\n'
        f"\t.size {symbol}, . - {symbol}\n"
        '\t.section .note.GNU-stack,"",@progbits\n',
        encoding="utf-8",
    )
    result = work / original.name
    subprocess.run(["as", "-o", str(work / "icudata.o"), str(assembly)], check=True)
    subprocess.run(
        ["ld", "-shared", "-soname", original.name, "-o", str(result), str(work / "icudata.o")],
        check=True,
    )
    return result
