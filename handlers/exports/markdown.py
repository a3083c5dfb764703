"""Member text made safe for Markdown, and amounts and dates in the current language:
what every section of an export (and a chat answer quoting an amount) writes with."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from handlers import i18n
from handlers.i18n import _

# Line endings as CommonMark reads them, and those it does not but editors show as one.
_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Other control characters, and bidi embeddings, overrides and isolates (which could
# reorder the text around them); nothing anyone means to keep.
_STRAY = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Characters Markdown (CommonMark and GitHub's) reads as emphasis, code, links, HTML,
# entities, tables, strikethrough, math or headings, wherever they stand.
_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|#$])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
# What can open a block at the start of a line: headings, lists, quotes, breaks, fences,
# HTML, link definitions, tables, setext underlines, definition lists, math.
_BLOCK_START = frozenset("#=-*_+>`~<[|:$%")


def money(amount: Decimal, currency: str, *, sign: bool = False) -> str:
    """An amount as shown in chat and in exports: two decimals, no grouping, and the
    currency; the decimal sign of the current language (12.30 EUR, 12,30 EUR)."""
    from babel.numbers import format_decimal

    pattern = "+0.00;-0.00" if sign else "0.00"
    return f"{format_decimal(amount, format=pattern, locale=i18n.locale_name())} {currency}"


def month_name(local: datetime) -> str:
    """A month and its year in the current language: March 2026, März 2026."""
    from babel.dates import format_date

    return str(format_date(local, "MMMM yyyy", locale=i18n.locale_name()))


def weekday_name(local: datetime) -> str:
    from babel.dates import format_date

    return str(format_date(local, "EEEE", locale=i18n.locale_name()))


def _line(text: str) -> str:
    """One line of member text, escaped so Markdown reads it as plain words only."""
    text = _SPECIAL.sub(r"\\\1", text.strip())
    ordered = _ORDERED.match(text)
    if ordered:  # `1. ` or `1) ` would start a numbered list
        return f"{ordered.group(1)}\\{text[len(ordered.group(1)) :]}"
    if text and text[0] in _BLOCK_START:  # `- `, `> `, `=== `, `+ `...
        return "\\" + text
    return text


def inline(text: str) -> str:
    """Member text (a name, a task, what money was for) on one line, escaped."""
    return _line(_BREAKS.sub(" ", _STRAY.sub("", text)))


def quoted(text: str, indent: str) -> str:
    """Member text of several lines, each escaped and kept inside the item it follows
    (indented by `indent`, joined by hard line breaks). Blank lines are left out."""
    lines = [_line(line) for line in _BREAKS.split(_STRAY.sub("", text))]
    kept = [line for line in lines if line]
    return ("\\\n" + indent).join(kept) if kept else _("(nothing written)")
