"""Command-line interface: a thin Typer layer over the library, one module per command group."""
