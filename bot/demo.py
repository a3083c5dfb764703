"""`flattening demo`: a throwaway local Synapse, a demo member, two rooms, and the bot.

Everything lives in one folder, so a second run reuses the homeserver, the users
and the rooms instead of starting over.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

from bot.app import serve
from bot.config import load
from bot.synapse import Homeserver, private_dir, start_homeserver, write_private

STATE = "demo.json"

CONFIG_TEMPLATE = """\
# Written by `flattening demo` for its throwaway homeserver.
[matrix]
homeserver = "{homeserver}"
user_id = "{bot_user}"
password = "{bot_password}"
device_name = "flattening-demo"
store_path = "./store"

[storage]
database_url = "sqlite+aiosqlite:///flattening.db"

[bot]
command_prefix = "!"
allowed_inviters = [":localhost"]
timezone = "UTC"
"""


def _create_room(hs: Homeserver, token: str, name: str, bot: str, encrypted: bool) -> str:
    body: dict[str, Any] = {"name": name, "preset": "private_chat", "invite": [bot]}
    if encrypted:
        body["initial_state"] = [
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ]
    reply = hs.request("POST", "/_matrix/client/v3/createRoom", body, token=token)
    return str(reply["room_id"])


def prepare(directory: Path, port: int | None = None) -> tuple[Homeserver, dict[str, str]]:
    """Start the homeserver and make sure the users, rooms and bot config exist."""
    # The bot's password, keys and database live in here. A folder given with --dir that
    # exists already keeps its mode: the secrets in it are private files and folders.
    private_dir(directory, tighten=False)
    hs = start_homeserver(directory / "homeserver", port=port, log=print)
    state_file = directory / STATE
    state: dict[str, str] = json.loads(state_file.read_text()) if state_file.exists() else {}
    if "bot_user" not in state:
        bot = hs.register("flattening", secrets.token_urlsafe(12))
        member = hs.register("demo", secrets.token_urlsafe(9))
        hs.lift_ratelimit(bot.user_id)
        hs.lift_ratelimit(member.user_id)
        state = {
            "bot_user": bot.user_id,
            "bot_password": bot.password,
            "member_user": member.user_id,
            "member_password": member.password,
        }
        state["plain_room"] = _create_room(
            hs, member.access_token, "Flattening demo", bot.user_id, encrypted=False
        )
        state["encrypted_room"] = _create_room(
            hs, member.access_token, "Flattening demo (encrypted)", bot.user_id, encrypted=True
        )
        write_private(state_file, json.dumps(state, indent=2))
    write_private(
        directory / "config.toml",
        CONFIG_TEMPLATE.format(
            homeserver=hs.base_url, bot_user=state["bot_user"], bot_password=state["bot_password"]
        ),
    )
    return hs, state


def banner(hs: Homeserver, state: dict[str, str]) -> str:
    return f"""
Flattening demo is starting.

  Homeserver:  {hs.base_url}
  User:        {state["member_user"]}   (log in with just: demo)
  Password:    {state["member_password"]}

Open a Matrix client (Element Desktop, or Element Web), choose "Sign in",
edit the homeserver to {hs.base_url}, and log in with the user above.
Two rooms are waiting: "Flattening demo" and "Flattening demo (encrypted)".
Type !help or !ping there. Press Ctrl-C here to stop the bot and the homeserver.
"""


def run_demo(directory: Path, port: int | None = None) -> int:
    hs, state = prepare(directory, port)
    try:
        print(banner(hs, state), flush=True)
        asyncio.run(serve(load(directory / "config.toml")))
    except KeyboardInterrupt:
        pass
    finally:
        hs.stop()
    return 0
