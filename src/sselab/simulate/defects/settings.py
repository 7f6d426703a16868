"""Settings of the composite defect barrier: one frozen, validated object that owns every default.

Example
-------
>>> settings = CompositeSettings(defect_fmax_ev_per_a=0.1, n_interstitial_starts=2)
>>> settings.neb_images, settings.min_width_a
(3, 8.0)
>>> CompositeSettings.from_dict({"neb_images": 0})
Traceback (most recent call last):
...
sselab.errors.ConfigError: composite setting neb_images must be >= 1, got 0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sselab.errors import ConfigError

#: Optimizers the relaxations accept (ASE names).
OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")


@dataclass(frozen=True)
class CompositeSettings:
    """Parameters of :func:`~sselab.simulate.defects.composite_barrier` (all recorded with the result).

    Attributes
    ----------
    min_width_a
        Every perpendicular width of the supercell is at least this (Å); ignored when ``supercell`` or
        ``max_atoms`` is given.
    max_atoms
        Choose the repetitions (up to 4 per axis) with the largest smallest width within this many atoms
        (ties: fewer atoms); a cost cap that treats cells of any shape alike. Ignored when ``supercell`` is
        given.
    supercell
        Explicit repetitions of the relaxed cell along a, b, c (overrides ``min_width_a`` and ``max_atoms``).
    relax_cell
        Relax the input cell (positions and lattice, ASE ``FrechetCellFilter``) before building the supercell.
    bulk_fmax_ev_per_a
        Force criterion of the bulk relaxation (eV/Å; with the cell filter it also bounds the stress).
    bulk_steps
        Optimizer steps at most for the bulk relaxation.
    defect_fmax_ev_per_a
        Force criterion of every defect relaxation (fixed cell) and of the NEB end points (eV/Å).
    defect_steps
        Optimizer steps at most per defect relaxation.
    optimizer
        ASE optimizer of the relaxations: ``"BFGS"``, ``"LBFGS"`` or ``"FIRE"``.
    n_interstitial_starts
        Interstitial sites tried for the Frenkel pair (the roomiest symmetry-distinct Voronoi sites, each
        placed as far from the vacancy as the cell allows); the lowest relaxed energy is kept.
    interstitial_min_distance_a
        Voronoi interstitial sites closer than this to any atom are discarded (Å).
    recombination_distance_a
        A Frenkel start whose relaxed structure has a cation within this distance of the vacancy site has
        recombined (the interstitial fell back into the vacancy); it is reported and not used (Å).
    neb_images
        Moving images of the CI-NEB of the vacancy hop.
    neb_fmax_ev_per_a
        Force criterion of the band (eV/Å).
    neb_steps
        Optimizer steps at most for the band (and for each of its end points).
    neb_spring_ev_per_a2
        Spring constant between images (eV/Å²).
    neighbour_rank
        Which neighbour of the vacancy hops into it: 0 the nearest cation, 1 the second nearest, ...
    """

    min_width_a: float = 8.0
    max_atoms: int | None = None
    supercell: tuple[int, int, int] | None = None
    relax_cell: bool = True
    bulk_fmax_ev_per_a: float = 0.02
    bulk_steps: int = 400
    defect_fmax_ev_per_a: float = 0.05
    defect_steps: int = 400
    optimizer: str = "BFGS"
    n_interstitial_starts: int = 3
    interstitial_min_distance_a: float = 1.0
    recombination_distance_a: float = 1.0
    neb_images: int = 3
    neb_fmax_ev_per_a: float = 0.05
    neb_steps: int = 300
    neb_spring_ev_per_a2: float = 0.1
    neighbour_rank: int = 0

    def __post_init__(self) -> None:
        positive = (
            "bulk_fmax_ev_per_a",
            "defect_fmax_ev_per_a",
            "neb_fmax_ev_per_a",
            "neb_spring_ev_per_a2",
            "interstitial_min_distance_a",
            "recombination_distance_a",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"composite setting {name} must be a number > 0, got {value!r}")
        for name, low in (("bulk_steps", 1), ("defect_steps", 1), ("neb_steps", 1), ("neb_images", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"composite setting {name} must be >= {low}, got {value!r}")
        if not isinstance(self.n_interstitial_starts, int) or not 1 <= self.n_interstitial_starts <= 8:
            raise ConfigError(
                f"composite setting n_interstitial_starts must be 1..8, got {self.n_interstitial_starts!r}"
            )
        if not isinstance(self.neighbour_rank, int) or self.neighbour_rank < 0:
            raise ConfigError(f"composite setting neighbour_rank must be >= 0, got {self.neighbour_rank!r}")
        if self.max_atoms is not None and (not isinstance(self.max_atoms, int) or self.max_atoms < 2):
            raise ConfigError(f"composite setting max_atoms must be an integer >= 2, got {self.max_atoms!r}")
        if not isinstance(self.min_width_a, int | float) or self.min_width_a < 0:
            raise ConfigError(f"composite setting min_width_a must be >= 0 Å, got {self.min_width_a!r}")
        if self.supercell is not None:
            reps = tuple(self.supercell)
            if len(reps) != 3 or not all(isinstance(n, int) and n >= 1 for n in reps):
                raise ConfigError(
                    f"composite setting supercell must be three integers >= 1, got {self.supercell!r}"
                )
            object.__setattr__(self, "supercell", reps)
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"composite setting optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields (``supercell`` as a list or ``None``)."""
        data = asdict(self)
        data["supercell"] = list(self.supercell) if self.supercell is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompositeSettings:
        """Build from a mapping (a TOML table, a JSON summary); unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown composite setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if values.get("supercell") is not None:
            values["supercell"] = tuple(values["supercell"])
        return cls(**values)

    def replace(self, **changes: Any) -> CompositeSettings:
        """A copy with some fields changed (validated; unknown names refused)."""
        return CompositeSettings.from_dict({**self.as_dict(), **changes})
