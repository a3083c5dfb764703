"""`python -m bot` is the same as the `flattening` command."""

from bot.cli import main

raise SystemExit(main())
