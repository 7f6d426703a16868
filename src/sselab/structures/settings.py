"""Parameters of a structure search and the named profiles (``quick``, ``paper``): the one home of its
defaults.

The CLI (``sselab search run --profile NAME``), the pipeline's search stage (``[stages.search] profile``) and
:func:`sselab.structures.recipe.search_structures` all start from :func:`settings_for_profile` and change only
the fields given.

Example
-------
>>> settings = settings_for_profile("paper", seed=3)
>>> settings.population_size, settings.fmax_ev_per_a, settings.seed
(30, 0.03, 3)
>>> SearchSettings.build(settings_for_profile("quick"), popsize=4)
Traceback (most recent call last):
...
sselab.errors.SearchSettingsError: settings: unknown setting(s) popsize for SearchSettings; known: budget, ...
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sselab.errors import SearchSettingsError
from sselab.simulate.potentials import list_potentials
from sselab.structures.cell import SearchCell
from sselab.structures.generate import GeneratorSettings
from sselab.structures.operators import OperatorWeights
from sselab.structures.relax import OPTIMIZERS

METHODS = ("ga", "random")
#: Minimum distances between units accepted from the variation operators (looser than for random structures,
#: so that cut-and-splice and strain find valid children within their own retry budgets).
OPERATOR_DISTANCE_RATIO = 0.7
OPERATOR_DISTANCE_FLOOR_A = 1.3


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any) -> bool:
    return _finite(value) and value > 0


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
    potential
        Potential of every relaxation (registry name); with ``device`` and ``threads`` (torch CPU threads) not
        part of :meth:`fingerprint` (the units relaxed with the potential are).
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
    potential: str = "chgnet"
    device: str | None = None
    threads: int | None = None

    #: Fields that do not change the individuals of a resumed run (left out of :meth:`fingerprint`).
    NOT_FINGERPRINTED = ("budget", "potential", "device", "threads")

    def __post_init__(self) -> None:
        checks: tuple[tuple[str, bool, str], ...] = (
            ("method", self.method in METHODS, f"must be one of {METHODS}"),
            ("budget", _whole(self.budget, 1), "must be a whole number ≥ 1"),
            ("population_size", _whole(self.population_size, 2), "must be a whole number ≥ 2"),
            ("seed", _whole(self.seed, 0) and self.seed < 2**32, "must be a whole number in [0, 2**32)"),
            ("relax_steps", _whole(self.relax_steps, 0), "must be a whole number ≥ 0"),
            ("release_steps", _whole(self.release_steps, 0), "must be a whole number ≥ 0"),
            ("operator_tries", _whole(self.operator_tries, 1), "must be a whole number ≥ 1"),
            ("fmax_ev_per_a", _positive(self.fmax_ev_per_a), "must be a finite number > 0 (eV/Å)"),
            ("pressure_gpa", _finite(self.pressure_gpa), "must be a finite number (GPa)"),
            ("duplicate_window_ev_per_atom", _positive(self.duplicate_window_ev_per_atom), "must be > 0"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"must be one of {OPTIMIZERS}"),
            ("potential", self.potential in [p.name for p in list_potentials()], "unknown potential"),
            ("threads", self.threads is None or _whole(self.threads, 1), "must be a whole number ≥ 1"),
            ("device", self.device in (None, "cpu") or str(self.device).startswith("cuda"), "cpu or cuda"),
        )
        for name, ok, detail in checks:
            if not ok:
                raise SearchSettingsError(f"{detail}, got {getattr(self, name)!r}", field=name)

    @classmethod
    def build(
        cls,
        base: SearchSettings | Mapping[str, Any] | None = None,
        /,
        *,
        source: str = "settings",
        label: Callable[[str], str] = str,
        **changes: Any,
    ) -> SearchSettings:
        """Validated settings: ``base`` (settings or a mapping) with ``changes`` on top; an unknown key or an
        impossible value is a :class:`~sselab.errors.SearchSettingsError` naming it and ``source``."""
        values = base.as_dict() if isinstance(base, SearchSettings) else dict(base or {})
        values.update(changes)
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise SearchSettingsError(
                f"unknown setting(s) {', '.join(label(u) for u in unknown)} for SearchSettings; known: "
                + ", ".join(label(k) for k in known),
                source=source,
            )
        try:
            return cls.from_dict(values)
        except SearchSettingsError as exc:
            raise SearchSettingsError(exc.detail, field=exc.field, source=source, label=label) from None
        except (TypeError, ValueError) as exc:
            raise SearchSettingsError(str(exc), source=source) from None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able parameters."""
        data = asdict(self)
        data["generator"]["space_groups"] = list(self.generator.space_groups)
        return data

    def fingerprint(self, cell: SearchCell) -> str:
        """Hash of everything that changes the individuals (the budget may grow on resume)."""
        data = self.as_dict()
        for name in self.NOT_FINGERPRINTED:
            data.pop(name)
        data["cell"] = cell.as_dict()
        data["unit_geometries"] = [u.positions_a for u, _ in cell.units]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSettings:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        generator = dict(values.pop("generator", None) or asdict(GeneratorSettings()))
        generator["space_groups"] = tuple(generator["space_groups"])
        operators = values.pop("operators", None) or {}
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


def settings_for_profile(
    profile: str, *, source: str = "settings", label: Callable[[str], str] = str, **overrides: Any
) -> SearchSettings:
    """The settings of a named profile with some fields replaced (``None`` values are ignored).

    Raises
    ------
    SearchSettingsError
        For an unknown profile (naming ``profile``), an unknown field or an impossible value.
    """
    if profile not in PROFILES:
        raise SearchSettingsError(
            f"unknown search profile {profile!r}: choose one of {', '.join(PROFILES)}",
            field="profile",
            source=source,
            label=label,
        )
    changes = {k: v for k, v in overrides.items() if v is not None}
    return SearchSettings.build(PROFILES[profile], source=source, label=label, **changes)
