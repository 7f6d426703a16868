"""``python -m sselab`` runs the command-line interface."""

from sselab.cli.main import app

app()
