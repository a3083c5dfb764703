"""Every word a member reads, in the collective's language.

Strings are marked with `_()` (and `ngettext()` where a number decides the form, in
English too), extracted with Babel into `handlers/locale/flattening.pot`, and translated
in `handlers/locale/<language>/LC_MESSAGES/flattening.po`. The catalogues are read as
text when first needed (no compiled files to keep in step).

The language is chosen when a collective's event or job is dispatched (`speaking`), in a
context variable, so a handler never passes a language around; `bot/` sets it, handlers
only mark their strings. A module-level text is marked with `N_()` and translated where
it is used, with `_()`.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "flattening"
SOURCE = "en"  # the language the code is written in
LANGUAGES = ("en", "de", "es")

_language: ContextVar[str] = ContextVar("language", default=SOURCE)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of one language, compiled in memory from its `.po` file."""
    path = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE or not path.exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def language() -> str:
    return _language.get()


def use(lang: str) -> None:
    """From now on in this task, answer in `lang` (a context being made for a collective)."""
    _language.set(lang if lang in LANGUAGES else SOURCE)


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Within this block, every `_()` answers in `lang`."""
    token = _language.set(lang if lang in LANGUAGES else SOURCE)
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it yet (module constants)."""
    return message


def locale_name() -> str:
    """The Babel locale of the current language, for dates, numbers and amounts."""
    return _language.get()


# A moment as members see it; in English exactly `strftime("%a %d %b %Y %H:%M")`.
MOMENT = "EEE dd MMM yyyy HH:mm"


def moment(local: datetime) -> str:
    """A local time in the current language: Mon 02 Mar 2026 10:00, Mo. 02 März 2026 10:00."""
    from babel.dates import format_datetime

    return str(format_datetime(local, MOMENT, locale=_language.get()))
