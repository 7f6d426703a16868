"""One row of a generic table -> a conductivity and/or an activation-energy record, every cell checked.

The cells are read with the import boundary's own helpers (:func:`sselab.datasets.validation.number_cell`,
:func:`~sselab.datasets.validation.text_cell`, :func:`~sselab.datasets.validation.quantity_problem`) after the
unit conversion of :mod:`sselab.datasets.columnmap`, so a refusal names the file's own column, the row (file
line) and the raw text, exactly as for the registered datasets. A bad cell drops the record it belongs to (a
record is never stored without a field the table gave); a bad formula, source, entry or dataset drops the
row. Every row must name its source (a DOI or a citation), unless it names the sselab run it came from.

Example::

    >>> from sselab.datasets.columnmap import build_column_map, resolve
    >>> from sselab.datasets.importers._common import ParsedFile
    >>> cm = build_column_map(options={"columns": {"formula": "f", "temperature": "T", "conductivity": "s"},
    ...                                "units": {"temperature": "°C", "conductivity": "mS/cm"},
    ...                                "defaults": {"doi": "10.5555/example"}})
    >>> reader = RowReader(ParsedFile("demo", "demo.csv", "0" * 64), resolve(cm, ["f", "T", "s"], "demo.csv"))
    >>> reader.read(2, {"f": "LiBH4", "T": "120", "s": "2.0"})
    >>> record = reader.out.conductivities[0]
    >>> round(record.temperature_k, 2), record.conductivity_s_per_cm, record.source.doi
    (393.15, 0.002, '10.5555/example')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sselab.datasets.columnmap import ResolvedMap
from sselab.datasets.importers._common import ParsedFile, is_blank, parse_formula_or_error
from sselab.datasets.tableunits import convert, quantity_of
from sselab.datasets.validation import CellProblem, parse_number, quantity_problem, text_cell
from sselab.errors import ConfigError
from sselab.store.records import (
    METHODS,
    ActivationEnergyRecord,
    ConductivityRecord,
    MaterialRecord,
    SourceRecord,
)
from sselab.store.validation import MAX_DOI_CHARS, MAX_FORMULA_CHARS, MAX_LABEL_CHARS, MAX_TEXT_CHARS

_METHOD_BY_KEY = {method.lower(): method for method in METHODS}
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
_TEXT_LIMITS = {
    "formula": MAX_FORMULA_CHARS,
    "phase": MAX_LABEL_CHARS,
    "potential": 100,
    "entry": MAX_LABEL_CHARS,
    "cation": 8,
    "dataset": 100,
    "family": 100,
    "doi": MAX_DOI_CHARS,
    "citation": MAX_TEXT_CHARS,
    "note": MAX_TEXT_CHARS,
    "run_folder": 1000,
    "method": 32,
    "parameters": MAX_TEXT_CHARS,
}
_STORE_QUANTITY = {
    "temperature": "temperature_k",
    "conductivity": "conductivity_s_per_cm",
    "activation_energy": "activation_energy_ev",
}


def normalise_doi(text: str) -> str | None:
    """The bare DOI of ``text`` (``https://doi.org/`` and ``doi:`` prefixes removed), or ``None`` if none.

    >>> normalise_doi("https://doi.org/10.1039/C9CC09990E"), normalise_doi("see table 2")
    ('10.1039/C9CC09990E', None)
    """
    value = text.strip()
    for prefix in _DOI_PREFIXES:
        if value.lower().startswith(prefix):
            value = value[len(prefix) :].strip()
    return value if _DOI.match(value) else None


class RowReader:
    """Reads the rows of one table into ``out`` (a :class:`ParsedFile`) with a resolved column map.

    Parameters
    ----------
    out
        The file being read: receives records, skipped cells, warnings and imported row numbers.
    resolved
        The column map applied to the file's header (:func:`sselab.datasets.columnmap.resolve`).
    """

    def __init__(self, out: ParsedFile, resolved: ResolvedMap) -> None:
        self.out = out
        self.map = resolved
        self._materials: dict[tuple[str, str, str | None], MaterialRecord] = {}
        self._method_case_changed: set[str] = set()

    # ------------------------------------------------------------------ cells
    def _cell(self, cells: Mapping[str, Any], field: str) -> tuple[Any, str]:
        """The raw value of ``field`` in this row (its column, else its default) and how to name it."""
        column = self.map.columns.get(field)
        if column is not None and not is_blank(cells.get(column)):
            return cells.get(column), column
        if field in self.map.defaults:
            return self.map.defaults[field], f"defaults.{field}"
        return None, column or field

    def _text(self, line: int, cells: Mapping[str, Any], field: str) -> tuple[str | None, str]:
        raw, name = self._cell(cells, field)
        return text_cell(self.out, line, name, raw, _TEXT_LIMITS.get(field, MAX_TEXT_CHARS)), name

    def _number(
        self, line: int, cells: Mapping[str, Any], field: str, temperature_k: float | None = None
    ) -> float | None:
        """A number field converted to the store's unit and checked against its import range."""
        raw, name = self._cell(cells, field)
        unit = self.map.units.get(field, "")
        try:
            value = parse_number(raw)
            if value is None:
                return None
            converted = convert(quantity_of(field), unit, value, temperature_k=temperature_k)
        except (CellProblem, ConfigError, OverflowError) as problem:
            self.out.skip(line, name, f"{problem} ({field} in {unit})", raw)
            return None
        store_quantity = _STORE_QUANTITY.get(quantity_of(field), "")
        if field == "uncertainty":
            store_quantity = "uncertainty_ev"
        problem_text = quantity_problem(store_quantity, converted) if store_quantity else None
        if problem_text is not None:
            read_as = f" (read as {value:g} {unit})" if converted != value else ""
            self.out.skip(line, name, f"{problem_text}{read_as}", raw)
            return None
        return converted

    # ------------------------------------------------------------------ a row
    def read(self, line: int, cells: Mapping[str, Any]) -> None:
        """Read one row (``cells``: column name -> raw cell) at file line ``line``."""
        out = self.out
        before = len(out.skipped)
        formula, _ = self._text(line, cells, "formula")
        dataset, _ = self._text(line, cells, "dataset")
        entry, _ = self._text(line, cells, "entry")
        source = self._source(line, cells)
        if len(out.skipped) > before:
            return
        if formula is None:
            out.skip(line, self.map.columns.get("formula", "formula"), "no formula", "")
            return
        run_folder, _ = self._text(line, cells, "run_folder")
        if source is None and run_folder is None:
            out.skip(
                line,
                None,
                "no source: every row needs a DOI or a citation (a column, or --set "
                "doi=... / --set citation=... for the whole table)",
                "",
            )
            return
        material = self._material(line, cells, formula, dataset or out.dataset)
        if material is None:
            return
        phase, _ = self._text(line, cells, "phase")
        if len(out.skipped) > before:
            return
        common = {"source": source, "dataset": dataset or out.dataset, "row_number": line, "entry": entry}
        found = self._conductivity(line, cells, material, phase, common)
        found = self._activation_energy(line, cells, material, phase, run_folder, common) or found
        if found:
            out.imported_rows.add(line)
        elif len(out.skipped) == before:
            out.skip(
                line, None, "no conductivity (temperature and conductivity) and no activation energy", ""
            )

    def _source(self, line: int, cells: Mapping[str, Any]) -> SourceRecord | None:
        doi_text, doi_name = self._text(line, cells, "doi")
        citation, _ = self._text(line, cells, "citation")
        doi = None
        if doi_text is not None:
            doi = normalise_doi(doi_text)
            if doi is None:
                self.out.skip(
                    line, doi_name, "not a DOI (10.NNNN/...); put free text in a citation column", doi_text
                )
                return None
        if doi is None and citation is None:
            return None
        return SourceRecord(doi, citation)

    def _material(
        self, line: int, cells: Mapping[str, Any], formula: str, dataset: str
    ) -> MaterialRecord | None:
        cation, _ = self._text(line, cells, "cation")
        family, _ = self._text(line, cells, "family")
        key = (formula, dataset, cation)
        if key in self._materials:
            return self._materials[key]
        parsed, error = parse_formula_or_error(formula, cation_hint=cation)
        if parsed is None:
            first = (error or "").splitlines()[0]
            self.out.warn(line, f"formula {formula!r} stored as written without composition ({first})")
        material = MaterialRecord(formula, parsed, family_label=family, dataset=dataset)
        self._materials[key] = material
        return material

    def _conductivity(
        self,
        line: int,
        cells: Mapping[str, Any],
        material: MaterialRecord,
        phase: str | None,
        common: dict[str, Any],
    ) -> bool:
        raw_sigma, sigma_name = self._cell(cells, "conductivity")
        if is_blank(raw_sigma):
            column = self.map.columns.get("temperature")
            if column is not None and not is_blank(cells.get(column)) and self._has_ea(cells):
                self.out.warn(
                    line,
                    "a temperature without a conductivity is not stored (map the temperature "
                    "range of an Ea as temperature_min / temperature_max)",
                )
            return False
        before = len(self.out.skipped)
        temperature_k = self._number(line, cells, "temperature")
        if temperature_k is None:
            if len(self.out.skipped) == before:
                self.out.skip(line, sigma_name, "no temperature for this conductivity", raw_sigma)
            return False
        sigma = self._number(line, cells, "conductivity", temperature_k=temperature_k)
        if sigma is None:
            return False
        self.out.conductivities.append(
            ConductivityRecord(
                material, temperature_k=temperature_k, conductivity_s_per_cm=sigma, phase=phase, **common
            )
        )
        return True

    def _has_ea(self, cells: Mapping[str, Any]) -> bool:
        return not is_blank(self._cell(cells, "activation_energy")[0])

    def _activation_energy(
        self,
        line: int,
        cells: Mapping[str, Any],
        material: MaterialRecord,
        phase: str | None,
        run_folder: str | None,
        common: dict[str, Any],
    ) -> bool:
        if not self._has_ea(cells):
            return False
        before = len(self.out.skipped)
        ea = self._number(line, cells, "activation_energy")
        method = self._method(line, cells)
        uncertainty = self._number(line, cells, "uncertainty")
        t_min = self._number(line, cells, "temperature_min")
        t_max = self._number(line, cells, "temperature_max")
        potential, _ = self._text(line, cells, "potential")
        note, _ = self._text(line, cells, "note")
        parameters = self._parameters(line, cells)
        if len(self.out.skipped) > before or ea is None or method is None:
            return False
        if t_min is not None and t_max is not None and t_min > t_max:
            self.out.skip(
                line,
                self.map.columns.get("temperature_min", "temperature_min"),
                f"temperature range reversed ({t_min:g} K > {t_max:g} K)",
                t_min,
            )
            return False
        self.out.activation_energies.append(
            ActivationEnergyRecord(
                material,
                activation_energy_ev=ea,
                method=method,
                phase=phase,
                temperature_min_k=t_min,
                temperature_max_k=t_max,
                uncertainty_ev=uncertainty,
                potential=potential,
                parameters=parameters,
                run_folder=run_folder,
                note=note,
                **common,
            )
        )
        return True

    def _method(self, line: int, cells: Mapping[str, Any]) -> str | None:
        text, name = self._text(line, cells, "method")
        if text is None:
            if not self.out.has_skip(line, name):
                self.out.skip(
                    line,
                    name,
                    "no method for this activation energy (a method column, or --set "
                    "method=experiment for measured values)",
                    "",
                )
            return None
        method = _METHOD_BY_KEY.get(text.lower())
        if method is None:
            self.out.skip(line, name, f"unknown method {text!r}; the store knows {', '.join(METHODS)}", text)
            return None
        if method != text and text not in self._method_case_changed:
            self._method_case_changed.add(text)
            self.out.assumptions.append(
                f"method {text!r} read as {method!r} (names match case-insensitively)"
            )
        return method

    def _parameters(self, line: int, cells: Mapping[str, Any]) -> dict[str, Any] | None:
        raw, name = self._cell(cells, "parameters")
        if is_blank(raw):
            return None
        if isinstance(raw, Mapping):
            return dict(raw)
        text = text_cell(self.out, line, name, raw, MAX_TEXT_CHARS)
        if text is None:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self.out.skip(line, name, f"not a JSON object: {exc.msg} at character {exc.pos}", text)
            return None
        if not isinstance(value, dict):
            self.out.skip(line, name, f"a JSON {type(value).__name__}, not an object", text)
            return None
        return value
