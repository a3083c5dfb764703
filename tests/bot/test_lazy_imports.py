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
