"""Parameters of a structure search and the named profiles (``quick``, ``paper``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sselab.errors import SearchInputError
from sselab.structures.cell import SearchCell
from sselab.structures.generate import GeneratorSettings
from sselab.structures.operators import OperatorWeights
from sselab.structures.relax import check_optimizer

METHODS = ("ga", "random")
#: Minimum distances between units accepted from the variation operators (looser than for random structures,
#: so that cut-and-splice and strain find valid children within their own retry budgets).
OPERATOR_DISTANCE_RATIO = 0.7
OPERATOR_DISTANCE_FLOOR_A = 1.3


@dataclass(frozen=True)
class SearchSettings:
    """Parameters of a search (all recorded with the run).

    Attributes
    ----------
    budget
        Individuals (local relaxations) in total, initial population included.
    population_size
        Random individuals before the GA starts, and the size of the breeding population (best unique ones).
    method
        ``"ga"`` or ``"random"`` (baseline: every individual from the random generator).
    seed
        Seed of every random choice.
    relax_steps
        Optimizer step budget per relaxation (of the symmetric stage for random individuals when
        ``symmetric_random``; P1 relaxations get ``relax_steps + release_steps``).
    fmax_ev_per_a
        Force criterion of the relaxation (eV/Å).
    pressure_gpa
        Pressure (GPa): fitness is the enthalpy per atom; 0 gives the energy per atom.
    optimizer
        ASE optimizer of the relaxations (``"BFGS"``, ``"LBFGS"`` or ``"FIRE"``).
    symmetric_random
        Relax random individuals in the space group they were generated in (ASE ``FixSymmetry``) before
        releasing them, as AIRSS-style random searches do.
    release_steps
        Steps without the symmetry constraint after the symmetric stage.
    operator_tries
        Operator applications tried per offspring before falling back to a random individual.
    duplicate_window_ev_per_atom
        Only individuals within this energy of each other are compared with ``StructureMatcher``.
    generator
        Random-structure settings (space groups, volume factor, retry budget).
    operators
        Weights of the variation operators.
    """

    budget: int = 300
    population_size: int = 20
    method: str = "ga"
    seed: int = 1
    relax_steps: int = 150
    fmax_ev_per_a: float = 0.05
    pressure_gpa: float = 0.0
    optimizer: str = "BFGS"
    symmetric_random: bool = True
    release_steps: int = 40
    operator_tries: int = 10
    duplicate_window_ev_per_atom: float = 0.01
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    operators: OperatorWeights = field(default_factory=OperatorWeights)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SearchInputError(f"search method must be one of {METHODS}, got {self.method!r}")
        if self.budget < 1 or self.population_size < 2 or self.relax_steps < 0 or self.release_steps < 0:
            raise SearchInputError(
                f"budget ({self.budget}) must be ≥ 1, population_size ({self.population_size}) ≥ 2, "
                f"relax_steps ({self.relax_steps}) and release_steps ({self.release_steps}) ≥ 0"
            )
        check_optimizer(self.optimizer)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able parameters."""
        data = asdict(self)
        data["generator"]["space_groups"] = list(self.generator.space_groups)
        return data

    def fingerprint(self, cell: SearchCell) -> str:
        """Hash of everything that changes the individuals (the budget may grow on resume)."""
        data = self.as_dict()
        data.pop("budget")
        data["cell"] = cell.as_dict()
        data["unit_geometries"] = [u.positions_a for u, _ in cell.units]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSettings:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        generator = dict(values.pop("generator"))
        generator["space_groups"] = tuple(generator["space_groups"])
        operators = values.pop("operators", {})
        # runs stored before these settings existed were relaxed with FIRE in P1
        values.setdefault("optimizer", "FIRE")
        values.setdefault("symmetric_random", False)
        values.setdefault("release_steps", 0)
        return cls(**values, generator=GeneratorSettings(**generator), operators=OperatorWeights(**operators))


#: Named profiles: ``quick`` fits a CPU laptop (short relaxations, small population), ``paper`` is USPEX-like.
PROFILES: dict[str, SearchSettings] = {
    "quick": SearchSettings(
        budget=60, population_size=8, relax_steps=40, release_steps=20, fmax_ev_per_a=0.1
    ),
    "paper": SearchSettings(
        budget=300, population_size=30, relax_steps=300, release_steps=100, fmax_ev_per_a=0.03
    ),
}


def settings_for_profile(profile: str, **overrides: Any) -> SearchSettings:
    """The settings of a named profile with some fields replaced (``None`` values are ignored)."""
    if profile not in PROFILES:
        raise SearchInputError(f"unknown search profile {profile!r}: choose one of {', '.join(PROFILES)}")
    return replace(PROFILES[profile], **{k: v for k, v in overrides.items() if v is not None})
