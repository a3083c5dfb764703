"""Sealing: a text encrypted with a key kept outside the database, padded to one size.

While a reflection round is open its answers are stored sealed (`storage/reflection.py`),
so a copy of the database (a backup, a dump, the SQLite file with its write-ahead log)
shows neither an answer's text nor its length, even beside the record of who has answered.

The key is 32 random bytes in a file of its own (`reflection.key` in the `[matrix]
store_path` folder, beside the bot's encryption keys), created with mode 0600 the first
time an answer is sealed and never written to the database. Every text is padded to
`PADDED` bytes before it is encrypted: a 4-byte big-endian length, the text's UTF-8,
then zero bytes; so every sealed blob is `SEALED` bytes long. AES-256-GCM, with a fresh
random 12-byte nonce for each seal, and the round's id as associated data (a blob moved
to another round does not open).

A blob that cannot be opened (the key file lost, or replaced by a new one) raises
`Unopenable`; the caller decides what that means (a round closes saying so).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_FILE = "reflection.key"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
TAG_BYTES = 16
_LENGTH = struct.Struct(">I")
# Every plaintext is padded to this many bytes: a reflection answer is at most 2,000
# characters (`handlers/rituals/reflection.py`), at most 4 bytes each in UTF-8.
PADDED = 8192
CAPACITY = PADDED - _LENGTH.size  # bytes of UTF-8 one sealed text can hold
SEALED = NONCE_BYTES + PADDED + TAG_BYTES  # the length of every sealed blob


class Unopenable(Exception):
    """A sealed blob that cannot be opened: no key, another key, or damaged bytes."""


class TooLong(ValueError):
    """A text longer than a sealed blob holds (`CAPACITY` bytes of UTF-8)."""


def pad(text: str) -> bytes:
    """The text's UTF-8 (lone surrogates kept, so every str comes back as it was) after
    its length, then zeros up to `PADDED` bytes."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > CAPACITY:
        raise TooLong(f"{len(data)} bytes; a sealed text holds at most {CAPACITY}")
    return _LENGTH.pack(len(data)) + data + bytes(CAPACITY - len(data))


def unpad(padded: bytes) -> str:
    if len(padded) != PADDED:
        raise Unopenable(f"padded text of {len(padded)} bytes, not {PADDED}")
    (length,) = _LENGTH.unpack_from(padded)
    end = _LENGTH.size + length
    if length > CAPACITY or any(padded[end:]):
        raise Unopenable("the padding is not zeros after the stated length")
    try:
        return padded[_LENGTH.size : end].decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise Unopenable("the text is not UTF-8") from exc


class Sealer:
    """Seals and opens texts with the key in one file, read each time it is needed (so a
    key the host removed is noticed, not silently kept in memory)."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file

    @classmethod
    def in_store(cls, store_path: Path) -> Sealer:
        return cls(store_path / KEY_FILE)

    def seal(self, text: str, context: bytes = b"") -> bytes:
        """The text padded and encrypted, under a fresh nonce: `SEALED` bytes. The key
        file is created first if there is none."""
        key = self._key() or self._create()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, pad(text), context)

    def open(self, blob: bytes, context: bytes = b"") -> str:
        """The text a blob was sealed with (with the same `context`); `Unopenable` when the
        key is missing or another, or the blob was altered."""
        key = self._key()
        if key is None:
            raise Unopenable(f"no key: {self.key_file} is missing")
        if len(blob) != SEALED:
            raise Unopenable(f"a sealed blob of {len(blob)} bytes, not {SEALED}")
        try:
            padded = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context)
        except InvalidTag as exc:
            raise Unopenable(f"the key in {self.key_file} does not open it") from exc
        return unpad(padded)

    def _key(self) -> bytes | None:
        try:
            key = self.key_file.read_bytes()
        except FileNotFoundError:
            return None
        if len(key) != KEY_BYTES:
            raise Unopenable(f"{self.key_file} holds {len(key)} bytes, not a {KEY_BYTES}-byte key")
        return key

    def _create(self) -> bytes:
        """Write a new key, durably and readable by the bot's user only, before anything is
        sealed with it. Never replaces a key that is there (another process's, or one
        written between the look and now): the key in the file is the one used."""
        folder = self.key_file.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = folder / f".{self.key_file.name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(draft, self.key_file)  # fails if a key is there: that one stays
            log.info("created the key that seals reflection answers: %s", self.key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        with contextlib.suppress(OSError):  # the new name survives a power cut
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        key = self._key()
        assert key is not None
        return key
