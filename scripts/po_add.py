"""Add or update Indonesian translations without a full `make messages`, safe when several people run it at once.

Usage: python scripts/po_add.py translations.tsv   (one `English<TAB>Indonesian` pair a line; `\\n` for new lines)
       python scripts/po_add.py - < translations.tsv

Writes locale/id/LC_MESSAGES/django.po and compiles django.mo under a file lock. `make messages` later adds the
source locations and drops entries no longer used.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "id" / "LC_MESSAGES"


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.count("\t") != 1:
            raise SystemExit(f"line {number}: expected one tab between the English and the Indonesian text")
        english, indonesian = (part.replace("\\n", "\n") for part in line.split("\t"))
        pairs.append((english, indonesian))
    return pairs


def main() -> None:
    source = sys.stdin if sys.argv[1:] in ([], ["-"]) else open(sys.argv[1], encoding="utf-8")  # noqa: SIM115
    pairs = _pairs(source.read())
    with open(LOCALE / ".po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        po = polib.pofile(str(LOCALE / "django.po"))
        for english, indonesian in pairs:
            entry = po.find(english)
            if entry is None:
                po.append(polib.POEntry(msgid=english, msgstr=indonesian))
            else:
                entry.msgstr = indonesian
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
        po.save()
        msgfmt = shutil.which("msgfmt")  # what compilemessages runs
        if msgfmt:
            command = [msgfmt, "--check-format", "-o", str(LOCALE / "django.mo"), str(LOCALE / "django.po")]
            subprocess.run(command, check=True)  # noqa: S603 - fixed arguments
        else:
            po.save_as_mofile(str(LOCALE / "django.mo"))
    print(f"{len(pairs)} translations written")  # noqa: T201


if __name__ == "__main__":
    main()
