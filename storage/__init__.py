"""Persistence: models, engine set-up, migrations and the queries each practice needs.

Imports neither `bot` nor `handlers`; nothing here formats a message.
"""

# Loaded first, whichever storage module is asked for: `storage.models` declares the core
# tables, then imports the practices' modules, whose tables join its one metadata.
from storage import models as models
