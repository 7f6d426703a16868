"""Job functions that run on Dask workers: one metadynamics run, one structure search.

Each takes a JSON-able spec, builds its own calculator in the worker, writes a run folder (given in the spec,
so a rerun after an interruption finds its own checkpoint there and continues), never touches the store, and
returns a JSON-able dict. The pipeline's client stores what they return.

Example
-------
>>> spec = {"structure": "Cu.cif", "cation": "Cu", "potential": "emt", "steps": 200, "run_dir": "out/cu"}
>>> metad_job(spec)["barrier_ev"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from sselab.pipeline.executor import reporting_calculator
from sselab.progress import report_progress

logger = logging.getLogger(__name__)

#: Spec keys of :func:`metad_job` and their defaults.
METAD_DEFAULTS: dict[str, Any] = {
    "cation": "Li",
    "potential": "chgnet",
    "cv": "displacement",
    "width_a": 0.2,
    "supercell_min_length_a": 0.0,
    "vacancy": True,
    "relax_steps": 0,
    "temperature_k": 600.0,
    "steps": 300,
    "timestep_fs": 1.0,
    "height_ev": 0.05,
    "pace": 10,
    "bias_factor": 10.0,
    "seed": 0,
    "checkpoint_every": 50,
    "threads": 1,
}


def limit_threads(threads: int | None, potential: str) -> None:
    """Use ``threads`` torch/BLAS threads in this worker (torch only imported for torch potentials)."""
    if not threads:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    if potential.lower() not in ("emt", "cp2k"):
        import torch

        torch.set_num_threads(int(threads))


def metad_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Well-tempered metadynamics of one structure (see :data:`METAD_DEFAULTS` for the spec's keys).

    Required keys: ``structure`` (CIF/POSCAR/extxyz path) and ``run_dir``. Returns the barrier(s) (eV), their
    uncertainty, the run folder, the figure paths and the formula of the simulated cell.
    """
    from sselab.simulate.metad import run_metadynamics
    from sselab.simulate.prepare import build_metad_setup

    p = {**METAD_DEFAULTS, **spec}
    limit_threads(p["threads"], p["potential"])
    setup = build_metad_setup(
        p["structure"],
        p["cation"],
        p["potential"],
        p["cv"],
        p["width_a"],
        p["supercell_min_length_a"],
        p["vacancy"],
        None,
        None,
        p["relax_steps"],
    )
    label = f"MetaD {spec.get('name', Path(p['structure']).stem)}"
    calculator = reporting_calculator(setup.calculator, total=int(p["steps"]), label=label)  # progress/step
    result = run_metadynamics(
        setup.atoms,
        calculator,
        setup.colvars,
        p["temperature_k"],
        p["steps"],
        p["timestep_fs"],
        p["height_ev"],
        setup.widths,
        p["pace"],
        p["bias_factor"],
        p["seed"],
        p["run_dir"],
        restart=True,
        grid=setup.grid,
        checkpoint_every=p["checkpoint_every"],
        extra_parameters=setup.parameters,
    )
    barriers = result.barriers
    figures = Path(result.run_dir) / "figures"
    return {
        "name": spec.get("name", Path(p["structure"]).stem),
        "material": spec.get("material") or _reduced_formula(p["structure"]),
        "phase": spec.get("phase"),
        "description": setup.description,
        "potential": p["potential"],
        "temperature_k": p["temperature_k"],
        "run_folder": str(Path(result.run_dir).resolve()),
        "steps_done": result.steps_done,
        "wall_time_s": result.wall_time_s,
        "n_atoms": len(setup.atoms),
        "kind": barriers.kind if barriers else None,
        "barrier_ev": barriers.rate_determining_ev if barriers else None,
        "ea1_ev": barriers.ea1_ev if barriers else None,
        "ea2_ev": barriers.ea2_ev if barriers else None,
        "uncertainty_ev": barriers.uncertainty_ev if barriers else None,
        "barrier_error": result.barrier_error,
        "parameters": {k: p[k] for k in METAD_DEFAULTS if k != "threads"},
        "figures": {
            name: str(figures / f"{name}.png")
            for name in ("fes", "track", "barrier_convergence")
            if (figures / f"{name}.png").is_file()
        },
    }


def _reduced_formula(structure: str) -> str:
    """Reduced formula of the structure file as given (before supercell and vacancy), e.g. ``'LiBH4'``."""
    from sselab.simulate.prepare import read_structure

    atoms = read_structure(structure)
    from pymatgen.core import Composition

    return str(Composition(atoms.get_chemical_formula()).reduced_formula)


