"""Candidate spaces: cations × anions × neutral molecules × n, charge balanced, with model routes.

A space is read from a TOML file (:meth:`CandidateSpace.from_toml`) or built in (:func:`paper_space`, the 558
predictions of the paper's Figure 4a). Components are given by name when :mod:`sselab.chem` knows them
(charge, family and formula come from its registry) or as tables ``{name, formula, charge, family}``. A
*route* says which candidates a model predicts, e.g. ``y1`` for anions without carbon and ``y2`` for
candidates with carbon anywhere.

Formula unit: by default the smallest charge-balanced one (Mg(BH4)2, MgB12H12), with ``n`` molecules per
that unit. ``anions_per_formula_unit = 2`` writes every candidate with two anions and as many cations as
balance them (Mg(BH4)2, Mg2(B12H12)2), ``n`` molecules per *that* unit: the convention of the paper's
Supplementary Dataset 2, used by :func:`paper_space` (so Mg2(B12H12)2·4NH3 = MgB12H12·2NH3).

TOML example::

    name = "paper"
    anions_per_formula_unit = 2                       # optional; default: smallest charge-balanced unit
    n_values = [1, 2, 3, 4, 5, 6]
    cations = ["Ca", "Mg", "Zn"]                       # or {symbol = "Mg", charge = 2}
    anions = ["BH4", "B10H10", "B12H12", "CB9H10", "CB11H12"]
    molecules = ["NH3", "H2O", "CH3NH2", "NH3BH3", "(CH3)2CHNH2"]
    [[routes]]
    model = "y1"
    anion_contains_carbon = false
    [[routes]]
    model = "y2"
    contains_carbon = true
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pymatgen.core import Composition, Element

from sselab.chem.families import NEUTRAL_MOLECULE
from sselab.chem.registry import unit_by_spelling
from sselab.errors import ConfigError


@dataclass(frozen=True)
class Component:
    """A cation, anion or neutral molecule of a candidate space.

    Attributes
    ----------
    name
        As written in candidate formulas (``"BH4"``, ``"(CH3)2CHNH2"``, ``"Mg"``).
    formula
        Expanded formula whose element counts are used (``"C3H9N"``).
    charge
        Formal charge (e).
    family
        Anion family (:mod:`sselab.chem.families`), ``"cation"`` or ``"neutral-molecule"``.
    contains_carbon
        Whether the formula has carbon.
    """

    name: str
    formula: str
    charge: int
    family: str
    contains_carbon: bool


@dataclass(frozen=True)
class Route:
    """Candidates predicted by model ``model``: all conditions given (not ``None``) must hold."""

    model: str
    anion_families: tuple[str, ...] | None = None
    anion_contains_carbon: bool | None = None
    molecule_contains_carbon: bool | None = None
    contains_carbon: bool | None = None


@dataclass(frozen=True)
class CandidateSpace:
    """Cations × anions × molecules × n, with the routes that assign models."""

    name: str
    cations: tuple[Component, ...]
    anions: tuple[Component, ...]
    molecules: tuple[Component, ...]
    n_values: tuple[float, ...]
    routes: tuple[Route, ...]
    anions_per_formula_unit: int | None = None

    @property
    def size(self) -> int:
        """Number of candidates (before routing)."""
        return len(self.cations) * len(self.anions) * len(self.molecules) * len(self.n_values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (recorded with the screening results)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "spec") -> CandidateSpace:
        """Build from a TOML-like dict; ``source`` names the file in error messages."""
        try:
            cations = tuple(_cation(item, source) for item in data["cations"])
            anions = tuple(_component(item, source, "anions") for item in data["anions"])
            molecules = tuple(_component(item, source, "molecules") for item in data["molecules"])
            n_values = tuple(float(n) for n in data["n_values"])
        except KeyError as exc:
            raise ConfigError(
                f"{source}: missing key {exc.args[0]!r} (need cations, anions, molecules, n_values)"
            ) from None
        routes_raw = data.get("routes") or [{"model": "default"}]
        routes = []
        for i, raw in enumerate(routes_raw):
            if "model" not in raw:
                raise ConfigError(f"{source}: routes[{i}] has no 'model'")
            families = raw.get("anion_families")
            unknown = set(raw) - {
                "model",
                "anion_families",
                "anion_contains_carbon",
                "molecule_contains_carbon",
                "contains_carbon",
            }
            if unknown:
                raise ConfigError(f"{source}: routes[{i}] has unknown key(s) {sorted(unknown)}")
            routes.append(
                Route(
                    model=str(raw["model"]),
                    anion_families=tuple(families) if families is not None else None,
                    anion_contains_carbon=raw.get("anion_contains_carbon"),
                    molecule_contains_carbon=raw.get("molecule_contains_carbon"),
                    contains_carbon=raw.get("contains_carbon"),
                )
            )
        if not (cations and anions and molecules and n_values):
            raise ConfigError(f"{source}: cations, anions, molecules and n_values must all be non-empty")
        if any(c.charge <= 0 for c in cations) or any(a.charge >= 0 for a in anions):
            raise ConfigError(f"{source}: cations need positive and anions negative charges")
        per_unit = data.get("anions_per_formula_unit")
        if per_unit is not None:
            if not isinstance(per_unit, int) or isinstance(per_unit, bool) or per_unit < 1:
                raise ConfigError(
                    f"{source}: anions_per_formula_unit must be a positive integer, not {per_unit!r}"
                )
            for c in cations:
                for a in anions:
                    if (per_unit * -a.charge) % c.charge:
                        raise ConfigError(
                            f"{source}: anions_per_formula_unit = {per_unit}: {per_unit} {a.name} "
                            f"(charge {a.charge}) cannot be balanced by whole {c.name}{c.charge}+ cations"
                        )
        return cls(
            name=str(data.get("name", Path(source).stem)),
            cations=cations,
            anions=anions,
            molecules=molecules,
            n_values=n_values,
            routes=tuple(routes),
            anions_per_formula_unit=per_unit,
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> CandidateSpace:
        """Read a space from a TOML file (see the module docstring)."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read candidate space {path}: {exc}") from exc
        return cls.from_dict(data, source=str(path))


