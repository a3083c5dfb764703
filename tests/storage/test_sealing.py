"""Sealing: every text comes back as it was, every sealed blob is one size, and nothing
opens without the key it was sealed with (in its own file, mode 0600, never replaced)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.rituals.reflection import MAX_ANSWER
from storage.sealing import (
    CAPACITY,
    KEY_BYTES,
    KEY_FILE,
    PADDED,
    SEALED,
    Sealer,
    TooLong,
    Unopenable,
    pad,
    unpad,
)
from tests.harness import TEST_SEALER

SEALER = TEST_SEALER

# Text a member might send, and text nobody should: NUL and other controls, bidi
# overrides and isolates, zero-width joiners, lone surrogates, astral characters.
TRICKY = st.sampled_from(
    [
        "\x00",
        "\u202e",
        "\u202d",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200f",
        "\u200d",
        "\ufeff",
        "\ud800",
        "\udfff",
        "\U0010ffff",
        "😀",
        "\r",
    ]
)
ANSWERS = st.text(st.one_of(st.characters(), TRICKY), max_size=MAX_ANSWER)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANSWERS, context=st.binary(max_size=40))
def test_every_answer_seals_to_one_size_and_opens_as_it_was(text: str, context: bytes) -> None:
    blob = SEALER.seal(text, context)
    assert len(blob) == SEALED
    assert SEALER.open(blob, context) == text
    assert unpad(pad(text)) == text and len(pad(text)) == PADDED
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) >= 8:
        assert encoded not in blob


@settings(max_examples=50, deadline=None)
@given(
    text=st.one_of(
        st.text(st.characters(), min_size=MAX_ANSWER, max_size=MAX_ANSWER),
        st.just("\U0010ffff" * MAX_ANSWER),
        st.just("\x00" * MAX_ANSWER),
    )
)
def test_the_longest_answers_fit(text: str) -> None:
    assert SEALER.open(SEALER.seal(text)) == text


def test_two_seals_of_one_text_share_nothing() -> None:
    first, second = SEALER.seal("same words"), SEALER.seal("same words")
    assert first != second and first[:12] != second[:12]  # a fresh nonce each time


def test_what_is_too_long_is_refused_not_cut() -> None:
    with pytest.raises(TooLong):
        SEALER.seal("x" * (CAPACITY + 1))
    assert SEALER.open(SEALER.seal("x" * CAPACITY)) == "x" * CAPACITY


@given(flip=st.integers(min_value=0, max_value=SEALED - 1))
@settings(max_examples=60, deadline=None)
def test_an_altered_blob_does_not_open(flip: int) -> None:
    blob = bytearray(SEALER.seal("honest words"))
    blob[flip] ^= 0x01
    with pytest.raises(Unopenable):
        SEALER.open(bytes(blob))


def test_a_blob_moved_to_another_round_does_not_open() -> None:
    blob = SEALER.seal("words of round 1", b"reflection round 1")
    with pytest.raises(Unopenable):
        SEALER.open(blob, b"reflection round 2")
    with pytest.raises(Unopenable):
        SEALER.open(blob[:-1], b"reflection round 1")


def test_padding_is_unambiguous() -> None:
    padded = pad("ab\x00")
    assert padded[:4] == (3).to_bytes(4, "big") and padded[4:7] == b"ab\x00"
    assert not any(padded[7:])
    for broken in (padded[:-1], padded[:7] + b"\x01" + padded[8:], b"\xff" * PADDED):
        with pytest.raises(Unopenable):
            unpad(broken)


def test_the_key_is_made_once_readable_by_the_bot_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    sealer = Sealer.in_store(store)
    assert not (store / KEY_FILE).exists()
    with pytest.raises(Unopenable, match="missing"):
        sealer.open(SEALER.seal("x"))
    blob = sealer.seal("first")  # the first need makes the key (and the folder)
    key_file = store / KEY_FILE
    key = key_file.read_bytes()
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.stat().st_mode) & 0o077 == 0
    assert os.listdir(store) == [KEY_FILE]  # no draft left beside it
    sealer.seal("second")
    assert key_file.read_bytes() == key  # never replaced
    assert Sealer(key_file).open(blob) == "first"  # another process, the same key
    # Another key does not open it; no key does not either.
    key_file.write_bytes(os.urandom(KEY_BYTES))
    with pytest.raises(Unopenable, match="does not open"):
        sealer.open(blob)
    key_file.write_bytes(b"short")
    with pytest.raises(Unopenable, match="not a 32-byte key"):
        sealer.open(blob)
    key_file.unlink()
    with pytest.raises(Unopenable, match="missing"):
        sealer.open(blob)


def test_a_key_written_meanwhile_is_the_one_used(tmp_path: Path) -> None:
    """Two processes making the key at once: both end up with the one in the file."""
    sealer = Sealer.in_store(tmp_path)
    theirs = os.urandom(KEY_BYTES)
    real_key = sealer._key
    calls = iter([None])

    def racing() -> bytes | None:
        found = next(calls, "real")
        if found is None:  # we looked, found none, and the other process wrote it then
            (tmp_path / KEY_FILE).write_bytes(theirs)
            return None
        return real_key()

    sealer._key = racing  # type: ignore[method-assign]
    blob = sealer.seal("raced")
    assert (tmp_path / KEY_FILE).read_bytes() == theirs
    assert Sealer.in_store(tmp_path).open(blob) == "raced"
