"""The `flattening` command line: run, check-config, demo, export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import __version__
from bot.config import Config, ConfigError, load
from handlers.exports import WHAT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flattening",
        description="A Matrix bot that helps small egalitarian collectives keep power shared.",
    )
    parser.add_argument("--version", action="version", version=f"flattening {__version__}")
    levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    parser.add_argument("--log-level", default="INFO", choices=levels)
    # Also accepted after the subcommand, where people tend to type it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS, choices=levels)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="connect to the homeserver and serve the collectives", parents=[common]
    )
    run.add_argument("-c", "--config", type=Path, default=Path("config.toml"))

    check = sub.add_parser(
        "check-config", help="validate the config file without connecting", parents=[common]
    )
    check.add_argument("-c", "--config", type=Path, default=Path("config.toml"))

    demo = sub.add_parser(
        "demo",
        help="start a throwaway local homeserver with a demo member and run the bot",
        parents=[common],
    )
    demo.add_argument(
        "--dir", type=Path, default=Path("flattening-demo"), help="where the demo keeps its data"
    )
    demo.add_argument(
        "--port", type=int, default=None, help="homeserver port (default: a free one)"
    )

    export = sub.add_parser(
        "export",
        help="write a collective's records as a Markdown file, from the database only",
        parents=[common],
    )
    export.add_argument("-c", "--config", type=Path, default=Path("config.toml"))
    export.add_argument("--room", required=True, help="the collective's room id, !abc:example.org")
    export.add_argument("--what", choices=WHAT, default="all", help="what to export (default: all)")
    export.add_argument(
        "-o", "--output", type=Path, default=None, help="write to this file (default: stdout)"
    )
    return parser


def _export(args: argparse.Namespace) -> int:
    from bot.export import ExportError, export

    config = load(args.config, login=False)
    try:
        done = asyncio.run(export(config, args.room, args.what, datetime.now(UTC)))
    except ExportError as exc:
        print(f"flattening: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.buffer.write(done.data)
        sys.stdout.flush()
        return 0
    args.output.write_bytes(done.data)
    print(f"Wrote {args.output}: {done.summary()}.", file=sys.stderr)
    return 0


def _summary(config: Config) -> str:
    m = config.matrix
    auth = "access token" if m.access_token else "password"
    lines = [
        f"{config.path}: valid.",
        f"  homeserver       {m.homeserver}",
        f"  user             {m.user_id} (by {auth}, device name {m.device_name!r})",
        f"  store            {m.store_path}",
        f"  database         {config.database_url.split('@')[-1]}",
        f"  allowed inviters {', '.join(config.allowed_inviters) or '(none: invitations refused)'}",
        f"  time zone        {config.defaults.timezone}",
        f"  collectives with their own settings: {len(config.overrides)}",
    ]
    return "\n".join(lines)


def quiet_libraries() -> None:
    """Libraries log less than the bot. The database drivers' debug lines carry every
    query's parameters, reflection answers among them, so they never reach a log."""
    logging.getLogger("nio").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_libraries()
    try:
        if args.command == "check-config":
            print(_summary(load(args.config)))
            return 0
        if args.command == "run":
            from bot.app import serve

            config = load(args.config)
            if not config.allowed_inviters:
                logging.warning(
                    "[bot] allowed_inviters is empty: the bot will refuse every invitation"
                )
            asyncio.run(serve(config))
            return 0
        if args.command == "export":
            return _export(args)
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(args.dir, args.port)
    except ConfigError as exc:
        print(f"flattening: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from bot.matrix import LoginFailed
        from bot.synapse import SynapseError
        from storage.engine import StorageError

        if isinstance(exc, LoginFailed | SynapseError | StorageError | OSError):
            print(f"flattening: {exc}", file=sys.stderr)
            return 1
        raise
    return 1
