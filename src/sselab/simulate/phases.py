"""Known temperature ranges of crystal phases, to warn when a simulation runs a phase where it does not exist.

A barrier computed at a temperature where the phase has transformed or melted is not the barrier of that
phase (issue 12: LiBH4 Pnma was run at 600 K, above its transition and its melting point, and compared with
the low-temperature Ea). :func:`temperature_warnings` compares a run's temperature with the table below and
with 0.9 of the melting point; each entry names its source.

Example
-------
>>> [w[:48] for w in temperature_warnings("LiBH4", 62, 600.0)]
['600 K is above the upper limit 381 K of LiBH4 Pn', '600 K is above 0.9 of the melting point 541 K of']
>>> temperature_warnings("LiBH4", 62, 350.0)
[]
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN_PHASES", "PhaseRange", "temperature_warnings"]


@dataclass(frozen=True)
class PhaseRange:
    """Where a phase exists: temperatures (K) and the melting point of the compound, with the source."""

    formula: str
    space_group: int
    label: str
    max_k: float | None
    melting_k: float | None
    transition: str
    source: str


#: Phases with a known temperature range, by (reduced formula, space-group number).
KNOWN_PHASES: dict[tuple[str, int], PhaseRange] = {
    ("LiBH4", 62): PhaseRange(
        "LiBH4",
        62,
        "Pnma",
        381.0,
        541.0,
        "orthorhombic -> hexagonal P63mc transition",
        "transition 381 K and melting 541 K as compiled for sselab issue 12; Gomes, Hagemann & Yvon, "
        "J. Alloys Compd. 346 (2002) 206 (Raman) put the first-order transition at 384 K with 8 K hysteresis",
    ),
}


def temperature_warnings(formula: str, space_group: int | None, temperature_k: float) -> list[str]:
    """Why ``temperature_k`` does not suit the phase ``(formula, space_group)`` (empty when it does or the
    phase is unknown): above its stability range, or above 0.9 of the melting point."""
    if space_group is None:
        return []
    phase = KNOWN_PHASES.get((formula, int(space_group)))
    if phase is None:
        return []
    warnings = []
    name = f"{phase.formula} {phase.label}"
    if phase.max_k is not None and temperature_k > phase.max_k:
        warnings.append(
            f"{temperature_k:g} K is above the upper limit {phase.max_k:g} K of {name} ({phase.transition}; "
            f"{phase.source}): the barrier is not that phase's"
        )
    if phase.melting_k is not None and temperature_k > 0.9 * phase.melting_k:
        warnings.append(
            f"{temperature_k:g} K is above 0.9 of the melting point {phase.melting_k:g} K of {phase.formula} "
            f"({phase.source})"
        )
    return warnings
