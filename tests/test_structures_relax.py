"""Local relaxation of search candidates: symmetric stage (ASE FixSymmetry), release stage, optimizers.

ASE's Lennard-Jones calculator stands in for the potential (the behaviour checked is the bookkeeping of the
stages and the symmetry kept, not chemistry).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.lj import LennardJones

from sselab.errors import SearchInputError
from sselab.structures import SearchSettings, random_structure, search_cell
from sselab.structures.generate import GeneratorSettings
from sselab.structures.relax import relax_candidate, space_group_number

LIBH4 = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])


def _lj() -> LennardJones:
    return LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)


def _pnma_candidate():
    return random_structure(LIBH4, np.random.default_rng(11), GeneratorSettings(space_groups=(62,)))


def test_symmetric_relaxation_keeps_the_generated_space_group() -> None:
    candidate = _pnma_candidate()
    assert space_group_number(candidate) == 62
    result = relax_candidate(candidate, _lj(), max_steps=15, symmetric=True, release_steps=0)
    assert result.space_group == 62
    assert result.symmetric_steps == result.steps > 0
    assert space_group_number(result.atoms) == 62
    assert not result.atoms.constraints
    assert list(result.atoms.get_tags()) == list(candidate.get_tags())


def test_release_stage_follows_the_symmetric_stage_without_the_constraint() -> None:
    candidate = _pnma_candidate()
    result = relax_candidate(candidate, _lj(), max_steps=5, symmetric=True, release_steps=7)
    assert result.symmetric_steps <= 5
    assert result.symmetric_steps < result.steps <= result.symmetric_steps + 7


def test_p1_candidate_is_relaxed_in_one_stage_with_both_budgets() -> None:
    candidate = random_structure(LIBH4, np.random.default_rng(3), GeneratorSettings(space_groups=(1,)))
    result = relax_candidate(candidate, _lj(), max_steps=3, symmetric=True, release_steps=4)
    assert result.space_group is None and result.symmetric_steps == 0
    assert 0 < result.steps <= 7


@pytest.mark.parametrize("optimizer", ["BFGS", "LBFGS", "FIRE"])
def test_every_listed_optimizer_lowers_the_energy(optimizer: str) -> None:
    candidate = _pnma_candidate()
    start = candidate.copy()
    start.calc = _lj()
    e0 = start.get_potential_energy() / len(start)
    result = relax_candidate(candidate, _lj(), max_steps=10, optimizer=optimizer)
    assert result.energy_ev_per_atom < e0


def test_unknown_optimizer_is_refused_before_any_computation() -> None:
    with pytest.raises(SearchInputError, match="optimizer"):
        SearchSettings(optimizer="CG")
    with pytest.raises(SearchInputError, match="optimizer"):
        relax_candidate(_pnma_candidate(), _lj(), optimizer="CG")


def test_runs_stored_before_symmetric_relaxation_load_as_fire_in_p1() -> None:
    data = SearchSettings().as_dict()
    for key in ("optimizer", "symmetric_random", "release_steps"):
        data.pop(key)
    old = SearchSettings.from_dict(data)
    assert (old.optimizer, old.symmetric_random, old.release_steps) == ("FIRE", False, 0)
