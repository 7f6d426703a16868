"""The recipe registry: every method sselab can run, with its settings class and its result class.

A recipe is a typed function (``recipe(structure, ..., *, settings=None, **fields) -> Result``) whose settings
class owns its defaults and whose result has ``as_dict``/``from_dict``. The CLI's ``--config`` files, the
pipeline's jobs and :func:`load_result` find a method here by name.

Where a new method goes: its engine and result in the stage package that does the work (``sselab.simulate``
for a simulation, ``sselab.structures`` for a search), its settings in that package's settings module, its
recipe function beside the others, and one :func:`register_recipe` call (or entry in :data:`RECIPES`). The
composite defect barrier (CI-NEB migration + defect formation) registers itself the same way.

Example
-------
>>> sorted(RECIPES)
['md-arrhenius', 'metad', 'metad-replicas', 'neb', 'relax', 'search']
>>> get_recipe("metad").settings.default("protocol")
'frenkel'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sselab.errors import SimulationError
from sselab.simulate.diffusion import MDArrheniusResult
from sselab.simulate.metad.replicas import MetaDReplicaSet
from sselab.simulate.metad.result import MetaDResult
from sselab.simulate.neb import NEBResult
from sselab.simulate.recipes import (
    md_arrhenius_of_structure,
    metad_of_structure,
    metad_replicas_of_structure,
    neb_of_structure,
    relax_structure,
)
from sselab.simulate.relaxation import RelaxationResult
from sselab.simulate.runfolder import read_summary
from sselab.simulate.settings import MDArrheniusSettings, MetaDSettings, NEBSettings, RelaxSettings
from sselab.structures.recipe import SearchSummary, search_structures
from sselab.structures.settings import SearchSettings

__all__ = ["RECIPES", "Recipe", "get_recipe", "load_result", "register_recipe"]


@dataclass(frozen=True)
class Recipe:
    """A method: its name (also the ``kind`` of its results), function, settings and result classes.

    Attributes
    ----------
    name
        Registry name and the ``kind`` written in its ``summary.json``.
    function
        The recipe (keyword-only settings, returns a ``result``).
    settings
        Settings class (``build``, ``as_dict``, ``from_dict``, refusing unknown keys).
    result
        Result class (``as_dict``, ``from_dict``).
    description
        One line for people.
    """

    name: str
    function: Callable[..., Any]
    settings: Any
    result: Any
    description: str


#: Every registered method by name.
RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to :data:`RECIPES` (a name may be registered once) and return it."""
    if recipe.name in RECIPES and RECIPES[recipe.name] != recipe:
        raise SimulationError(f"a recipe named {recipe.name!r} is already registered")
    RECIPES[recipe.name] = recipe
    return recipe


def get_recipe(name: str) -> Recipe:
    """The recipe ``name`` (a :class:`~sselab.errors.SimulationError` naming the known ones otherwise)."""
    if name not in RECIPES:
        raise SimulationError(f"unknown method {name!r}; known: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def load_result(source: Mapping[str, Any] | str | Path) -> Any:
    """The result of a run folder (or of a ``summary.json`` already read), rebuilt by its recipe's class."""
    summary = read_summary(source) if isinstance(source, str | Path) else source
    return get_recipe(str(summary.get("kind"))).result.from_dict(summary)


for _recipe in (
    Recipe("metad", metad_of_structure, MetaDSettings, MetaDResult, "well-tempered metadynamics"),
    Recipe(
        "metad-replicas",
        metad_replicas_of_structure,
        MetaDSettings,
        MetaDReplicaSet,
        "independent MetaD replicas as one result (mean ± sd/sqrt(n))",
    ),
    Recipe("neb", neb_of_structure, NEBSettings, NEBResult, "CI-NEB of a vacancy hop"),
    Recipe(
        "md-arrhenius",
        md_arrhenius_of_structure,
        MDArrheniusSettings,
        MDArrheniusResult,
        "MD at several temperatures, MSD, Nernst-Einstein, Arrhenius",
    ),
    Recipe("relax", relax_structure, RelaxSettings, RelaxationResult, "relaxation of positions and cell"),
    Recipe("search", search_structures, SearchSettings, SearchSummary, "crystal structure search (GA)"),
):
    register_recipe(_recipe)
