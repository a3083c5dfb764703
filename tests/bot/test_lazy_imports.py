"""Charts cost nothing until one is drawn: starting the bot does not load matplotlib."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_running_bot_does_not_import_matplotlib_until_a_chart_is_drawn() -> None:
    code = (
        "import sys\n"
        "import bot.app, bot.cli, handlers.practices, handlers.renderers\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at start'\n"
        "from handlers import chart\n"
        "png, w, h = chart.render('t', [chart.ChartRow('a', 0.5, {'care': 1})])\n"
        "assert png.startswith(b'\\x89PNG') and 'matplotlib' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_database_already_at_the_newest_revision_starts_without_alembic(
    tmp_path: Path,
) -> None:
    """Every start but the first after an upgrade: one query says the schema is there, and
    Alembic and its scripts are not loaded (a restart with a backlog waiting feels each)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = (
        "import asyncio, sys\n"
        "from bot.database import Database\n"
        "async def main():\n"
        f"    db = Database({url!r})\n"
        "    await db.migrate()\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )

    def start() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    assert start() == "True"  # a new database: migrated from nothing
    assert start() == "False"  # the same one again: already there
