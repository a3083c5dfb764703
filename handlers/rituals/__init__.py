"""The rituals: reflection rounds, check-ins, the newcomers' entry, the gallery walk,
small groups, experiments and trust sprints. Each module (or package) is a practice of its
own, with its own `practice`; `handlers/practices.py` lists them."""
