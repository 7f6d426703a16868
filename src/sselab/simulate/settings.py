"""Settings of every simulation method: the one home of their defaults, validated once at the boundary.

One pydantic model per method (``extra="forbid"``, frozen): :class:`MetaDSettings`, :class:`NEBSettings`,
:class:`MDArrheniusSettings` and :class:`RelaxSettings` (the structure search's are
:class:`sselab.structures.SearchSettings`). The CLI's option defaults, the pipeline's stage defaults and a
recipe called from a notebook all come from these classes; a profile or a ``--config`` file lists only what
differs. :meth:`MethodSettings.build` refuses unknown keys and impossible values (NaN, negative, zero
steps ...) with a :class:`~sselab.errors.SettingsError` naming the setting, as the caller spells it
(``--width-a``
on the command line, ``[stages.metad] width_a`` in a profile).

Example
-------
>>> settings = MetaDSettings.build(temperature_k=600.0, steps=2000)
>>> settings.protocol, settings.width_a  # width None: measured in the unbiased equilibration
('frenkel', None)
>>> MetaDSettings.build(temperature_k=float("nan"))
Traceback (most recent call last):
...
sselab.errors.SettingsError: settings: temperature_k: Input should be a finite number (got nan)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sselab.errors import SettingsError
from sselab.simulate.potentials import list_potentials

__all__ = [
    "METAD_PROTOCOLS",
    "MDArrheniusSettings",
    "MetaDSettings",
    "MethodSettings",
    "NEBSettings",
    "RelaxSettings",
    "option_name",
]

#: MetaD protocols: how the migration is set up (:mod:`sselab.simulate.protocols` says what each measures).
METAD_PROTOCOLS = ("frenkel", "vacancy", "interstitial", "paper")

Temperature = Annotated[float, Field(gt=0.0, le=10_000.0, allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Steps = Annotated[int, Field(ge=1, le=1_000_000_000)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Threads = Annotated[int, Field(ge=1, le=1024)]
FieldLabel = Callable[[str], str]


def option_name(field: str) -> str:
    """The command-line option of a setting: ``temperature_k`` -> ``--temperature-k``."""
    return "--" + field.replace("_", "-")


class MethodSettings(BaseModel):
    """What every method's settings have: the potential and where it runs.

    Attributes
    ----------
    potential
        Name in the potential registry (:func:`sselab.simulate.potentials.list_potentials`).
    device
        ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``); ``None``: ``SSELAB_DEVICE``, else CUDA when present.
    threads
        CPU threads of a torch potential; ``None``: ``SSELAB_THREADS``, else torch's default (on a Dask
        worker: the worker's threads).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    potential: str = Field("chgnet", description="Potential name (sselab.simulate.potentials).")
    device: str | None = Field(None, description="Device of a torch potential: cpu or cuda (default: auto).")
    threads: Threads | None = Field(None, description="CPU threads of a torch potential.")

    @field_validator("potential")
    @classmethod
    def _known_potential(cls, value: str) -> str:
        names = [p.name for p in list_potentials()]
        if value.lower() not in names:
            raise ValueError(f"unknown potential {value!r}; known: {', '.join(names)}")
        return value.lower()

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str | None) -> str | None:
        if value is not None and value != "cpu" and not value.startswith("cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {value!r}")
        return value

    @classmethod
    def build(
        cls,
        base: BaseModel | Mapping[str, Any] | None = None,
        /,
        *,
        source: str = "settings",
        label: FieldLabel = str,
        **changes: Any,
    ) -> Self:
        """Validated settings: ``base`` (settings or a mapping, e.g. a TOML table) with ``changes`` on top.

        Parameters
        ----------
        base
            Starting values (another settings object or a mapping); ``None``: the defaults.
        source
            Where the values come from, for error messages (a file, ``"command line"``, ``[stages.metad]``).
        label
            How a field is named in error messages (e.g. :func:`option_name` for the command line).

        Raises
        ------
        SettingsError
            Naming the first unknown key or invalid value and ``source``.
        """
        values = dict(base.model_dump() if isinstance(base, BaseModel) else (base or {}))
        values.update(changes)
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            known = ", ".join(label(name) for name in cls.model_fields)
            raise SettingsError(
                f"unknown setting(s) {', '.join(label(u) for u in unknown)} for {cls.__name__}; "
                f"known: {known}",
                source=source,
            )
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _settings_error(exc, source, label) from None

    @classmethod
    def default(cls, field: str) -> Any:
        """The default value of ``field`` (what the CLI shows and a profile falls back to)."""
        return cls.model_fields[field].get_default(call_default_factory=True)

    @classmethod
    def describe(cls, field: str) -> str:
        """The help text of ``field`` (with its unit)."""
        return cls.model_fields[field].description or field

    def replace(self, **changes: Any) -> Self:
        """A validated copy with some fields changed."""
        return self.build(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values of every field (tuples as lists)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`as_dict` (validated again: a hand-edited file is checked)."""
        return cls.build(data, source=f"{cls.__name__} dict")


def _settings_error(exc: ValidationError, source: str, label: FieldLabel) -> SettingsError:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else None
    message = str(error["msg"]).removeprefix("Value error, ")
    return SettingsError(f"{message} (got {error.get('input')!r})", field=field, source=source, label=label)


class _StructureSettings(MethodSettings):
    """Settings of a method that runs on a crystal: its supercell and a bound on its size."""

    supercell_min_length_a: float = Field(
        0.0, ge=0.0, le=100.0, allow_inf_nan=False, description="Repeat the cell to at least this width (Å)."
    )
    max_atoms: int = Field(
        2000, ge=1, le=100_000, description="Largest simulated cell (atoms, after the supercell)."
    )


class MetaDSettings(_StructureSettings):
    """Well-tempered metadynamics of a migrating cation
    (:func:`sselab.simulate.recipes.metad_of_structure`).

    Hill width, pace and height left ``None`` follow from the preparation: the width is the CV's standard
    deviation and the pace its correlation time in the unbiased equilibration, the height ``½ kT``.
    """

    supercell_min_length_a: float = Field(
        10.0, ge=0.0, le=100.0, allow_inf_nan=False, description="Repeat the cell to at least this width (Å)."
    )
    protocol: Literal["frenkel", "vacancy", "interstitial", "paper"] = Field(
        "frenkel",
        description="frenkel: perfect crystal, the ion leaves its site for an interstitial (intrinsic Ea = "
        "½ΔF(interstitial) + Ea2); vacancy: hop into a vacancy made next to the ion (migration only); "
        "interstitial: an extra ion hops between interstitial sites (migration only); paper: perfect "
        "crystal, "
        "raw Ea1/Ea2/span as Wang et al. 2025 report them.",
    )
    cv: Literal["auto", "displacement", "displacement2d", "coordination", "site-distance", "path"] = Field(
        "auto",
        description="Collective variable(s); auto: the protocol's own (site-distance for frenkel/paper, "
        "displacement for vacancy/interstitial). All are measured against the host (translation invariant).",
    )
    cv_reference: Literal["host", "cage"] = Field(
        "host", description="The ion's position relative to the centroid of every other atom, or of its cage."
    )
    temperature_k: Temperature = Field(500.0, description="Temperature (K).")
    steps: Steps = Field(
        20_000, description="Total MD steps, the cap of the stopping rule (a resumed run continues to this)."
    )
    chunk_steps: Steps | None = Field(
        2000, description="Run in chunks of this many steps, checking convergence after each (exact restart)."
    )
    timestep_fs: float = Field(1.0, gt=0.0, le=10.0, allow_inf_nan=False, description="MD time step (fs).")
    height_ev: float | None = Field(
        None, gt=0.0, le=1.0, allow_inf_nan=False, description="Initial hill height (eV; default ½ kT)."
    )
    width_a: float | None = Field(
        None,
        gt=0.0,
        le=5.0,
        allow_inf_nan=False,
        description="Hill width σ of the length CVs (Å; default: the CV's spread in the unbiased run).",
    )
    coordination_width: float | None = Field(
        None, gt=0.0, le=5.0, allow_inf_nan=False, description="Hill width σ of the coordination CV."
    )
    pace: Steps | None = Field(
        None, description="MD steps between hills (default: the CV's correlation time, 10–500 steps)."
    )
    bias_factor: float = Field(
        10.0, gt=1.0, description="Well-tempered bias factor γ (> 1; inf: plain metadynamics)."
    )
    seed: Seed = Field(0, description="Random seed of velocities and thermostat (recorded).")
    thermostat: Literal["langevin", "nose-hoover"] = Field("langevin", description="NVT thermostat.")
    friction_per_fs: PositiveFloat = Field(0.01, description="Langevin friction (1/fs).")
    fix_center_of_mass: bool = Field(
        True,
        description="Hold the centre of mass (ASE FixCom); off only for models of independent particles.",
    )
    cation_index: int | None = Field(None, ge=0, description="Index of the migrating ion (default: first).")
    direction: tuple[float, float, float] | None = Field(
        None, description="Hop direction 'x,y,z' (default: towards the target site)."
    )
    relax_steps: int = Field(
        200,
        ge=0,
        le=100_000,
        description="Optimiser steps of each relaxation (positions and cell of the given cell, then "
        "positions "
        "of the defect cell; 0: none).",
    )
    relax_fmax: PositiveFloat = Field(0.05, description="Force threshold of the relaxations (eV/Å).")
    npt_steps: int = Field(
        1000, ge=0, le=1_000_000, description="NPT equilibration steps at the temperature, 0 Pa (0: none)."
    )
    equilibration_steps: int = Field(
        1000,
        ge=0,
        le=1_000_000,
        description="Unbiased NVT steps measuring the CV's spread and correlation time (0: none; then give "
        "width_a and pace).",
    )
    target_tolerance_a: PositiveFloat = Field(
        0.5, description="The end minimum must lie this close to the target site (Å, along the first CV)."
    )
    wall_margin_a: float | None = Field(
        1.0,
        ge=0.0,
        le=20.0,
        description="Upper wall this far beyond the target on the first CV, a lower one half as far "
        "behind the "
        "site (Å; None: none).",
    )
    wall_kappa_ev: PositiveFloat = Field(10.0, description="Wall strength κ (eV per Å²).")
    coordination_r0_a: PositiveFloat = Field(
        3.0, description="R_0 of the coordination switching function (Å)."
    )
    coordination_cutoff_a: PositiveFloat | None = Field(
        6.0, description="Cut-off D_MAX of the coordination switching function (Å; None: none)."
    )
    coordination_elements: tuple[str, ...] = Field(
        ("B", "N", "O"),
        min_length=1,
        description="Elements counted by the coordination CV (anion centres, "
        "N/O donors of neutral molecules).",
    )
    path_images: int = Field(5, ge=1, le=32, description="Moving CI-NEB images of the path CV.")
    colvar_stride: Steps = Field(5, description="MD steps between COLVAR lines.")
    checkpoint_every: Steps = Field(1000, description="MD steps between checkpoints.")
    trajectory_every: int = Field(0, ge=0, description="MD steps between trajectory frames (0: none).")
    fes_bins: int = Field(200, ge=10, le=10_000, description="Grid intervals per CV of the hills FES.")
    fes_method: Literal["reweighting", "hills"] = Field(
        "reweighting", description="FES estimator whose barriers are reported."
    )
    smoke_test: bool = Field(
        False, description="A smoke test (quick profile): never converged, never in the method benchmark."
    )

    @field_validator("bias_factor")
    @classmethod
    def _not_nan(cls, value: float) -> float:
        if value != value:  # NaN
            raise ValueError("must be a number > 1 (inf for plain metadynamics)")
        return value

    @field_validator("direction")
    @classmethod
    def _nonzero_direction(
        cls, value: tuple[float, float, float] | None
    ) -> tuple[float, float, float] | None:
        if value is not None and (
            not all(abs(x) < float("inf") for x in value) or sum(x * x for x in value) == 0.0
        ):
            raise ValueError("must be three finite numbers, not all zero")
        return value

    def hill_parameters(self) -> tuple[float, float, int]:
        """``(height_ev, width_a, pace)``, which must all be set (by the user or the preparation)."""
        if self.height_ev is None or self.width_a is None or self.pace is None:
            raise SettingsError(
                "height_ev, width_a and pace must be given or measured (equilibration_steps > 0)",
                field="width_a",
            )
        return self.height_ev, self.width_a, self.pace


class NEBSettings(_StructureSettings):
    """CI-NEB of a cation hop into a neighbouring vacancy
    (:func:`sselab.simulate.recipes.neb_of_structure`)."""

    vacancy_site: int | None = Field(None, ge=0, description="Index of the cation removed (default: first).")
    neighbour_rank: int = Field(
        0, ge=0, description="0: the nearest cation hops into the vacancy, 1: the next ..."
    )
    n_images: int = Field(5, ge=1, le=64, description="Moving images between the end points.")
    climb: bool = Field(True, description="Climbing image (CI-NEB).")
    fmax: PositiveFloat = Field(0.05, description="Force convergence threshold (eV/Å).")
    steps: Steps = Field(300, description="Maximum optimiser steps (band and each end point).")
    method: Literal["aseneb", "improvedtangent", "eb", "spline", "string"] = Field(
        "improvedtangent", description="ASE NEB tangent/force method."
    )
    interpolate: Literal["idpp", "linear"] = Field("idpp", description="Initial band interpolation.")
    relax_endpoints: bool = Field(True, description="Relax both end points first (fixed cell, BFGS).")
    spring_constant_ev_per_a2: PositiveFloat = Field(0.1, description="Spring constant (eV/Å²).")
    optimizer: Literal["fire", "bfgs", "mdmin"] = Field("fire", description="Band optimiser.")


class MDArrheniusSettings(_StructureSettings):
    """MD at several temperatures → MSD → D → Nernst–Einstein σ → Arrhenius Ea
    (:func:`sselab.simulate.recipes.md_arrhenius_of_structure`)."""

    temperatures_k: tuple[Temperature, ...] = Field(
        (600.0, 700.0, 800.0), min_length=1, description="Temperatures (K), three or more for a fit."
    )
    steps: Steps = Field(2000, description="Production MD steps per temperature.")
    timestep_fs: float = Field(1.0, gt=0.0, le=10.0, allow_inf_nan=False, description="MD time step (fs).")
    equilibration_steps: int = Field(200, ge=0, description="Steps discarded before sampling.")
    sample_every: Steps = Field(5, description="Steps between stored positions.")
    thermostat: Literal["bussi", "langevin"] = Field(
        "bussi",
        description="bussi: stochastic velocity rescaling, global and momentum-conserving (weak, for "
        "transport); langevin: with the centre of mass held.",
    )
    thermostat_time_fs: PositiveFloat = Field(100.0, description="Bussi thermostat time constant (fs).")
    friction_per_fs: PositiveFloat = Field(0.001, description="Langevin friction (1/fs), weak.")
    diffusion_samples: int = Field(
        1000, ge=50, le=100_000, description="kinisi posterior samples of D per walker (MCMC)."
    )
    fit_start_fraction: float = Field(
        0.2, ge=0.0, lt=1.0, description="Fraction of the longest lag skipped before the MSD fit."
    )
    seed: Seed = Field(0, description="Random seed (temperature i uses seed + i; recorded).")
    vacancy: bool = Field(False, description="Remove one cation first.")

    @field_validator("temperatures_k")
    @classmethod
    def _distinct(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(set(value)) != len(value):
            raise ValueError("temperatures must be distinct")
        return value


class RelaxSettings(_StructureSettings):
    """Relaxation of positions (and cell) (:func:`sselab.simulate.recipes.relax_structure`)."""

    fmax: PositiveFloat = Field(0.05, description="Force convergence threshold (eV/Å).")
    steps: Steps = Field(200, description="Maximum optimiser steps.")
    cell_filter: bool = Field(True, description="Relax the cell too (ASE FrechetCellFilter).")
    optimizer: Literal["FIRE", "BFGS"] = Field("FIRE", description="ASE optimizer.")
