"""Exception types of sselab.

Every error raised at a boundary (a file, a row, a field, a user option) is one of these, and its message
names the offending input so that a user can find and fix it.
"""

from __future__ import annotations

from collections.abc import Callable


class SselabError(Exception):
    """Base class of all sselab errors."""


class ConfigError(SselabError):
    """A setting or option has an invalid value."""


_FORMULA_WINDOW = 80
"""Characters of a long formula shown in a :class:`FormulaParseError` message."""


class FormulaParseError(SselabError, ValueError):
    """A chemical formula could not be read.

    Parameters
    ----------
    formula
        The formula as written.
    position
        Zero-based character index where reading failed.
    reason
        What was expected there.
    """

    def __init__(self, formula: str, position: int, reason: str) -> None:
        self.formula = formula
        self.position = position
        self.reason = reason
        shown, offset = formula, position
        if len(formula) > _FORMULA_WINDOW:  # show a window around the failure, not a megabyte of text
            first = max(0, min(position - _FORMULA_WINDOW // 2, len(formula) - _FORMULA_WINDOW))
            shown = formula[first : first + _FORMULA_WINDOW]
            offset = position - first
            quoted = f"{len(formula)} characters starting {formula[:20]!r}..."
        else:
            quoted = repr(formula)
        pointer = " " * offset + "^"
        super().__init__(
            f"cannot read formula {quoted} at position {position}: {reason}\n  {shown}\n  {pointer}"
        )


class DataImportError(SselabError):
    """A data file could not be imported; names the file, row and field."""

    def __init__(
        self, message: str, *, file: str | None = None, row: int | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"field {field!r}" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class DatasetError(SselabError):
    """A named dataset is unknown, unreachable or fails its checksum."""


class StoreError(SselabError):
    """The store cannot be opened, migrated or written."""


class UnsafeQueryError(SselabError):
    """A query was refused by the read-only guard (it could write, or breaks a limit)."""


class FitError(SselabError, ValueError):
    """A fit cannot be made from the given data (too few points, invalid values)."""


class SimulationError(SselabError):
    """A simulation cannot be set up or run (bad structure, missing potential, ...)."""


class PotentialUnavailableError(SimulationError):
    """A named potential cannot be loaded here (missing package, weights not available offline)."""


class SearchInputError(SselabError, ValueError):
    """A structure search was asked for an impossible composition or cell."""


class PipelineError(SselabError):
    """A pipeline configuration or stage failed."""


class SettingsError(ConfigError, ValueError):
    """A method's settings are invalid: an unknown key or an impossible value, named with where it came from.

    Parameters
    ----------
    detail
        What is wrong with the value.
    field
        The setting's name (``None`` when the problem is not one field's).
    source
        Where the settings came from (``"command line"``, a TOML file, ``[stages.metad]`` ...).
    label
        How the field is named in the message (default: its name; the CLI names the option, ``--width-a``).
    """

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        source: str | None = None,
        label: Callable[[str], str] | None = None,
    ) -> None:
        self.detail = detail
        self.field = field
        self.source = source
        super().__init__(self.describe(label))

    def describe(self, label: Callable[[str], str] | None = None) -> str:
        """The message, naming the field with ``label`` (e.g. as a command-line option)."""
        text = self.detail if self.field is None else f"{(label or str)(self.field)}: {self.detail}"
        return f"{self.source}: {text}" if self.source else text


class SearchSettingsError(SettingsError, SearchInputError):
    """Invalid settings of a structure search (both a :class:`SettingsError` and a
    :class:`SearchInputError`)."""
