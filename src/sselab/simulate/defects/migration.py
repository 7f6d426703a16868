"""The cation vacancy hop: CI-NEB between a cation next to a vacancy and the same cation in the vacancy.

Uses :func:`sselab.simulate.neb.cation_hop_endpoints` and :func:`sselab.simulate.neb.run_neb` (ASE NEB,
climbing image, IDPP) and checks that the highest image is an interior one: a maximum at an end point means
the band did not find a saddle (e.g. an end point relaxed away), and the barrier is then not a migration
energy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from sselab.simulate.defects.settings import CompositeSettings
from sselab.simulate.neb import cation_hop_endpoints, run_neb
from sselab.simulate.potentials import list_potentials
from sselab.simulate.settings import NEBSettings


@dataclass(frozen=True)
class MigrationResult:
    """CI-NEB of one cation vacancy hop.

    Attributes
    ----------
    barrier_ev
        Em: highest image minus the initial (relaxed) end point (eV).
    reverse_barrier_ev
        Highest image minus the final end point (eV).
    energies_ev
        Image energies relative to the initial end point (eV), end points included.
    reaction_coordinate_a
        Cumulative distance along the band (Å).
    hop_distance_a
        Straight-line length of the hop (Å).
    vacancy_index, moving_index
        Supercell index of the removed cation; index (in the vacancy cell) of the hopping one.
    max_image
        Index of the highest image; ``max_is_interior`` says whether it is neither end point.
    converged
        The band reached its force criterion.
    n_images, n_force_calls
        Moving images; force evaluations (band and end points).
    run_dir
        NEB folder (inputs, band, profile figure), if written.
    """

    barrier_ev: float
    reverse_barrier_ev: float
    energies_ev: tuple[float, ...]
    reaction_coordinate_a: tuple[float, ...]
    hop_distance_a: float
    vacancy_index: int
    moving_index: int
    max_image: int
    max_is_interior: bool
    converged: bool
    n_images: int
    n_force_calls: int
    run_dir: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        data = asdict(self)
        data["energies_ev"] = list(self.energies_ev)
        data["reaction_coordinate_a"] = list(self.reaction_coordinate_a)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MigrationResult:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        values["energies_ev"] = tuple(values["energies_ev"])
        values["reaction_coordinate_a"] = tuple(values["reaction_coordinate_a"])
        return cls(**values)


def vacancy_migration(
    bulk: Atoms,
    cation: str,
    vacancy_index: int,
    calculator_factory: Callable[[], Calculator],
    settings: CompositeSettings,
    run_dir: str | Path | None = None,
    potential: str | None = None,
) -> MigrationResult:
    """CI-NEB of the ``settings.neighbour_rank``-th nearest cation hopping into the vacancy at
    ``vacancy_index`` of the relaxed perfect supercell ``bulk`` (end points relaxed at fixed cell).

    ``potential``: the name of the potential ``calculator_factory`` makes
    (:attr:`~sselab.simulate.potential_identity.PotentialIdentity.name`), recorded in the NEB result and,
    when it is a registry name, in the NEB's settings (its ``summary.json``), so that file never shows the
    settings' default potential for a band another potential computed."""
    hop = cation_hop_endpoints(
        bulk, cation, vacancy_site=vacancy_index, neighbour_rank=settings.neighbour_rank
    )
    named: dict[str, Any] = (
        {"potential": potential} if potential in {p.name for p in list_potentials()} else {}
    )
    neb_settings = NEBSettings.build(
        source="composite settings (neb_*)",
        vacancy_site=vacancy_index,
        neighbour_rank=settings.neighbour_rank,
        n_images=settings.neb_images,
        climb=True,
        fmax=settings.neb_fmax_ev_per_a,
        steps=settings.neb_steps,
        spring_constant_ev_per_a2=settings.neb_spring_ev_per_a2,
        **named,
    )
    neb = run_neb(
        hop.initial,
        hop.final,
        calculator_factory,
        settings=neb_settings,
        run_dir=run_dir,
        hop_distance_a=float(hop.hop_distance_a),
        potential=potential,
    )
    energies = np.asarray(neb.energies_ev)
    top = int(np.argmax(energies))
    return MigrationResult(
        barrier_ev=float(neb.barrier_ev),
        reverse_barrier_ev=float(neb.reverse_barrier_ev),
        energies_ev=tuple(float(e) for e in energies),
        reaction_coordinate_a=tuple(float(s) for s in neb.reaction_coordinate_a),
        hop_distance_a=float(hop.hop_distance_a),
        vacancy_index=int(vacancy_index),
        moving_index=int(hop.moving_index),
        max_image=top,
        max_is_interior=0 < top < len(energies) - 1,
        converged=bool(neb.converged),
        n_images=settings.neb_images,
        n_force_calls=int(neb.n_force_calls),
        run_dir=str(run_dir) if run_dir is not None else None,
    )
