"""The message catalogues: extract every marked string from the code into
`handlers/locale/flattening.pot`, bring each language's `.po` up to date with it, and check
them. `python -m bot.catalogues update` after changing member-facing text; then translate
what is new (an empty `msgstr`) in each `.po`. The tests run `problems()`.

Strings are marked with `_()`, `N_()` and `ngettext()` (`handlers/i18n.py`).
"""

from __future__ import annotations

import re
import string
import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from handlers.i18n import DOMAIN, LANGUAGES, LOCALE, SOURCE

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("handlers", "bot", "storage")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != SOURCE)
# Command words and code shown to members, which no translation may change.
CODE = re.compile(r"`[^`]+`")


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# Fixed, so that writing the catalogues again changes nothing when no string changed.
STAMP = datetime(2026, 12, 7, tzinfo=UTC)


def _catalog(language: str | None = None) -> Catalog:
    return Catalog(
        locale=language,
        project="Flattening",
        domain=DOMAIN,
        charset="utf-8",
        creation_date=STAMP,
        revision_date=STAMP,
        msgid_bugs_address="",
        copyright_holder="the Flattening contributors",
    )


def extract() -> Catalog:
    """Every marked string in the code, as a template catalogue."""
    catalog = _catalog()
    for folder in SOURCES:
        found = extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    catalog.creation_date = catalog.revision_date = STAMP
    write_po(buffer, catalog, width=88, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def update() -> None:
    """Write the template, and merge it into each language (new strings come in empty,
    strings gone from the code leave)."""
    template = extract()
    _write(template, TEMPLATE)
    for language in TRANSLATED:
        path = po_path(language)
        catalog = read(path, language) if path.exists() else _catalog(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path)


def _ids(message: Message) -> tuple[str, ...]:
    found = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
    return tuple(str(i) for i in found)


def _strs(message: Message) -> tuple[str, ...]:
    found = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return tuple(str(s or "") for s in found)


def fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def problems() -> list[str]:
    """What is wrong with the catalogues: out of date, incomplete, or a translation whose
    placeholders or command words differ from the original."""
    out: list[str] = []
    extracted = {m.id for m in extract() if m.id}
    template = {m.id for m in read(TEMPLATE) if m.id} if TEMPLATE.exists() else set()
    for missing in sorted(map(str, extracted - template)):
        out.append(f"in the code, not in {TEMPLATE.name}: {missing!r}")
    for gone in sorted(map(str, template - extracted)):
        out.append(f"in {TEMPLATE.name}, no longer in the code: {gone!r}")
    for language in TRANSLATED:
        path = po_path(language)
        if not path.exists():
            out.append(f"no catalogue for {language}")
            continue
        catalog = read(path, language)
        have = {m.id for m in catalog if m.id}
        for missing in sorted(map(str, extracted - have)):
            out.append(f"{language}: not in the catalogue: {missing!r}")
        for message in catalog:
            if not message.id:
                continue
            ids, strs = _ids(message), _strs(message)
            if message.fuzzy or not all(strs):
                out.append(f"{language}: not translated: {ids[0]!r}")
                continue
            want_fields = set().union(*(fields(i) for i in ids))
            want_code = set(CODE.findall(" ".join(ids)))
            for text in strs:
                if fields(text) - want_fields or (len(ids) == 1 and fields(text) != want_fields):
                    out.append(f"{language}: placeholders differ: {ids[0]!r} -> {text!r}")
                if set(CODE.findall(text)) != want_code and want_code:
                    out.append(f"{language}: command words differ: {ids[0]!r} -> {text!r}")
    return out


def main(argv: list[str]) -> int:
    if argv[1:2] == ["update"]:
        update()
        return 0
    if argv[1:2] == ["check"]:
        found = problems()
        print("\n".join(found) or "The catalogues are complete and up to date.")
        return 1 if found else 0
    print("usage: python -m bot.catalogues update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
