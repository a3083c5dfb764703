"""Matrix and process runtime: config, CLI, nio client, sync loop, routing, formatting, scheduling.

The only package that imports matrix-nio or APScheduler.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flattening")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.1.0"
