"""Variation operators of the genetic algorithm: ``ase-ga``'s own, plus a rigid-unit translation it lacks.

All operators work on tagged ``Atoms`` (one tag per rigid unit, ``use_tags=True``), so polyatomic ions and
molecules are moved, rotated, swapped and spliced as wholes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase_ga.cutandsplicepairing import CutAndSplicePairing
from ase_ga.offspring_creator import OffspringCreator
from ase_ga.standardmutations import PermutationMutation, RotationalMutation, StrainMutation
from ase_ga.utilities import CellBounds, atoms_too_close, gather_atoms_by_tag


class _UnwrappedAtoms(Atoms):
    """``Atoms`` whose scaled positions are never wrapped (units gathered across the cell stay whole)."""

    def get_scaled_positions(self, wrap: bool = True) -> np.ndarray:
        return super().get_scaled_positions(wrap=False)


class UnitCutAndSplicePairing(CutAndSplicePairing):  # type: ignore[misc]
    """``ase-ga``'s cut-and-splice crossover with whole units.

    ``ase-ga`` (1.0.3) takes each unit's centre from *wrapped* scaled positions, so a unit that straddles the
    cell
    boundary gets a centre up to half a cell away from its atoms and may come out of the pairing torn apart.
    The
    parents are already gathered by tag at that point; reading their scaled positions unwrapped fixes it.
    """

    def _get_pairing(
        self, a1: Atoms, a2: Atoms, cutting_point: np.ndarray, cutting_normal: object, cell: object
    ) -> Atoms | None:
        return super()._get_pairing(
            _UnwrappedAtoms(a1), _UnwrappedAtoms(a2), cutting_point, cutting_normal, cell
        )


class UnitTranslationMutation(OffspringCreator):  # type: ignore[misc]
    """Move a fraction of the rigid units (same tag) by a random vector of length up to ``max_shift_a`` Å.

    ``ase-ga``'s ``RattleMutation`` moves single atoms and would break molecules; this moves whole units and
    accepts the move only if no two atoms of different units come closer than ``blmin``.
    """

    def __init__(
        self,
        blmin: dict[tuple[int, int], float],
        fraction: float = 0.33,
        max_shift_a: float = 2.0,
        rng: np.random.RandomState | None = None,
        max_tries: int = 200,
    ) -> None:
        super().__init__(verbose=False, rng=rng if rng is not None else np.random)
        self.blmin = blmin
        self.fraction = fraction
        self.max_shift_a = max_shift_a
        self.max_tries = max_tries
        self.descriptor = "UnitTranslationMutation"
        self.min_inputs = 1

    def get_new_individual(self, parents: list[Atoms]) -> tuple[Atoms | None, str]:
        """Return (mutant or None, description) as ``ase-ga`` operators do."""
        parent = parents[0]
        mutant = self.mutate(parent)
        if mutant is None:
            return None, "mutation: unit translation"
        mutant = self.initialize_individual(parent, mutant)
        mutant.info["data"]["parents"] = [parent.info["confid"]]
        return self.finalize_individual(mutant), "mutation: unit translation"

    def mutate(self, atoms: Atoms) -> Atoms | None:
        """Translated copy of ``atoms``, or ``None`` if no valid move was found in ``max_tries``."""
        base = atoms.copy()
        gather_atoms_by_tag(base)
        tags = base.get_tags()
        unique = np.unique(tags)
        n_move = max(1, int(np.ceil(self.fraction * len(unique))))
        for _ in range(self.max_tries):
            chosen = self.rng.choice(unique, size=n_move, replace=False)
            pos = base.get_positions().copy()
            for tag in chosen:
                vector = self.rng.normal(size=3)
                vector *= self.max_shift_a * self.rng.random() / np.linalg.norm(vector)
                pos[tags == tag] += vector
            trial = base.copy()
            trial.set_positions(pos)
            if not atoms_too_close(trial, self.blmin, use_tags=True):
                trial.wrap()
                return trial
        return None


@dataclass(frozen=True)
class OperatorWeights:
    """Relative probabilities of the variation operators (normalised over those applicable to the cell)."""

    cut_and_splice: float = 0.4
    strain: float = 0.2
    rotation: float = 0.15
    translation: float = 0.15
    permutation: float = 0.1


def cell_bounds() -> CellBounds:
    """Cell-shape limits: angles between 20° and 160° (``ase-ga`` phi/chi/psi) and edges 2–60 Å."""
    return CellBounds(
        bounds={
            "phi": [20, 160],
            "chi": [20, 160],
            "psi": [20, 160],
            "a": [2, 60],
            "b": [2, 60],
            "c": [2, 60],
        }
    )


def build_operators(
    template: Atoms,
    blmin: dict[tuple[int, int], float],
    rng: np.random.RandomState,
    weights: OperatorWeights = OperatorWeights(),
) -> list[tuple[float, OffspringCreator]]:
    """The operators applicable to ``template``'s units, with their weights.

    Rotation needs a multi-atom unit; permutation needs two different kinds of unit.
    """
    n_atoms = len(template)
    slab = Atoms(cell=template.get_cell(), pbc=True)
    bounds = cell_bounds()
    tags = template.get_tags()
    symbols = template.get_chemical_symbols()
    kinds = {"".join(sorted(symbols[i] for i in np.where(tags == t)[0])) for t in np.unique(tags)}
    multi_atom = any(np.sum(tags == t) > 1 for t in np.unique(tags))
    ops: list[tuple[float, OffspringCreator]] = [
        (
            weights.cut_and_splice,
            UnitCutAndSplicePairing(
                slab,
                n_atoms,
                blmin,
                number_of_variable_cell_vectors=3,
                p1=1.0,
                p2=0.05,
                minfrac=None,
                cellbounds=bounds,
                use_tags=True,
                rng=rng,
            ),
        ),
        (weights.strain, StrainMutation(blmin, cellbounds=bounds, stddev=0.7, use_tags=True, rng=rng)),
        (weights.translation, UnitTranslationMutation(blmin, rng=rng)),
    ]
    if multi_atom:
        ops.append(
            (weights.rotation, RotationalMutation(blmin, n_top=None, fraction=0.33, min_angle=1.0, rng=rng))
        )
    if len(kinds) > 1:
        ops.append(
            (
                weights.permutation,
                PermutationMutation(n_atoms, probability=0.33, use_tags=True, blmin=blmin, rng=rng),
            )
        )
    return [(w, op) for w, op in ops if w > 0]
