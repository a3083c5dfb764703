"""The one formatter: every outgoing message is rendered here.

Templates are the bot's own Markdown-ish text (`**bold**`, `` `code` ``, `- ` list
lines); values are untrusted and are escaped after the template is rendered, so
user text can neither inject HTML nor Markdown nor notify the whole room.
"""

from __future__ import annotations

import html
import json
import re
import string
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from handlers.context import Mention, Rows, defuse
from handlers.i18n import _, ngettext

_SENTINEL = "\x00{}\x00"
_SENTINEL_RE = re.compile("\x00(\\d+)\x00")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+?)`")
# The homeserver refuses events over 65,536 bytes, its own fields included.
MAX_EVENT = 60_000
ENVELOPE = 1_000


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
            for lit, field, _spec, _conv in string.Formatter().parse(rows.template):
                line.append(_escape(lit))
                if field is not None:
                    line.append("{" + f"{name}.{i}.{field}" + "}")
            lines.append("".join(line))
            flat.update({f"{name}.{i}.{k}": v for k, v in rows.fields(item).items()})
        if len(items) > len(shown):
            more = len(items) - len(shown)
            # The count is a value like any other, under a field named after the list.
            said = ngettext("… and {n} more.", "… and {n} more.", more)
            lines.append(_escape(said).replace("{{n}}", "{" + name + ".more}"))
            flat[f"{name}.more"] = more
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


_DIRECTIONAL = frozenset({"R", "AL", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"})
# Embeddings, overrides and isolates: inside an isolate they could still close it early
# (a stray U+2069) or keep it open past its end (an unclosed U+2067), and nobody needs them
# in a name or a line quoted back.
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolate(text: str) -> str:
    """Text that could turn the rest of the line around (right-to-left letters, bidi
    controls such as U+202E) is isolated, as clients isolate display names; its own
    embedding, override and isolate controls are dropped, so it cannot leave its isolate."""
    if any(unicodedata.bidirectional(ch) in _DIRECTIONAL for ch in text):
        return "\u2068" + _CONTROLS.sub("", text) + "\u2069"
    return text


def _text(value: Any) -> str:
    return isolate(defuse(value.label if isinstance(value, Mention) else str(value)))


def _plain(value: Any) -> str:
    return _text(value)


def _html_value(value: Any, in_code: bool) -> str:
    if isinstance(value, Mention):
        label = html.escape(_text(value))
        if in_code or not value.ping:
            return label
        href = "https://matrix.to/#/" + quote(value.user_id, safe="@:")
        return f'<a href="{html.escape(href)}">{label}</a>'
    return html.escape(_text(value))


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


def size(content: Mapping[str, Any]) -> int:
    """Bytes of the content as sent, as JSON with every escape spelled out, and as it grows
    when encrypted (Megolm ciphertext is base64: a third more, plus its envelope)."""
    plain = len(json.dumps(content, ensure_ascii=True).encode())
    return plain * 4 // 3 + ENVELOPE


def _shorter(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The same values with every long list shown at half its length; None when none is."""
    out: dict[str, Any] = {}
    changed = False
    for key, value in values.items():
        if isinstance(value, Rows):
            shown = len(value.items) if value.limit is None else min(value.limit, len(value.items))
            if shown > 1:
                value = Rows(value.template, value.items, value.sep, shown // 2)
                changed = True
            else:
                inner = [dict(value.fields(i)) for i in value.items]
                smaller = [_shorter(i) for i in inner]
                if any(x is not None for x in smaller):
                    items = [x if x is not None else i for x, i in zip(smaller, inner, strict=True)]
                    value = Rows(value.template, items, value.sep, value.limit)
                    changed = True
        out[key] = value
    return out if changed else None


def content(
    template: str,
    values: Mapping[str, Any],
    reply_to: str | None = None,
    *,
    notify: bool = False,
    thread: str | None = None,
) -> dict[str, Any]:
    """The `m.room.message` content: HTML and plain, explicit mentions; an `m.notice`, or an
    `m.text` when it must reach the people it mentions. Measured as sent: a long list is
    shortened ("… and N more"), and a message still too long is cut, never dropped."""
    result: dict[str, Any] = {
        "msgtype": "m.text" if notify else "m.notice",
        "format": "org.matrix.custom.html",
    }
    relates = relation(reply_to, thread)
    if relates:
        result["m.relates_to"] = relates
    current: Mapping[str, Any] | None = values
    while current is not None:
        body, formatted, mentioned = render(template, current)
        result.update(
            body=body,
            formatted_body=formatted,
            **{"m.mentions": {"user_ids": mentioned} if mentioned else {}},
        )
        if size(result) <= MAX_EVENT:
            return result
        current = _shorter(current)
    # One value alone is too long: a cut plain message beats none.
    note = "\n" + _("… (cut: too long)")
    text = str(result["body"])
    while size(result) > MAX_EVENT and text:
        text = text[: len(text) * 3 // 4]
        result.update(
            body=text + note, formatted_body=html.escape(text + note).replace("\n", "<br>")
        )
    return result
