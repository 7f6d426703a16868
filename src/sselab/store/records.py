"""Plain records that go into the store (frozen dataclasses), and the results of an import.

These are what importers, simulations and the pipeline build; the store turns them into rows. Example::

    >>> from sselab.store.records import ConductivityRecord, ImportBatch, MaterialRecord, SourceRecord
    >>> m = MaterialRecord("Mg(BH4)2·2NH3", dataset="demo")
    >>> r = ConductivityRecord(m, temperature_k=300.0, conductivity_s_per_cm=1e-5, source="10.1/x")
    >>> batch = ImportBatch("demo", file_sha256="ab" * 32, file_name="demo.csv", conductivities=(r,))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sselab.chem import ParsedFormula, parse_formula

METHODS: tuple[str, ...] = (
    "experiment",
    "MetaD",
    "CI-NEB",
    "AIMD",
    "MLMD",
    "BVSE",
    "regression",
    "composite",
)
"""Activation-energy methods the store accepts (``ActivationEnergyRecord.method``); ``composite`` is CI-NEB Em
plus half the lower defect-pair formation energy (:func:`sselab.simulate.defects.composite_barrier`)."""


@dataclass(frozen=True)
class SourceRecord:
    """A literature source: DOI (preferred key) and/or a free-text citation."""

    doi: str | None
    citation: str | None = None


@dataclass(frozen=True)
class MaterialRecord:
    """A material as written in its source.

    Parameters
    ----------
    formula
        The formula exactly as written (deduplication key together with ``dataset``).
    parsed
        The result of :func:`sselab.chem.parse_formula`; ``None`` stores the material unparsed.
    family_label
        A family label given by the source (e.g. the dataset's own grouping).
    dataset
        Dataset name; ``None`` takes the dataset of the batch/record it arrives with.
    metadata
        Further facts about the material from its source, JSON-serialisable (e.g. OBELiX's space group and
        lattice parameters); stored in the ``metadata`` JSON column. Not part of the record's hash.
    """

    formula: str
    parsed: ParsedFormula | None = None
    family_label: str | None = None
    dataset: str | None = None
    metadata: Mapping[str, Any] | None = field(default=None, hash=False)

    @classmethod
    def from_formula(
        cls,
        formula: str,
        *,
        dataset: str | None = None,
        family_label: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MaterialRecord:
        """Parse ``formula`` with :func:`sselab.chem.parse_formula` (raises ``FormulaParseError``)."""
        return cls(
            formula, parse_formula(formula), family_label=family_label, dataset=dataset, metadata=metadata
        )


MaterialLike = MaterialRecord | str
"""A material given as a record, or just its formula (then stored unparsed)."""
SourceLike = SourceRecord | str | None
"""A source given as a record, a DOI string, or nothing."""


@dataclass(frozen=True)
class ConductivityRecord:
    """One ionic-conductivity measurement: σ (S/cm) at temperature T (K).

    ``entry`` is the source's own identifier of the row (OBELiX ``ID``, a Liverpool ``ID``, the wang2025
    ``Index``, a table's reference number): part of the row's natural key (:mod:`sselab.store.keys`), so that
    a re-import of an edited file replaces the row instead of adding a copy.
    """

    material: MaterialLike
    temperature_k: float
    conductivity_s_per_cm: float
    phase: str | None = None
    source: SourceLike = None
    dataset: str | None = None
    row_number: int | None = None
    entry: str | None = None


@dataclass(frozen=True)
class ActivationEnergyRecord:
    """One activation energy (eV) with its method (one of :data:`METHODS`) and temperature range (K).

    A computed one also says how it was obtained: ``protocol`` (``frenkel``, ``vacancy``, ``composite`` ...),
    ``converged`` (``None``: no criterion applied) with ``convergence_reason``, ``device`` (``cpu``/``cuda``)
    and ``structure_provenance`` (``experimental``, ``predicted``, ``user``, ``built-in``).
    ``entry``: the source's identifier of the row (see :class:`ConductivityRecord`).
    """

    material: MaterialLike
    activation_energy_ev: float
    method: str
    phase: str | None = None
    temperature_min_k: float | None = None
    temperature_max_k: float | None = None
    uncertainty_ev: float | None = None
    source: SourceLike = None
    potential: str | None = None
    parameters: Mapping[str, Any] | None = None
    run_folder: str | None = None
    dataset: str | None = None
    row_number: int | None = None
    note: str | None = None
    protocol: str | None = None
    converged: bool | None = None
    convergence_reason: str | None = None
    device: str | None = None
    structure_provenance: str | None = None
    entry: str | None = None


@dataclass(frozen=True)
class StructureRecord:
    """A crystal structure of a material as CIF text, with where it came from.

    ``entry``: the source's identifier of the row (see :class:`ConductivityRecord`).
    """

    material: MaterialLike
    cif: str
    provenance: str
    source: SourceLike = None
    dataset: str | None = None
    row_number: int | None = None
    entry: str | None = None


@dataclass(frozen=True)
class ImportBatch:
    """Everything read from one file: imported in one transaction, once per (dataset, file_sha256)."""

    dataset: str
    file_sha256: str
    file_name: str
    conductivities: tuple[ConductivityRecord, ...] | list[ConductivityRecord] = ()
    activation_energies: tuple[ActivationEnergyRecord, ...] | list[ActivationEnergyRecord] = ()
    structures: tuple[StructureRecord, ...] | list[StructureRecord] = ()
    materials: tuple[MaterialRecord, ...] | list[MaterialRecord] = ()


@dataclass(frozen=True)
class RowChange:
    """A stored row that a re-import replaced: which one, and its value before and after.

    Attributes
    ----------
    table
        ``conductivity_measurements``, ``activation_energies`` or ``structures``.
    row_id
        The row's id in the store (kept: the row is updated in place).
    row_number
        Its row in the new file.
    key
        What identifies it (dataset, material, quantity, conditions, source), as text.
    old, new
        Its value before and after, as text (``σ = 2.9e-04 S/cm``).
    """

    table: str
    row_id: int
    row_number: int | None
    key: str
    old: str
    new: str


@dataclass(frozen=True)
class ImportResult:
    """Rows inserted per table (``materials``, ``sources``, ``conductivity_measurements`` ...).

    ``already_present`` is True when the same (dataset, file_sha256) had been imported before and every row
    still matched the store (nothing added or changed; a file re-imported after another changed its rows is
    applied again).
    Rows whose natural key (:mod:`sselab.store.keys`) is already stored for the dataset are not added again:
    ``unchanged`` counts those with the same value, ``replaced`` those whose value changed (updated in place,
    each listed in ``changes``).
    """

    inserted: dict[str, int] = field(default_factory=dict)
    already_present: bool = False
    import_id: int | None = None
    replaced: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    changes: tuple[RowChange, ...] = ()
