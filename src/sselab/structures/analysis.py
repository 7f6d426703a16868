"""Results of a search: cation coordination, formation energy against reference phases, convergence figure,
CIFs.

Example::

    >>> from sselab.structures.analysis import cation_coordination  # doctest: +SKIP
    >>> cation_coordination(result.best.atoms, result.cell)  # doctest: +SKIP
    CoordinationSummary(cation='Mg', per_cation=({'BH4': 2, 'NH3': 2},), ...)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.neighborlist import neighbor_list
from matplotlib.figure import Figure
from pymatgen.core import Composition
from pymatgen.io.cif import CifWriter
from scipy.optimize import nnls

from sselab.errors import SearchInputError
from sselab.structures.cell import SearchCell
from sselab.structures.dedup import to_structure
from sselab.structures.relax import relax_candidate
from sselab.structures.units import relaxed_unit

if TYPE_CHECKING:
    from sselab.structures.search import SearchResult

#: Default cation–unit contact distance (Å): a unit coordinates the cation when any of its atoms is this
#: close.
#: 2.6 Å covers Mg–H (≈2.0 Å) and Mg–N (≈2.1 Å) bonds, Li–H (≈2.0 Å), and stays below second-shell distances.
DEFAULT_CONTACT_A = 2.6


def unit_names_by_tag(cell: SearchCell) -> list[str]:
    """Unit name for each tag value 0..n-1, in the order the generator assigns tags."""
    names: list[str] = []
    for unit, count in cell.units:
        names += [unit.name] * count
    return names


@dataclass(frozen=True)
class CoordinationSummary:
    """Which units touch each cation.

    Attributes
    ----------
    cation
        Cation symbol.
    cutoff_a
        Contact distance used (Å).
    per_cation
        For each cation atom, ``{unit name: number of distinct units within the cutoff}``.
    """

    cation: str
    cutoff_a: float
    per_cation: tuple[dict[str, int], ...]

    def mean(self) -> dict[str, float]:
        """Mean number of coordinating units of each kind per cation."""
        names = sorted({k for d in self.per_cation for k in d})
        return {k: float(np.mean([d.get(k, 0) for d in self.per_cation])) for k in names}

    def label(self) -> str:
        """Short text: ``"Mg: 2 BH4 + 2 NH3"`` when all cations agree, else each environment with its count,
        e.g. ``"Mg: 3 BH4 (×1); 2 BH4 + 1 NH3 (×1)"``."""
        envs = Counter(
            " + ".join(f"{n} {k}" for k, n in sorted(d.items()) if n) or "none" for d in self.per_cation
        )
        if len(envs) == 1:
            return f"{self.cation}: {next(iter(envs))}"
        return f"{self.cation}: " + "; ".join(f"{env} (×{count})" for env, count in envs.most_common())


def cation_coordination(
    atoms: Atoms, cell: SearchCell, cutoff_a: float = DEFAULT_CONTACT_A
) -> CoordinationSummary:
    """Count the units (anions, molecules) with at least one atom within ``cutoff_a`` of each cation.

    Parameters
    ----------
    atoms
        Structure with one tag per unit (as produced by the search).
    cell
        The search cell (gives the unit name of each tag).
    cutoff_a
        Contact distance (Å).
    """
    cation = cell.cation
    if cation is None:
        raise SearchInputError(f"{cell.formula!r} has no single-atom cation to analyse")
    names = unit_names_by_tag(cell)
    tags = atoms.get_tags()
    if len(names) != len(set(tags.tolist())):
        raise SearchInputError(f"structure has {len(set(tags.tolist()))} tagged units, the cell {len(names)}")
    first, second = neighbor_list("ij", atoms, cutoff_a)
    symbols = atoms.get_chemical_symbols()
    per_cation = []
    for i in (k for k, s in enumerate(symbols) if s == cation and names[tags[k]] == cation):
        touching = {int(tags[j]) for j in second[first == i] if int(tags[j]) != int(tags[i])}
        counts = Counter(names[t] for t in touching if names[t] != cation)
        per_cation.append(dict(counts))
    return CoordinationSummary(cation=cation, cutoff_a=cutoff_a, per_cation=tuple(per_cation))


@dataclass(frozen=True)
class ReferencePhase:
    """A phase the formation energy is measured against.

    Attributes
    ----------
    name
        Label (e.g. ``"Mg(BH4)2 (search best)"`` or ``"NH3 (gas, relaxed in a 14 Å box)"``).
    formula
        Composition of one formula unit (e.g. ``"MgB2H8"`` or ``"NH3"``).
    energy_ev_per_formula_unit
        Energy with the same potential (eV per formula unit).
    """

    name: str
    formula: str
    energy_ev_per_formula_unit: float


def molecule_reference(
    name: str, calculator: Calculator, potential: str, box_a: float = 14.0
) -> ReferencePhase:
    """Gas-phase reference of a neutral molecule: relaxed once in a vacuum box (cached) and its energy
    computed."""
    unit = relaxed_unit(name, calculator, potential, box_a=box_a)
    atoms = unit.to_atoms()
    atoms.set_cell([box_a] * 3)
    atoms.center()
    atoms.pbc = True
    atoms.calc = calculator
    return ReferencePhase(
        name=f"{unit.name} (gas, relaxed in a {box_a:g} Å box)",
        formula="".join(unit.symbols),
        energy_ev_per_formula_unit=float(atoms.get_potential_energy()),
    )


def crystal_reference(
    name: str, atoms: Atoms, calculator: Calculator, *, relax_steps: int = 300, fmax_ev_per_a: float = 0.02
) -> ReferencePhase:
    """Reference phase from a given crystal (e.g. read from a CIF or a search's best), relaxed with
    ``calculator``."""
    relaxed = relax_candidate(atoms, calculator, max_steps=relax_steps, fmax_ev_per_a=fmax_ev_per_a)
    comp = Composition(relaxed.atoms.get_chemical_formula())
    reduced, n_units = comp.get_reduced_composition_and_factor()
    return ReferencePhase(
        name=name,
        formula=reduced.formula.replace(" ", ""),
        energy_ev_per_formula_unit=relaxed.energy_ev_per_atom * len(relaxed.atoms) / n_units,
    )


def formation_energy_ev_per_atom(
    atoms_formula: str, energy_ev_per_atom: float, references: list[ReferencePhase]
) -> float:
    """``(E − Σ x_k E_k) / N`` with amounts ``x_k ≥ 0`` of the references that reproduce the composition
    exactly.

    Parameters
    ----------
    atoms_formula
        Composition of the structure (e.g. ``"Mg2B4H28N4"``).
    energy_ev_per_atom
        Its energy per atom (eV/atom).
    references
        Reference phases with the same potential.

    Raises
    ------
    SearchInputError
        If the references cannot reproduce the composition with non-negative amounts.
    """
    comp = Composition(atoms_formula)
    elements = sorted(
        {el.symbol for el in comp} | {el.symbol for r in references for el in Composition(r.formula)}
    )
    matrix = np.array([[Composition(r.formula)[el] for r in references] for el in elements], dtype=float)
    target = np.array([comp[el] for el in elements], dtype=float)
    amounts, residual = nnls(matrix, target)
    if residual > 1e-6:
        raise SearchInputError(
            f"references {[r.formula for r in references]} cannot make {atoms_formula} (residual "
            f"{residual:.3g} atoms)"
        )
    total = energy_ev_per_atom * comp.num_atoms
    reference = sum(x * r.energy_ev_per_formula_unit for x, r in zip(amounts, references, strict=True))
    return float((total - reference) / comp.num_atoms)


def convergence_figure(results: dict[str, SearchResult], title: str = "") -> Figure:
    """Best energy (relative to the overall best, meV/atom) against individuals sampled, one line per search.

    Like the paper's Figure 4b, with every individual as a dot and the running best as a line.
    """
    fig = Figure(figsize=(6.0, 4.0))
    ax = fig.add_subplot()
    finite = [i.enthalpy_ev_per_atom for r in results.values() for i in r.individuals if i.valid]
    if not finite:
        raise SearchInputError("no valid individual to plot")
    lowest = min(finite)
    for label, result in results.items():
        x = np.arange(1, len(result.individuals) + 1)
        energies = np.array([i.enthalpy_ev_per_atom if i.valid else np.nan for i in result.individuals])
        ax.scatter(x, (energies - lowest) * 1000, s=8, alpha=0.4)
        ax.plot(x, (result.best_so_far() - lowest) * 1000, label=f"{label} (best so far)")
    ax.set_xlabel("individuals sampled (relaxations)")
    ax.set_ylabel("enthalpy − lowest found (meV/atom)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def write_best_cifs(result: SearchResult, folder: Path, n_best: int = 5) -> list[Path]:
    """Write the ``n_best`` unique lowest structures as ``rank{k}_{key}.cif`` and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rank, ind in enumerate(result.unique()[:n_best], start=1):
        path = folder / f"rank{rank}_{ind.key}.cif"
        CifWriter(to_structure(ind.atoms), symprec=0.1).write_file(str(path))
        paths.append(path)
    return paths
