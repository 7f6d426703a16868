"""The search engine: random structures, GA operators keeping units whole, checkpoint/resume, duplicates.

A Lennard-Jones calculator (ASE's, σ = 1 Å) stands in for the potential: these tests check the search's
bookkeeping
and operators, not chemistry, and must run in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.lj import LennardJones

from sselab.errors import SearchInputError
from sselab.structures import MemoryCheckpoint, SearchSettings, random_structure, run_search, search_cell
from sselab.structures.dedup import same_structure
from sselab.structures.generate import min_distances
from sselab.structures.operators import OperatorWeights, UnitTranslationMutation, build_operators

LIBH4 = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
# Run-level tests use the cheap unit operators; cut-and-splice and strain (up to 1000 ase-ga retries each) are
# exercised one by one in test_operators_keep_units_intact.
FAST_OPERATORS = OperatorWeights(cut_and_splice=0.0, strain=0.0)
TINY = SearchSettings(
    budget=7, population_size=4, relax_steps=2, release_steps=1, seed=3, operators=FAST_OPERATORS
)


def _lj() -> LennardJones:
    return LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)


def _internal_distances(atoms, tag: int) -> np.ndarray:
    from ase_ga.utilities import gather_atoms_by_tag

    a = atoms.copy()
    gather_atoms_by_tag(a)
    idx = np.where(a.get_tags() == tag)[0]
    pos = a.get_positions()[idx]
    return np.sort(np.linalg.norm(pos[:, None] - pos[None], axis=-1).ravel())


def test_random_structure_has_the_cell_content_tagged_by_unit() -> None:
    atoms = random_structure(LIBH4, np.random.default_rng(5))
    assert sorted(atoms.get_chemical_symbols()) == sorted(["Li"] * 4 + ["B"] * 4 + ["H"] * 16)
    tags = atoms.get_tags()
    assert sorted(set(tags.tolist())) == list(range(8))
    assert [int(np.sum(tags == t)) for t in range(8)] == [1, 1, 1, 1, 5, 5, 5, 5]
    assert np.allclose(
        _internal_distances(atoms, 4),
        _internal_distances(random_structure(LIBH4, np.random.default_rng(6)), 5),
    )
    from ase_ga.utilities import atoms_too_close

    assert not atoms_too_close(atoms, min_distances(atoms.numbers), use_tags=True)


def test_random_structure_is_reproducible_from_its_seed() -> None:
    a = random_structure(LIBH4, np.random.default_rng(11))
    b = random_structure(LIBH4, np.random.default_rng(11))
    assert np.allclose(a.get_positions(), b.get_positions()) and np.allclose(a.cell, b.cell)


def test_operators_keep_units_intact() -> None:
    parent_a = random_structure(LIBH4, np.random.default_rng(1))
    parent_b = random_structure(LIBH4, np.random.default_rng(2))
    parent_a.info["confid"], parent_b.info["confid"] = "a", "b"
    blmin = min_distances(parent_a.numbers, 0.7, 1.3)
    rng = np.random.RandomState(0)
    reference = _internal_distances(parent_a, 4)
    made = 0
    for _, op in build_operators(parent_a, blmin, rng):
        if op.descriptor == "StrainMutation":
            # strain rescales the cell, not the unit geometry in Cartesian space; covered by the run test
            continue
        child, _ = op.get_new_individual([parent_a.copy(), parent_b.copy()][: op.get_min_inputs()])
        if child is None:
            continue
        made += 1
        assert sorted(child.get_chemical_symbols()) == sorted(parent_a.get_chemical_symbols())
        for tag in range(4, 8):
            assert np.allclose(_internal_distances(child, tag), reference, atol=1e-6), op.descriptor
    assert made >= 3


def test_unit_translation_moves_whole_units() -> None:
    parent = random_structure(LIBH4, np.random.default_rng(4))
    parent.info["confid"] = "p"
    op = UnitTranslationMutation(min_distances(parent.numbers, 0.7, 1.3), rng=np.random.RandomState(1))
    child, description = op.get_new_individual([parent])
    assert child is not None and description == "mutation: unit translation"
    assert child.info["data"]["parents"] == ["p"]
    assert not np.allclose(child.get_positions(), parent.get_positions())


def test_ga_search_records_every_individual_with_operator_and_parents() -> None:
    checkpoint = MemoryCheckpoint()
    result = run_search(LIBH4, _lj(), checkpoint, "ga", TINY)
    frame = checkpoint.search_individuals("ga")
    assert list(frame["key"]) == [f"{i:05d}" for i in range(7)]
    assert list(frame["operator"][:4]) == ["random"] * 4
    offspring = frame.iloc[4:]
    assert all(op != "random" for op in offspring["operator"]) and all(
        len(p) >= 1 for p in offspring["parents"]
    )
    assert result.best.energy_ev_per_atom == min(i.energy_ev_per_atom for i in result.unique())
    assert np.all(np.diff(result.best_so_far()) <= 0)


def test_random_baseline_uses_only_the_generator() -> None:
    result = run_search(
        LIBH4,
        _lj(),
        MemoryCheckpoint(),
        "rnd",
        SearchSettings(budget=5, population_size=2, relax_steps=1, release_steps=1, method="random"),
    )
    assert {i.operator for i in result.individuals} == {"random"}


def test_resuming_gives_the_same_individuals_as_an_uninterrupted_run() -> None:
    straight = run_search(LIBH4, _lj(), MemoryCheckpoint(), "s", TINY)
    checkpoint = MemoryCheckpoint()
    run_search(LIBH4, _lj(), checkpoint, "r", SearchSettings(**{**TINY.__dict__, "budget": 5}))
    resumed = run_search(LIBH4, _lj(), checkpoint, "r", TINY)
    assert [i.key for i in resumed.individuals] == [i.key for i in straight.individuals]
    assert [i.operator for i in resumed.individuals] == [i.operator for i in straight.individuals]
    assert np.allclose(
        [i.energy_ev_per_atom for i in resumed.individuals],
        [i.energy_ev_per_atom for i in straight.individuals],
    )


def test_resuming_with_other_settings_is_refused() -> None:
    checkpoint = MemoryCheckpoint()
    run_search(
        LIBH4,
        _lj(),
        checkpoint,
        "x",
        SearchSettings(budget=1, population_size=2, relax_steps=0, release_steps=1),
    )
    with pytest.raises(SearchInputError, match="different settings"):
        run_search(
            LIBH4,
            _lj(),
            checkpoint,
            "x",
            SearchSettings(budget=2, population_size=2, relax_steps=1, release_steps=1),
        )


def test_duplicates_are_detected_with_structure_matcher() -> None:
    atoms = random_structure(LIBH4, np.random.default_rng(8))
    shifted = atoms.copy()
    shifted.translate([0.7, 0.3, 0.1])
    shifted.wrap()
    assert same_structure(atoms, shifted)
    assert not same_structure(atoms, random_structure(LIBH4, np.random.default_rng(9)))


_SCRIPT = textwrap.dedent(
    """
    import sys
    from ase.calculators.lj import LennardJones
    from sselab.store import open_store
    from sselab.structures import SearchSettings, run_search, search_cell
    from sselab.structures.operators import OperatorWeights
    cell = search_cell("LiBH4", 4, [("Li", 1), ("BH4", 1)])
    operators = OperatorWeights(cut_and_splice=0.0, strain=0.0)
    settings = SearchSettings(
        budget=8, population_size=4, relax_steps=2, release_steps=1, seed=3, operators=operators
    )
    calc = LennardJones(sigma=1.0, epsilon=0.05, rc=4.0, smooth=True)
    run_search(cell, calc, open_store(sys.argv[1]), "killed", settings)
    """
)


def test_search_killed_midway_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    from sselab.store import open_store

    url = f"sqlite:///{tmp_path / 'search.sqlite'}"
    script = tmp_path / "search_script.py"
    script.write_text(_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    store = open_store(url)
    process = subprocess.Popen([sys.executable, str(script), url], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if len(store.search_individuals("killed")) >= 3:
                    break
            except Exception:
                pass
            time.sleep(0.2)
        assert process.poll() is None, "the search finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    keys_at_kill = list(store.search_individuals("killed")["key"])
    assert 3 <= len(keys_at_kill) < 8
    subprocess.run([sys.executable, str(script), url], env=env, check=True, timeout=300)
    frame = store.search_individuals("killed")
    assert list(frame["key"]) == [f"{i:05d}" for i in range(8)]
    assert list(frame["key"][: len(keys_at_kill)]) == keys_at_kill
    uninterrupted = run_search(
        LIBH4,
        _lj(),
        MemoryCheckpoint(),
        "u",
        SearchSettings(
            budget=8, population_size=4, relax_steps=2, release_steps=1, seed=3, operators=FAST_OPERATORS
        ),
    )
    assert np.allclose(frame["energy_ev_per_atom"], [i.energy_ev_per_atom for i in uninterrupted.individuals])


@pytest.mark.slow
def test_chgnet_search_relaxes_units_and_candidates() -> None:
    pytest.importorskip("chgnet")
    import torch
    from chgnet.model.dynamics import CHGNetCalculator

    from sselab.structures import with_relaxed_units

    torch.set_num_threads(1)
    calc = CHGNetCalculator(use_device="cpu")
    cell = with_relaxed_units(search_cell("LiBH4", 2, [("Li", 1), ("BH4", 1)]), calc, "chgnet")
    assert cell.units[1][0].relaxed_with == "chgnet"
    settings = SearchSettings(
        budget=3, population_size=2, relax_steps=5, release_steps=1, operators=FAST_OPERATORS
    )
    result = run_search(cell, calc, MemoryCheckpoint(), "chgnet", settings)
    energies = [i.energy_ev_per_atom for i in result.individuals]
    # LiBH4 with CHGNet: about -4.1 eV/atom
    assert len(energies) == 3 and all(-6.0 < e < -3.0 for e in energies)