class JsonlCheckpoint:
    """A structure search's checkpoint in a JSON-lines file (the store's search-run contract, no database).

    Workers write here, never to the store; a killed search resumes from the file (a half-written last line is
    ignored), and the client copies the individuals into the store afterwards (idempotent by key).
    """

    COLUMNS = ("key", "cif", "energy_ev_per_atom", "generation", "parents", "operator", "relaxed", "extra")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def create_search_run(self, name: str, composition: str, parameters: dict[str, Any]) -> int:
        """Write the run's header next to the file (once)."""
        header = self.path.with_suffix(".run.json")
        if not header.is_file():
            header.write_text(
                json.dumps({"name": name, "composition": composition, "parameters": parameters})
            )
        return 1

    def _rows(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        rows = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # the last line of a killed run
                logger.warning("%s: ignoring an incomplete line", self.path)
        return rows

    def add_search_individual(
        self,
        run_name: str,
        key: str,
        cif: str,
        energy_ev_per_atom: float,
        generation: int,
        parents: list[str],
        operator: str,
        relaxed: bool,
        extra: dict[str, Any],
    ) -> bool:
        """Append one individual; ``False`` if ``key`` is already in the file."""
        del run_name
        if any(row["key"] == key for row in self._rows()):
            return False
        row = dict(zip(self.COLUMNS, (key, cif, energy_ev_per_atom, generation, list(parents), operator,
                                      bool(relaxed), extra), strict=True))  # fmt: skip
        text = self.path.read_text(encoding="utf-8") if self.path.is_file() else ""
        if text and not text.endswith("\n"):  # drop a half-written line left by a kill
            text = text[: text.rfind("\n") + 1]
        self.path.write_text(text + json.dumps(row) + "\n", encoding="utf-8")
        return True

    def search_individuals(self, run_name: str) -> pd.DataFrame:
        """All complete individuals in the file, in order."""
        del run_name
        return pd.DataFrame(self._rows(), columns=list(self.COLUMNS))


def search_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A genetic-algorithm structure search of one composition, checkpointed in ``run_dir/individuals.jsonl``.

    Spec keys: ``formula``, ``z``, ``run_name``, ``run_dir``, ``potential``, ``budget``, ``population``,
    ``relax_steps``, ``release_steps``, ``fmax_ev_per_a``, ``seed``, ``n_best``, ``threads``. Returns the
    best structures (CIF paths, energies in eV/atom, cation coordination), counts and the convergence figure
    (Figure 4b).
    """
    from sselab.simulate.potentials import get_calculator
    from sselab.structures.analysis import cation_coordination, convergence_figure, write_best_cifs
    from sselab.structures.cell import search_cell_from_formula, with_relaxed_units
    from sselab.structures.search import run_search, settings_for_profile

    potential = spec.get("potential", "chgnet")
    limit_threads(spec.get("threads", 1), potential)
    run_dir = Path(spec["run_dir"])
    cell = search_cell_from_formula(spec["formula"], int(spec["z"]))
    calculator = get_calculator(potential, threads=spec.get("threads", 1))
    cell = with_relaxed_units(cell, calculator, potential)
    settings = settings_for_profile(
        "quick",
        budget=spec.get("budget"),
        population_size=spec.get("population"),
        relax_steps=spec.get("relax_steps"),
        release_steps=spec.get("release_steps"),
        fmax_ev_per_a=spec.get("fmax_ev_per_a"),
        seed=spec.get("seed", 1),
    )
    checkpoint = JsonlCheckpoint(run_dir / "individuals.jsonl")
    seen: list[object] = []

    def report(individual: object) -> None:  # progress: one report per new individual, of the budget
        seen.append(individual)
        report_progress(len(seen), settings.budget, label=f"search {cell.formula}", unit="structures")

    result = run_search(cell, calculator, checkpoint, spec["run_name"], settings, on_individual=report)
    paths = write_best_cifs(result, run_dir / "best", n_best=int(spec.get("n_best", 3)))
    figure = convergence_figure({settings.method: result}, title=f"{cell.formula} (Z={cell.z})")
    figure.savefig(run_dir / "convergence.png", dpi=120)
    best = []
    for individual, path in zip(result.unique(), paths, strict=False):
        coordination = cation_coordination(individual.atoms, result.cell) if result.cell.cation else None
        best.append(
            {
                "key": individual.key,
                "energy_ev_per_atom": individual.energy_ev_per_atom,
                "operator": individual.operator,
                "coordination": coordination.label() if coordination else None,
                "cif": str(Path(path).resolve()),
            }
        )
    return {
        "formula": spec["formula"],
        "z": int(spec["z"]),
        "cation": result.cell.cation,
        "n_atoms": cell.n_atoms,
        "run_name": spec["run_name"],
        "run_folder": str(run_dir.resolve()),
        "individuals_file": str(checkpoint.path.resolve()),
        "individuals": len(result.individuals),
        "duplicates": sum(i.duplicate_of is not None for i in result.individuals),
        "invalid": sum(not i.valid for i in result.individuals),
        "best": best,
        "convergence_png": str((run_dir / "convergence.png").resolve()),
        "settings": settings.as_dict(),
    }
