"""The one formatter: every outgoing message is rendered here.

Templates are the bot's own Markdown-ish text (`**bold**`, `` `code` ``, `- ` list
lines); values are untrusted and are escaped after the template is rendered, so
user text can neither inject HTML nor Markdown nor notify the whole room.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from handlers.context import Mention, Rows

_SENTINEL = "\x00{}\x00"
_SENTINEL_RE = re.compile("\x00(\\d+)\x00")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+?)`")
_ROOM_PING = re.compile(r"@(room)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
MAX_BYTES = 48_000


def defuse(text: str) -> str:
    """Break `@room` so no push rule sees it, while it still reads the same."""
    return _ROOM_PING.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def _escape(literal: str) -> str:
    return literal.replace("{", "{{").replace("}", "}}")


def _expand(template: str, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Unfold `Rows` values into one row template per item, each field renamed
    `<list>.<row>.<field>`, so rows are escaped exactly as any other value."""
    flat = {k: v for k, v in values.items() if not isinstance(v, Rows)}
    out: list[str] = []
    for literal, name, spec, conv in string.Formatter().parse(template):
        out.append(_escape(literal))
        if name is None:
            continue
        rows = values.get(name)
        if not isinstance(rows, Rows):
            out.append(
                "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            )
            continue
        items = list(rows.items)
        shown = items if rows.limit is None else items[: rows.limit]
        lines = []
        for i, item in enumerate(shown):
            line = []
            for lit, field, _, _ in string.Formatter().parse(rows.template):
                line.append(_escape(lit))
                if field is not None:
                    line.append("{" + f"{name}.{i}.{field}" + "}")
            lines.append("".join(line))
            flat.update({f"{name}.{i}.{k}": v for k, v in rows.fields(item).items()})
        if len(items) > len(shown):
            lines.append("… and {" + name + ".more} more.")
            flat[f"{name}.more"] = len(items) - len(shown)
        out.append(rows.sep.join(lines))
    return "".join(out), flat


def _split(template: str) -> tuple[str, list[str]]:
    """Replace `{name}` fields by sentinels, returning the names in order."""
    names: list[str] = []
    out: list[str] = []
    for literal, field, spec, conv in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            if spec or conv:
                raise ValueError("format specs are not supported in message templates")
            out.append(_SENTINEL.format(len(names)))
            names.append(field)
    return "".join(out), names


def _html_lines(text: str) -> str:
    parts: list[str] = []
    in_list = False
    for line in text.split("\n"):
        if line.startswith("- "):
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{line[2:]}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        parts.append(line + "<br>")
    if in_list:
        parts.append("</ul>")
    rendered = "".join(parts)
    return rendered.removesuffix("<br>")


def _inline_html(text: str) -> str:
    text = _CODE.sub(r"<code>\1</code>", text)
    return _BOLD.sub(r"<strong>\1</strong>", text)


def _plain(value: Any) -> str:
    if isinstance(value, Mention):
        return defuse(value.label)
    return defuse(str(value))


def _html_value(value: Any, in_code: bool) -> str:
    if isinstance(value, Mention):
        label = html.escape(defuse(value.label))
        if in_code or not value.ping:
            return label
        href = "https://matrix.to/#/" + quote(value.user_id, safe="@:")
        return f'<a href="{html.escape(href)}">{label}</a>'
    return html.escape(defuse(str(value)))


def render(template: str, values: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """Return (plain body, HTML body, user ids deliberately mentioned)."""
    while any(isinstance(v, Rows) for v in values.values()):  # rows may hold rows
        template, values = _expand(template, values)
    skeleton, names = _split(template)
    missing = [n for n in names if n not in values]
    if missing:
        raise KeyError(f"template values missing: {', '.join(missing)}")

    plain = _SENTINEL_RE.sub(lambda m: _plain(values[names[int(m.group(1))]]), skeleton)

    rendered = _html_lines(_inline_html(html.escape(skeleton, quote=False)))
    code_spans = [(m.start(), m.end()) for m in re.finditer(r"<code>.*?</code>", rendered)]

    def fill(m: re.Match[str]) -> str:
        inside = any(a <= m.start() < b for a, b in code_spans)
        return _html_value(values[names[int(m.group(1))]], inside)

    formatted = defuse(_SENTINEL_RE.sub(fill, rendered))
    plain = defuse(plain)  # values side by side could spell @room between them
    mentioned: list[str] = []
    for name in names:
        value = values[name]
        if isinstance(value, Mention) and value.ping and value.user_id not in mentioned:
            mentioned.append(value.user_id)
    return plain, formatted, mentioned


def relation(reply_to: str | None, thread: str | None) -> dict[str, Any] | None:
    """A reply to the command, inside its thread when it was typed in one."""
    if thread:
        return {
            "rel_type": "m.thread",
            "event_id": thread,
            "is_falling_back": reply_to is None,
            "m.in_reply_to": {"event_id": reply_to or thread},
        }
    if reply_to:
        return {"m.in_reply_to": {"event_id": reply_to}}
    return None


def content(
    template: str,
    values: Mapping[str, Any],
    reply_to: str | None = None,
    *,
    notify: bool = False,
    thread: str | None = None,
) -> dict[str, Any]:
    """The `m.room.message` content: HTML and plain, explicit mentions; an `m.notice`, or an
    `m.text` when it must reach the people it mentions."""
    body, formatted, mentioned = render(template, values)
    if len(body.encode()) + len(formatted.encode()) > MAX_BYTES:
        # The homeserver refuses events over 64 KiB; a cut plain message beats none.
        body = body.encode()[: MAX_BYTES // 2].decode(errors="ignore") + "\n… (cut: too long)"
        formatted = html.escape(body).replace("\n", "<br>")
    result: dict[str, Any] = {
        "msgtype": "m.text" if notify else "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": mentioned} if mentioned else {},
    }
    relates = relation(reply_to, thread)
    if relates:
        result["m.relates_to"] = relates
    return result
