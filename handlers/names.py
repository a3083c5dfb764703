"""One folding of people's names, used both to find a member by what someone typed and to
tell members apart wherever names are shown (replies, exports, minutes): two names that
fold alike look alike, so they are shown with the user ids.

`fold` applies NFKC, drops what renders as nothing (format characters such as U+200B,
U+2060 and the bidi controls, and the other default-ignorable code points), folds white
space, case-folds, and maps the common Cyrillic and Greek lookalikes of Latin letters to
them. It is for comparing only: nothing folded is ever shown or stored.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

# Default-ignorable code points that are not of category Cf (those are all dropped): the
# combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian variation
# selectors, variation selectors, the halfwidth Hangul filler, and the U+E0000 block.
_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0000, 0xE0FFF),
)
# Blank but not white space to Python: the braille pattern blank.
_BLANK = "\u2800"

# Letters of other scripts that look like Latin ones (after case folding, so capitals are
# covered through their lower case, and a letter whose capital and small forms look like
# different Latin letters goes with its capital, as names start with one): Cyrillic, then
# Greek. Cheap and partial: what it misses is still told apart by NFKC and case folding.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "ӏ": "l",
        "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "с": "c",
        "у": "y", "ԝ": "w", "х": "x", "ԁ": "d", "ɡ": "g", "ѵ": "v",
        "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ϲ": "c", "ζ": "z",
    }
)  # fmt: skip


def _ignored(ch: str) -> bool:
    if unicodedata.category(ch) in ("Cf", "Cc"):
        return True
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _RANGES)


def fold(name: str) -> str:
    """A display name, user id or typed name as compared: alike-looking names fold alike."""
    text = unicodedata.normalize("NFKC", name)
    kept = "".join(
        " " if ch.isspace() or ch == _BLANK else "" if _ignored(ch) else ch for ch in text
    )
    folded = " ".join(kept.split()).casefold().translate(_LOOKALIKES)
    return unicodedata.normalize("NFKC", folded)


def shown(people: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """How each person (user id, display name) is named where names are shown: the display
    name, or the name with the user id when it folds like another person's name or user id
    (or like a name shown with a user id: "Alice (@alice:x.org)" set as a name is told
    apart too); None when there is no name worth showing (empty, or nothing visible), so
    the user id is shown instead."""
    everyone = list(people)
    ids = {fold(user_id) for user_id, _ in everyone}
    labels: dict[str, str | None] = {
        user_id: name if name and fold(name) else None for user_id, name in everyone
    }
    plain = {user_id for user_id, label in labels.items() if label}
    while plain:  # each round only adds user ids, so it ends
        counts = Counter(fold(label) for label in labels.values() if label)
        alike = {
            u for u in plain if counts[fold(labels[u] or "")] > 1 or fold(labels[u] or "") in ids
        }
        if not alike:
            break
        for user_id in alike:
            labels[user_id] = f"{labels[user_id]} ({user_id})"
        plain -= alike
    return labels
