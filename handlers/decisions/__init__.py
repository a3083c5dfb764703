"""Decisions and transparency: proposals answered by members and closed under the
collective's rule (`commands.py`), the log, withdrawals and the hourly jobs (`log.py`),
the rules' arithmetic (`rules.py`) and how a proposal is shown (`views.py`).
`handlers/practices.py` lists the practice through `log`, which holds every command."""
