"""Scanner of formula text into raw units (internal to :mod:`sselab.chem.formula`).

A formula is split at top level into *parts* (``Mg(BH4)2``, ``1.6NH3``) at the separators ``·•∙⋅*+``,
dashes, whitespace, ``/`` before a letter and ``.`` not followed by a digit. Each part is an optional
leading coefficient and a body; the body is scanned left to right into raw units: known units (longest
literal match in the registry), boron cages (Wade's rules), single elements with amounts, and
parenthesised groups (kept whole so that the classifier can decide whether a group is an anion or a piece
of the compound). All positions are indices into the formula as written, so that errors point at the
right character.

Scanning is linear in the length of the text: every character is visited a bounded number of times (brackets
nest at most :data:`MAX_NESTING` deep, and numbers are at most :data:`MAX_NUMBER_CHARS` characters long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from pymatgen.core import Composition, Element

from sselab.chem import registry
from sselab.errors import FormulaParseError

MAX_NESTING = 8
"""Deepest bracket nesting accepted (real formulas nest at most 3 deep: ``(LiI)0.3((Li2S)0.3(...))``)."""
MAX_NUMBER_CHARS = 12
"""Longest amount accepted, in characters of one number (``0.3333333333``); real data use at most 6."""
MAX_AMOUNT = 10_000.0
"""Largest amount accepted (glass compositions in mol % use at most 100)."""

_COUNT = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:/\d+(?:\.\d+)?)?")
_WORD = re.compile(r"[A-Za-z][a-z]*(?:H2O)?")
_LOCANT = re.compile(r"-(\d+(?:,\d+)*)-(?=[A-Z(\[])")
_CLUSTER = re.compile(
    r"(?:C(?![a-z])(?P<c>\d*))?B(?![a-z])(?P<b>\d+)(?:H(?![a-z])(?P<h>\d*))?(?P<x>(?:(?:F|Cl|Br|I)(?![a-z])\d*)*)"
)
_HALOGEN = re.compile(r"(F|Cl|Br|I)(\d*)")
_ELEMENT = re.compile(r"[A-Z][a-z]?")
_DASHES = "-–—‐−"
_ALWAYS_SEPARATORS = "·•∙⋅*+:;"
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


@dataclass
class RawUnit:
    """One scanned piece of a formula.

    ``kind`` is ``"unit"`` (registry unit in ``unit``), ``"cluster"`` (boron cage; ``family``/``charge`` from
    Wade's rules), ``"element"`` (one element, ``name`` is its symbol) or ``"group"`` (an unrecognised
    parenthesised group with its ``children`` scanned per one group).
    ``amount`` is how many of the piece the formula holds.
    """

    kind: str
    name: str
    composition: Composition
    amount: float
    position: int
    unit: registry.Unit | None = None
    family: str | None = None
    charge: int | None = None
    locant: str | None = None
    children: list[RawUnit] = field(default_factory=list)


@dataclass
class Part:
    """A top-level part: ``coefficient`` times the body ``text[start:end]``."""

    start: int
    end: int
    coefficient: float
    body_start: int


def parse_count(text: str, pos: int, end: int) -> tuple[float | None, int]:
    """Read an amount (``2``, ``0.5``, ``1/2``, ``5/3``) at ``pos``; ``(None, pos)`` when there is none."""
    match = _COUNT.match(text, pos, end)
    if not match:
        return None, pos
    raw = match.group(0)
    if any(len(number) > MAX_NUMBER_CHARS for number in raw.split("/")):
        raise FormulaParseError(
            text,
            pos,
            f"amount {raw[:20]!r}{'...' if len(raw) > 20 else ''} is longer than "
            f"{MAX_NUMBER_CHARS} characters",
        )
    if "/" in raw:
        numerator, denominator = raw.split("/")
        if float(denominator) == 0:
            raise FormulaParseError(text, pos, "division by zero in a fractional amount")
        value = float(Fraction(numerator) / Fraction(denominator))
    else:
        value = float(raw)
    if value <= 0:
        raise FormulaParseError(text, pos, "an amount must be positive")
    if value > MAX_AMOUNT:
        raise FormulaParseError(text, pos, f"amount {raw} is larger than {MAX_AMOUNT:g}")
    return value, match.end()


def matching_close(text: str, pos: int, end: int) -> int:
    """Index of the bracket closing the one at ``pos``."""
    stack = [_OPEN[text[pos]]]
    for i in range(pos + 1, end):
        char = text[i]
        if char in _OPEN:
            stack.append(_OPEN[char])
        elif char in _CLOSE:
            if char != stack[-1]:
                raise FormulaParseError(
                    text, i, f"expected {stack[-1]!r} to close the bracket, found {char!r}"
                )
            stack.pop()
            if not stack:
                return i
    raise FormulaParseError(text, pos, "bracket is never closed")


def split_parts(text: str, start: int, end: int) -> list[Part]:
    """Split ``text[start:end]`` into parts at the top-level separators (see module docstring)."""
    _check_edges(text, start, end)
    norm = normalise_dashes(text)
    pieces: list[tuple[int, int]] = []
    piece_start = start
    i = start
    depth = 0
    while i < end:
        char = text[i]
        if char in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise FormulaParseError(text, i, f"brackets nested deeper than {MAX_NESTING} levels")
        elif char in _CLOSE:
            if depth == 0:
                raise FormulaParseError(text, i, f"closing {char!r} without an opening bracket")
            depth -= 1
        elif depth == 0 and char in _DASHES and i > start and (locant := _LOCANT.match(norm, i, end)):
            i = locant.end()
            continue
        elif depth == 0 and _is_separator(text, i, start, end):
            pieces.append((piece_start, i))
            piece_start = i + 1
        i += 1
    if depth:
        raise FormulaParseError(text, end, "a bracket is never closed")
    pieces.append((piece_start, end))
    parts: list[Part] = []
    pending: float | None = None
    pending_pos = start
    for a, b in (_strip(text, a, b) for a, b in pieces):
        if a == b:
            continue
        coefficient, body_start = parse_count(text, a, b)
        if body_start == b:  # a bare number ("2 NH3"): coefficient of the next part
            if pending is not None:
                raise FormulaParseError(text, a, "two amounts in a row")
            pending, pending_pos = coefficient, a
            continue
        parts.append(Part(a, b, (coefficient or 1.0) * (pending or 1.0), body_start))
        pending = None
    if pending is not None:
        raise FormulaParseError(text, pending_pos, "an amount with nothing after it")
    if not parts:
        raise FormulaParseError(text, start, "no formula")
    return parts


@lru_cache(maxsize=16)
def normalise_dashes(text: str) -> str:
    """``text`` with every kind of dash replaced by ``-`` (same length, so positions are kept).

    Cached: the scanner asks for the same text at every dash, and must stay linear in its length.
    """
    return text.translate(_DASH_TABLE)


_DASH_TABLE = {ord(dash): "-" for dash in _DASHES}


def _check_edges(text: str, start: int, end: int) -> None:
    a, b = _strip(text, start, end)
    if a < b and text[a] in _DASHES + _ALWAYS_SEPARATORS:
        raise FormulaParseError(text, a, "formula starts with a separator")
    if a < b and (text[b - 1] in _DASHES + _ALWAYS_SEPARATORS or text[b - 1] == "."):
        raise FormulaParseError(text, b - 1, "formula ends with a separator")


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _is_separator(text: str, i: int, start: int, end: int) -> bool:
    char = text[i]
    if char in _ALWAYS_SEPARATORS or char in _DASHES or char.isspace():
        return True
    nxt = text[i + 1] if i + 1 < end else ""
    prev = text[i - 1] if i > start else ""
    if char == ".":
        return not nxt.isdigit()
    if char == "/":
        return not (prev.isdigit() and nxt.isdigit())
    return False


def scan_body(text: str, start: int, end: int, multiplier: float) -> list[RawUnit]:
    """Scan ``text[start:end]`` into raw units, each amount multiplied by ``multiplier``."""
    units: list[RawUnit] = []
    locant: str | None = None
    pos = start
    while pos < end:
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in _DASHES:
            match = _LOCANT.match(normalise_dashes(text), pos, end)
            if not match:
                raise FormulaParseError(
                    text, pos, "a dash inside a bracket (only isomer locants such as -7- allowed)"
                )
            locant, pos = match.group(1), match.end()
            continue
        unit_match = _match_spelling(text, pos, end)
        if unit_match is not None:
            unit, pos_after = unit_match
            units.append(
                RawUnit(
                    "unit", unit.name, Composition(unit.formula), multiplier, pos, unit=unit, locant=locant
                )
            )
            locant, pos = None, pos_after
            continue
        if char in _OPEN:
            close = matching_close(text, pos, end)
            count, pos_after = parse_count(text, close + 1, end)
            units.append(_group(text, pos, close, multiplier * (count or 1.0), locant))
            locant, pos = None, pos_after
            continue
        cluster = _match_cluster(text, pos, end, multiplier, locant)
        if cluster is not None:
            units.append(cluster[0])
            locant, pos = None, cluster[1]
            continue
        word = _WORD.match(text, pos, end)
        if word and word.group(0).lower() in registry.UNSPECIFIED_HYDRATE_WORDS:
            reason = f"{word.group(0)!r}: hydrate with an unspecified amount of water"
            raise FormulaParseError(text, pos, reason)
        if char.isupper():
            symbol = _element_symbol(text, pos, end)
            count, pos_after = parse_count(text, pos + len(symbol), end)
            amount = multiplier * (count or 1.0)
            units.append(RawUnit("element", symbol, Composition({symbol: 1}), amount, pos))
            pos = pos_after
            continue
        if char.isalpha():
            raise FormulaParseError(
                text, pos, f"unknown element or abbreviation {word.group(0) if word else char!r}"
            )
        raise FormulaParseError(text, pos, f"unexpected character {char!r}")
    if locant is not None:
        raise FormulaParseError(text, end, "isomer locant without a cage after it")
    return units


def _group(text: str, open_pos: int, close: int, amount: float, locant: str | None) -> RawUnit:
    inner_start, inner_end = _strip(text, open_pos + 1, close)
    if inner_start == inner_end:
        raise FormulaParseError(text, open_pos, "empty brackets")
    inner = "".join(text[inner_start:inner_end].split())
    unit = registry.unit_by_spelling(inner)
    children = [] if unit else scan_body(text, inner_start, inner_end, 1.0)
    if unit is None:
        composition = sum((child.composition * child.amount for child in children), Composition())
        unit = registry.unit_by_composition(composition)
        if unit is None and len(children) == 1 and children[0].kind in {"unit", "cluster"}:
            only = children[0]
            only.amount *= amount
            only.position = open_pos
            only.locant = only.locant or locant
            return only
        if unit is None:
            return RawUnit("group", inner, composition, amount, open_pos, locant=locant, children=children)
    return RawUnit("unit", unit.name, Composition(unit.formula), amount, open_pos, unit=unit, locant=locant)


def _match_spelling(text: str, pos: int, end: int) -> tuple[registry.Unit, int] | None:
    for spelling, unit in registry.spelling_table():
        stop = pos + len(spelling)
        if stop <= end and text.startswith(spelling, pos) and _boundary(text, stop, end):
            return unit, stop
    return None


def _boundary(text: str, stop: int, end: int) -> bool:
    if stop >= end:
        return True
    nxt = text[stop]
    return not (nxt.islower() or nxt.isdigit() or nxt in "./")


def _match_cluster(
    text: str, pos: int, end: int, multiplier: float, locant: str | None
) -> tuple[RawUnit, int] | None:
    match = _CLUSTER.match(text, pos, end)
    if not match or (match.group("h") is None and not match.group("x")):
        return None
    stop = match.end()
    if stop < end and (text[stop].isdigit() or text[stop] in "./" or text[stop].islower()):
        return None
    n_c = int(match.group("c") or 1) if match.group(0).startswith("C") else 0
    n_b = int(match.group("b"))
    n_h = int(match.group("h") or 1) if match.group("h") is not None else 0
    halogens = _HALOGEN.findall(match.group("x"))
    n_x = sum(int(n or 1) for _, n in halogens)
    classified = registry.classify_boron_cluster(n_c, n_b, n_h + n_x)
    if classified is None:
        return None
    family, charge = classified
    name = match.group(0)
    unit = RawUnit(
        "cluster",
        name,
        Composition(name),
        multiplier,
        pos,
        family=family,
        charge=charge or None,
        locant=locant,
    )
    return unit, stop


def _element_symbol(text: str, pos: int, end: int) -> str:
    two = text[pos : pos + 2] if pos + 2 <= end else ""
    if len(two) == 2 and two[1].islower() and Element.is_valid_symbol(two):
        return two
    one = text[pos]
    if Element.is_valid_symbol(one) and one not in {"D", "T"}:
        return one
    match = _ELEMENT.match(text, pos, end)
    raise FormulaParseError(text, pos, f"unknown element symbol {match.group(0) if match else one!r}")
