"""`flattening export`: the file `!export` uploads, written from a SQLite file on the command
line, with no homeserver and no login; and one clear line when there is nothing to export."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.database import Database
from tests.harness import BOB, ROOM, FakeClock, Harness, make_config

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

CONFIG = """
[matrix]
homeserver = "https://test.org"
user_id = "@flattening:test.org"

[storage]
database_url = "sqlite+aiosqlite:///data/flattening.db"

[bot]
timezone = "Europe/Berlin"
"""


def _when(doc: str) -> str:
    """The document without the moment it was exported."""
    return re.sub(r"Exported by Flattening on [^(]*\(", "Exported by Flattening on (", doc)


def populate(url: str, what: str) -> str:
    """A collective with a note and some money, run through the bot; what `!export` uploads."""

    async def run() -> str:
        db = Database(url)
        await db.migrate()
        try:
            bot = Harness(db, make_config(), FakeClock(T))
            await bot.start()
            await bot.ask("!spend 12,5 pizza")
            await bot.ask("!income 20 dues", BOB)
            await bot.ask("!note we meet on Friday\n# not a heading", BOB)
            await bot.send(f"!export {what}")
            return bot.transport.uploads[-1][1].decode()
        finally:
            await db.close()

    return asyncio.run(run())


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("FLATTENING_PASSWORD", "FLATTENING_ACCESS_TOKEN", "FLATTENING_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "data").mkdir()
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)  # no password: exporting needs none
    return path


def test_export_writes_the_same_file_as_the_room_gets(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uploaded = populate(f"sqlite+aiosqlite:///{config.parent}/data/flattening.db", "all")
    out = config.parent / "export.md"
    assert main(["export", "--config", str(config), "--room", ROOM, "--output", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert _when(written) == _when(uploaded)
    assert "- #1, 2026-03-02, spending of 12.50 EUR, recorded by Alice: pizza\n" in written
    assert "we meet on Friday\\\n  \\# not a heading" in written
    err = capsys.readouterr().err
    assert f"Wrote {out}: 0 decisions, 1 note, 2 budget entries, 0 tasks done." in err


def test_export_of_one_part_to_stdout(
    config: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    uploaded = populate(f"sqlite+aiosqlite:///{config.parent}/data/flattening.db", "budget")
    assert main(["export", "-c", str(config), "--room", ROOM, "--what", "budget"]) == 0
    printed = capsysbinary.readouterr().out.decode("utf-8")
    assert _when(printed) == _when(uploaded)
    assert "## Budget" in printed and "## Notes" not in printed


def test_an_unknown_room_names_the_collectives_there(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(f"sqlite+aiosqlite:///{config.parent}/data/flattening.db", "all")
    assert main(["export", "-c", str(config), "--room", "!nope:test.org"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"flattening: no collective with room id !nope:test.org in this database "
        f"(collectives: {ROOM})"
    )


def test_a_missing_or_unmigrated_database_is_one_clear_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "-c", str(config), "--room", ROOM]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"flattening: no database at {config.parent}/data/flattening.db")
    assert not (config.parent / "data" / "flattening.db").exists()  # not created by looking
    (config.parent / "data" / "flattening.db").write_bytes(b"")
    assert main(["export", "-c", str(config), "--room", ROOM]) == 1
    err = capsys.readouterr().err
    assert "the database is at schema revision (none)" in err and "flattening run" in err
    assert "Traceback" not in err


def test_an_unknown_part_is_refused_by_the_parser(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", "-c", str(config), "--room", ROOM, "--what", "everything"])
    assert exited.value.code == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err
