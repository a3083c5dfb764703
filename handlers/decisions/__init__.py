"""Decisions and transparency: proposals answered by members and closed under the
collective's rule (`commands.py`), closing them the one way every path does
(`closing.py`), hidden answers given in a direct chat (`private.py`), the log, withdrawals,
seconded early closes and the jobs (close, reminder, review; `log.py`), the rules'
arithmetic over members (`rules.py`) and how a proposal is shown (`views.py`).
`handlers/practices.py` lists the practice through `log`, which holds every command."""
