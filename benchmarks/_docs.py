"""Writing benchmark results into ``docs/benchmarks.md``, one section per benchmark."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def append_to_section(section: str, line: str, path: Path = DOC) -> None:
    """Append ``line`` to ``section`` (a ``## `` heading, created if missing), keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if section not in text:
        text = text.rstrip("\n") + f"\n\n{section}\n\n"
    head, _, rest = text.partition(section)
    body, sep, tail = rest.partition("\n## ")
    body = "\n\n" + body.strip("\n") + ("\n" if body.strip() else "") + line + "\n"
    path.write_text(head + section + body + (("\n## " + tail) if sep else ""), encoding="utf-8")


def replace_section(section: str, body: str, path: Path = DOC) -> None:
    """Replace the body of ``section`` (created if missing) with ``body``, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if section not in text:
        text = text.rstrip("\n") + f"\n\n{section}\n\n"
    head, _, rest = text.partition(section)
    _, sep, tail = rest.partition("\n## ")
    path.write_text(
        head + section + "\n\n" + body.strip("\n") + "\n" + (("\n## " + tail) if sep else ""),
        encoding="utf-8",
    )
