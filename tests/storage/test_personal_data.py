"""The declaration of personal data is complete: a column that can hold a member's id and is
neither declared nor explained fails here, so `!mydata`, `!forgetme` and `!privacy`
cannot silently miss it."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import String

from handlers.audit_actions import ACTIONS, fields
from storage.models import Base
from storage.personal_data import DECLARED, NOT_MEMBERS, PARENTS, UNSCOPED

MEMBERISH = re.compile(r"(user|author|actor|_by$|_to$|^from_|^to_|holder|member)")


def _could_hold_an_id() -> set[str]:
    out = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            is_id_sized = isinstance(column.type, String) and column.type.length == 255
            if is_id_sized or MEMBERISH.search(column.name):
                if not column.foreign_keys and column.name != "id":
                    out.add(f"{table.name}.{column.name}")
    return out


def test_every_column_that_could_hold_a_member_id_is_declared_or_explained() -> None:
    declared = {h.name for h in DECLARED}
    missing = _could_hold_an_id() - declared - set(NOT_MEMBERS)
    assert not missing, f"declare these in storage/personal_data.py: {sorted(missing)}"


def test_the_declaration_names_real_columns_and_each_reaches_a_collective() -> None:
    columns = {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns}
    for holds in DECLARED:
        assert holds.name in columns
        assert holds.what, holds.name
        model = holds.model
        assert model in UNSCOPED or model in PARENTS or hasattr(model, "collective_id"), model
    assert set(NOT_MEMBERS) <= columns | {"processed_events.event_id"}


def test_every_audited_action_has_words_and_they_use_what_is_stored() -> None:
    used: dict[str, set[str]] = {}
    call = re.compile(r"\.audit\(\s*(f?)\"([a-z_.{}]+)\"(.*?)\)\n", re.S)
    for path in Path("handlers").rglob("*.py"):
        for is_f, key, rest in call.findall(path.read_text()):
            names = set(re.findall(r"(\w+)=", rest)) | set(re.findall(r"\"(\w+(?=\.\d|\"))", rest))
            keys = [k for k in ACTIONS if k.startswith(key.split("{")[0])] if is_f else [key]
            assert keys, key
            for k in keys:
                used.setdefault(k, set()).update(names)
    for key, names in used.items():
        assert key in ACTIONS, key
        wanted = fields(ACTIONS[key])
        missing = wanted - names - {n.split(".")[0] for n in names}
        assert not missing or "members" in names, (key, missing)
    assert len(used) >= 50
