"""The kinds of labour (stored keys and `#tags`) and how a sentence shows them, in the
collective's language: one place for the ledger, the power map, the export and the
audit log."""

from __future__ import annotations

from handlers.i18n import N_, _, ngettext

KINDS = ("visible", "invisible", "care")
KIND_WORDS = {"visible": N_("visible"), "invisible": N_("invisible"), "care": N_("care")}


def kind_word(kind: str) -> str:
    """A kind of labour as a sentence shows it; an unknown stored kind as it is."""
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def kind_count(kind: str, n: int) -> str:
    """How many tasks of one kind: `3 visible`."""
    if kind == "visible":
        text = ngettext("{n} visible", "{n} visible", n)
    elif kind == "invisible":
        text = ngettext("{n} invisible", "{n} invisible", n)
    elif kind == "care":
        text = ngettext("{n} care", "{n} care", n)
    else:
        return f"{n} {kind}"
    return text.format(n=n)