def _has_carbon(formula: str, source: str) -> bool:
    try:
        return Composition(formula)["C"] > 0
    except ValueError as exc:
        raise ConfigError(f"{source}: cannot read component formula {formula!r}: {exc}") from exc


def _cation(item: Any, source: str) -> Component:
    if isinstance(item, str):
        item = {"symbol": item}
    symbol = str(item.get("symbol", ""))
    try:
        element = Element(symbol)
    except ValueError:
        raise ConfigError(f"{source}: cation {symbol!r} is not an element symbol") from None
    charge = item.get("charge")
    if charge is None:
        positive = [s for s in element.common_oxidation_states if s > 0]
        if not positive:
            raise ConfigError(f"{source}: give the charge of cation {symbol}")
        charge = positive[0]
    return Component(name=symbol, formula=symbol, charge=int(charge), family="cation", contains_carbon=False)


def _component(item: Any, source: str, kind: str) -> Component:
    if isinstance(item, str):
        unit = unit_by_spelling(item)
        if unit is None:
            raise ConfigError(
                f"{source}: {kind} entry {item!r} is not a known unit; give {{name, formula, charge, family}}"
            )
        item = {"name": item, "formula": unit.formula, "charge": unit.charge, "family": unit.family}
    if "name" not in item or "formula" not in item:
        raise ConfigError(f"{source}: {kind} entry {item!r} needs 'name' and 'formula'")
    charge = int(item.get("charge", 0))
    if kind == "molecules" and charge != 0:
        raise ConfigError(f"{source}: molecule {item['name']!r} has charge {charge}; molecules are neutral")
    family = str(item.get("family", NEUTRAL_MOLECULE if kind == "molecules" else "other"))
    formula = str(item["formula"])
    return Component(str(item["name"]), formula, charge, family, _has_carbon(formula, source))


#: The paper's space (Figure 4a, Supplementary Dataset 2): 3 cations × 5 anions × 5 molecules × n = 1..6,
#: written with two anions per formula unit as Dataset 2 writes them, with routes y1 and y2.
PAPER_SPACE: dict[str, Any] = {
    "name": "wang2025-figure4a",
    "anions_per_formula_unit": 2,
    "cations": ["Ca", "Mg", "Zn"],
    "anions": ["BH4", "B10H10", "B12H12", "CB9H10", "CB11H12"],
    "molecules": ["NH3", "H2O", "CH3NH2", "NH3BH3", "(CH3)2CHNH2"],
    "n_values": [1, 2, 3, 4, 5, 6],
    "routes": [{"model": "y1", "anion_contains_carbon": False}, {"model": "y2", "contains_carbon": True}],
}


#: The candidates the paper singles out (MBCCN: lowest Ea on both lines, then structure-searched).
PAPER_HIGHLIGHTS: tuple[str, ...] = tuple(f"{m}(BH4)2·6(CH3)2CHNH2" for m in ("Ca", "Mg", "Zn"))


def paper_space() -> CandidateSpace:
    """The paper's space: boranes on y1 (270), carbon-containing candidates on y2 (108 + 180)."""
    return CandidateSpace.from_dict(PAPER_SPACE, source="built-in paper space")
