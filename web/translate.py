"""Refresh the message catalogs: ``python translate.py`` extracts every string of the site,
merges it into translations/<lang>/LC_MESSAGES/messages.po and compiles the .mo files the
site reads (both are committed, so running the site needs no step)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
CATALOGS = HERE / "web" / "translations"
LANGUAGES = ("fr",)


def main() -> int:
    template = CATALOGS / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--omit-header",
            "-o",
            str(template),
            ".",
        ],
        cwd=HERE,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as file:
        messages = read_po(file)
    if len(messages) < 10:
        raise SystemExit(f"extraction found only {len(messages)} messages: check babel.cfg")
    missing = 0
    for language in LANGUAGES:
        po = CATALOGS / language / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        if po.exists():
            with po.open("rb") as file:
                catalog = read_po(file, locale=language)
            catalog.update(messages, no_fuzzy_matching=True)
        else:
            catalog = read_po(template.open("rb"), locale=language)
        missing += sum(1 for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string))
        with po.open("wb") as file:
            write_po(file, catalog, omit_header=False, no_location=True, sort_output=True)
        with (po.with_suffix(".mo")).open("wb") as file:
            write_mo(file, catalog)
    print(f"catalogs written; {missing} message(s) without a translation")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
