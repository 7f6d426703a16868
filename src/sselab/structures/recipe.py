"""The structure-search recipe: search a composition, write its best structures, return a summary that
round-trips.

:func:`search_structures` is what ``sselab search run``, the pipeline's search jobs and a notebook call. Its
settings start from a named profile (:func:`~sselab.structures.settings.settings_for_profile`) and change only
the fields given; the checkpoint is the store, a SQLite file of the worker's own, or memory
(:func:`~sselab.structures.checkpoint.open_checkpoint`), so rerunning the same call continues the search.

Example
-------
>>> summary = search_structures("Mg(BH4)2·2NH3", z=1, profile="quick", budget=8)  # doctest: +SKIP
>>> summary.best[0].energy_ev_per_atom, summary.best[0].coordination  # doctest: +SKIP
>>> SearchSummary.from_dict(summary.as_dict()) == summary  # doctest: +SKIP
True
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from sselab.config import get_settings
from sselab.errors import SearchSettingsError
from sselab.simulate.potentials import get_calculator
from sselab.simulate.runfolder import RUN_METADATA_KEYS, RunFolder
from sselab.store import Store
from sselab.structures.analysis import cation_coordination, convergence_figure, write_best_cifs
from sselab.structures.cell import scan_z, search_cell_from_formula, with_relaxed_units
from sselab.structures.checkpoint import SearchCheckpoint, open_checkpoint
from sselab.structures.search import Individual, SearchResult, run_search
from sselab.structures.settings import SearchSettings, settings_for_profile

__all__ = ["BestStructure", "SearchSummary", "default_run_name", "search_structures"]


@dataclass(frozen=True)
class BestStructure:
    """One of the lowest unique structures of a search (energies in eV/atom; ``cif`` the file written;
    ``coordination_mean``: mean number of coordinating units of each kind per cation)."""

    key: str
    energy_ev_per_atom: float
    enthalpy_ev_per_atom: float
    operator: str
    generation: int
    parents: tuple[str, ...]
    coordination: str | None
    coordination_mean: dict[str, float] | None
    cif: str


@dataclass(frozen=True)
class SearchSummary:
    """What a search found: its best structures, counts, figure, and the settings it ran with.

    Attributes
    ----------
    run_name, formula, z
        The run's name in its checkpoint, the composition and the formula units per cell.
    cation, n_atoms
        Migrating cation of the composition (``None`` if none) and atoms per cell.
    settings
        The search's settings (:class:`~sselab.structures.settings.SearchSettings`).
    individuals, duplicates, invalid
        Individuals made so far, how many duplicate an earlier one, how many are invalid.
    best
        The lowest unique structures, best first.
    out_dir, convergence_png
        Folder with ``best/*.cif``, ``convergence.png`` (Figure 4b) and ``summary.json``.
    cell
        The search cell (units and counts).
    wall_time_s
        Wall time of this call (s).
    """

    kind: ClassVar[str] = "search"

    run_name: str
    formula: str
    z: int
    cation: str | None
    n_atoms: int
    settings: SearchSettings
    individuals: int
    duplicates: int
    invalid: int
    best: tuple[BestStructure, ...]
    out_dir: str
    convergence_png: str
    cell: dict[str, Any]
    wall_time_s: float = 0.0

    @property
    def potential(self) -> str:
        """The potential of every relaxation."""
        return self.settings.potential

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` rebuilds the summary (also from its ``summary.json``)."""
        return {
            "@class": "SearchSummary",
            "kind": self.kind,
            "run_name": self.run_name,
            "formula": self.formula,
            "z": self.z,
            "cation": self.cation,
            "n_atoms": self.n_atoms,
            "potential": self.potential,
            "settings": self.settings.as_dict(),
            "individuals": self.individuals,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "best": [asdict(b) | {"parents": list(b.parents)} for b in self.best],
            "out_dir": self.out_dir,
            "convergence_png": self.convergence_png,
            "cell": self.cell,
            "wall_time_s": self.wall_time_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSummary:
        """Inverse of :meth:`as_dict`."""
        d = {k: v for k, v in data.items() if k not in RUN_METADATA_KEYS}
        if d.get("kind") != cls.kind:
            raise SearchSettingsError(f"this is a {d.get('kind')!r} result, not a search summary")
        best = tuple(BestStructure(**(b | {"parents": tuple(b["parents"])})) for b in d["best"])
        return cls(
            run_name=str(d["run_name"]),
            formula=str(d["formula"]),
            z=int(d["z"]),
            cation=d.get("cation"),
            n_atoms=int(d["n_atoms"]),
            settings=SearchSettings.from_dict(d["settings"]),
            individuals=int(d["individuals"]),
            duplicates=int(d["duplicates"]),
            invalid=int(d["invalid"]),
            best=best,
            out_dir=str(d["out_dir"]),
            convergence_png=str(d["convergence_png"]),
            cell=dict(d["cell"]),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
        )


def default_run_name(formula: str, z: int, settings: SearchSettings, profile: str) -> str:
    """Run name derived from what defines the search, so the same call finds the same run."""
    safe = re.sub(r"[^A-Za-z0-9()]+", "_", formula).strip("_")
    return f"{safe}-z{z}-{settings.method}-{settings.potential}-{profile}-seed{settings.seed}"


def summarise_search(
    result: SearchResult, out_dir: Path, n_best: int, wall_time_s: float = 0.0
) -> SearchSummary:
    """Write the best CIFs and the convergence figure of ``result`` into ``out_dir``; return the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = write_best_cifs(result, out_dir / "best", n_best=n_best)
    figure = convergence_figure(
        {result.settings.method: result}, title=f"{result.cell.formula} (Z={result.cell.z})"
    )
    figure.savefig(out_dir / "convergence.png", dpi=150)
    best = tuple(_best(ind, result, path) for ind, path in zip(result.unique()[:n_best], paths, strict=False))
    return SearchSummary(
        run_name=result.run_name,
        formula=result.cell.formula,
        z=result.cell.z,
        cation=result.cell.cation,
        n_atoms=result.cell.n_atoms,
        settings=result.settings,
        individuals=len(result.individuals),
        duplicates=sum(i.duplicate_of is not None for i in result.individuals),
        invalid=sum(not i.valid for i in result.individuals),
        best=best,
        out_dir=str(out_dir.resolve()),
        convergence_png=str((out_dir / "convergence.png").resolve()),
        cell=result.cell.as_dict(),
        wall_time_s=wall_time_s,
    )


def _best(ind: Individual, result: SearchResult, path: Path) -> BestStructure:
    coordination = cation_coordination(ind.atoms, result.cell) if result.cell.cation else None
    return BestStructure(
        key=ind.key,
        energy_ev_per_atom=float(ind.energy_ev_per_atom),
        enthalpy_ev_per_atom=float(ind.enthalpy_ev_per_atom),
        operator=ind.operator,
        generation=int(ind.generation),
        parents=tuple(ind.parents),
        coordination=coordination.label() if coordination else None,
        coordination_mean=coordination.mean() if coordination else None,
        cif=str(Path(path).resolve()),
    )


def search_structures(
    formula: str,
    *,
    z: int | None = None,
    settings: SearchSettings | None = None,
    profile: str = "quick",
    checkpoint: SearchCheckpoint | Store | str | Path | None = None,
    run_name: str | None = None,
    out_dir: str | Path | None = None,
    n_best: int = 5,
    on_individual: Callable[[Individual], None] | None = None,
    **changes: Any,
) -> SearchSummary:
    """Search crystal structures of ``formula`` (GA or random) and summarise the best ones.

    Parameters
    ----------
    formula
        Composition, e.g. ``"Mg(BH4)2·2NH3"``.
    z
        Formula units per cell (default: the smallest Z with whole unit counts).
    settings
        Search settings; default those of ``profile``. Fields given as keywords (``changes``) replace theirs.
    profile
        ``quick`` or ``paper`` (:data:`~sselab.structures.settings.PROFILES`), used when ``settings`` is None.
    checkpoint
        Where the individuals live: an open store, a SQLite file path (a worker's own), or ``None`` (memory).
    run_name
        Name of the run in the checkpoint (default: :func:`default_run_name`); the same name continues it.
    out_dir
        Folder for the best CIFs, the figure and ``summary.json`` (default: the data folder's ``search/``).
    n_best
        Structures written as CIF.
    on_individual
        Called after each new individual (progress).
    """
    if settings is None:
        settings = settings_for_profile(profile, **changes)
    elif changes:
        settings = SearchSettings.build(settings, **changes)
    if z is not None and z < 1:
        raise SearchSettingsError(f"must be ≥ 1, got {z}", field="z")
    if n_best < 1:
        raise SearchSettingsError(f"must be ≥ 1, got {n_best}", field="n_best")
    started = time.perf_counter()
    z = z if z is not None else scan_z(formula)[0].z
    cell = search_cell_from_formula(formula, z)
    name = run_name or default_run_name(formula, z, settings, profile)
    folder = Path(out_dir) if out_dir is not None else get_settings().data_dir / "search" / name
    if folder.exists() and not folder.is_dir():
        raise SearchSettingsError(f"{folder} is a file, not a folder", field="out_dir")
    calculator = get_calculator(settings.potential, device=settings.device, threads=settings.threads)
    cell = with_relaxed_units(cell, calculator, settings.potential)
    result = run_search(
        cell, calculator, open_checkpoint(checkpoint), name, settings, on_individual=on_individual
    )
    summary = summarise_search(result, folder, n_best, time.perf_counter() - started)
    RunFolder(folder).write_summary(summary)
    return summary
