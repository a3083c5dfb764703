"""Persistence: models, engine set-up, migrations and the queries each practice needs.

Imports neither `bot` nor `handlers`; nothing here formats a message.
"""
