"""Structures of a benchmark manifest, read from their source with provenance (never copied into the repo).

Sources: ``builtin:libh4_pnma`` and ``builtin:naalh4_i41a`` (:mod:`sselab.simulate.reference`),
``obelix:ID`` (the OBELiX CIF archive through the dataset registry and mirror, checksum-verified; a
disordered CIF is ordered with pymatgen's ``OrderDisorderedStructureTransformation``), ``predicted:FILE``
(a CIF predicted by sselab's own structure search and shipped with it, with a JSON file of its provenance
beside it), or a file path.

Example
-------
>>> loaded = load_structure("builtin:libh4_pnma")
>>> len(loaded.atoms), loaded.provenance["kind"]
(24, 'builtin')
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from ase import Atoms
from pymatgen.core import Composition, Structure
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.transformations.standard_transformations import OrderDisorderedStructureTransformation

from sselab.datasets.fetch import fetch_all
from sselab.datasets.registry import get_dataset
from sselab.errors import DataImportError
from sselab.simulate.prepare import read_structure
from sselab.simulate.reference import LIBH4_PNMA_SOURCE, NAALH4_I41A_SOURCE, libh4_pnma, naalh4_i41a

_BUILTINS = {
    "libh4_pnma": (libh4_pnma, LIBH4_PNMA_SOURCE),
    "naalh4_i41a": (naalh4_i41a, NAALH4_I41A_SOURCE),
}
#: Orderings of a disordered CIF ranked by pymatgen (Ewald energy with guessed formal charges).
ORDERINGS_RANKED = 50


@dataclass(frozen=True)
class LoadedStructure:
    """A structure and where it came from (JSON-able ``provenance``)."""

    atoms: Atoms
    provenance: dict[str, Any]


def predicted_dir() -> Any:
    """Folder (importlib resource) of the predicted CIFs shipped with sselab."""
    return resources.files("sselab.benchmark") / "data" / "predicted"


def _obelix_cif(entry_id: str) -> tuple[str, dict[str, Any]]:
    info = get_dataset("obelix")
    zip_file = next(f for f in info.files if f.mirror_path.endswith(".zip"))
    paths = fetch_all("obelix")
    archive = paths[zip_file.mirror_path]
    member = f"all_randomized_cifs/{entry_id}.cif"
    with zipfile.ZipFile(archive) as zipped:
        if member not in zipped.namelist():
            raise DataImportError(f"OBELiX has no CIF {entry_id!r}", file=str(archive), field="structure")
        text = zipped.read(member).decode()
    return text, {
        "dataset": "obelix",
        "entry": entry_id,
        "archive_url": zip_file.canonical_url,
        "archive_sha256": zip_file.sha256,
        "member": member,
        "cif_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "licence": info.licence,
        "citation": info.citation,
    }


def order_structure(structure: Any) -> tuple[Any, dict[str, Any]]:
    """Order a partially occupied pymatgen ``Structure``: the lowest-Ewald-energy ordering of pymatgen's
    ``OrderDisorderedStructureTransformation`` (formal charges from ``Composition.oxi_state_guesses``).

    Returns the ordered structure (no oxidation states) and a record of the choice: the charges used, how
    many orderings were ranked, the chosen one's Ewald energy, how many orderings share it, its space group
    and the fractional coordinates of the partially occupied sites that were kept.
    """

    whole = Composition({el: round(n) for el, n in structure.composition.items()})  # 16.002 H -> 16
    charges = whole.oxi_state_guesses()
    if not charges:
        raise DataImportError(f"cannot guess formal charges of {structure.composition} to order it")
    decorated = structure.copy()
    decorated.add_oxidation_state_by_element(charges[0])
    partial = [i for i, site in enumerate(decorated) if not site.is_ordered]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = cast(
            list[dict[str, Any]],
            OrderDisorderedStructureTransformation().apply_transformation(
                decorated, return_ranked_list=ORDERINGS_RANKED
            ),
        )
    best = ranked[0]
    ordered = best["structure"].copy()
    ordered.remove_oxidation_states()
    degenerate = sum(abs(r["energy"] - best["energy"]) < 1e-6 for r in ranked)
    kept = [
        [round(float(x), 5) for x in site.frac_coords]
        for site in ordered
        if any(site.distance(structure[i]) < 1e-3 for i in partial)
    ]
    symbol, number = ordered.get_space_group_info(symprec=0.1)
    return ordered, {
        "method": "pymatgen OrderDisorderedStructureTransformation, lowest Ewald energy",
        "formal_charges": charges[0],
        "partial_sites": [
            {
                "species": str(structure[i].species),
                "frac": [round(float(x), 5) for x in structure[i].frac_coords],
            }
            for i in partial
        ],
        "orderings_ranked": len(ranked),
        "chosen_rank": 0,
        "ewald_energy_ev": float(best["energy"]),
        "orderings_with_that_energy": int(degenerate),
        "space_group": f"{symbol} ({number})",
        "kept_partial_sites_frac": kept,
    }


def load_structure(source: str) -> LoadedStructure:
    """Read the structure named by ``source`` (see the module docstring) with its provenance.

    Raises
    ------
    DataImportError
        For an unknown source, a missing file or CIF, or one that cannot be read.
    """

    kind, _, rest = source.partition(":")
    if kind == "builtin":
        if rest not in _BUILTINS:
            raise DataImportError(f"unknown built-in structure {rest!r}; known: {', '.join(_BUILTINS)}")
        build, reference = _BUILTINS[rest]
        return LoadedStructure(build(), {"kind": "builtin", "name": rest, "reference": reference})
    if kind == "obelix":
        text, provenance = _obelix_cif(rest)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structure = Structure.from_str(text, fmt="cif")
        provenance["kind"] = "obelix"
        if not structure.is_ordered:
            structure, provenance["ordering"] = order_structure(structure)
        return LoadedStructure(AseAtomsAdaptor.get_atoms(structure), provenance)
    if kind == "predicted":
        cif = predicted_dir() / rest
        sidecar = predicted_dir() / f"{rest.removesuffix('.cif')}.json"
        if not cif.is_file():
            raise DataImportError(f"no predicted structure {rest!r} shipped with sselab", field="structure")
        with resources.as_file(cif) as path:
            atoms = read_structure(path)
        provenance = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        return LoadedStructure(atoms, {"kind": "predicted", "file": rest, **provenance})
    atoms = read_structure(source)
    with open(source, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return LoadedStructure(atoms, {"kind": "file", "path": source, "sha256": digest})
