"""Validation of every query-string parameter of the web app (pydantic models, unknown keys refused).

A query string is turned into a dict by :func:`query_dict` (repeated keys only where a field is a list,
empty values dropped: an HTML form sends its empty fields) and validated by one model per page. Any problem
raises :class:`BadRequest`, which the app shows as a 400 page naming the parameter and the reason.

Example::

    >>> from sselab.web.params import MaterialsParams
    >>> MaterialsParams.model_validate({"valence": "2", "neutral": "with"}).valence
    2
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sselab.chem.families import ANION_FAMILIES
from sselab.report.conductivity import HYDRIDE_FAMILIES
from sselab.store import METHODS
from sselab.store.browse import MAX_PAGE_SIZE, SORT_KEYS, MaterialQuery

MAX_QUERY_STRING_CHARS = 4096
"""Longest query string accepted (414 beyond)."""
MAX_TEXT_CHARS = 100
MAX_COMPARE = 20
"""Most materials overlaid on one Arrhenius plot."""
ID_MAX = 2**62
HYDRIDE_GROUP = "all-hydrides"
"""The anion-family value that stands for every hydride family (:data:`HYDRIDE_FAMILIES`)."""
FORMULA_PUNCTUATION = frozenset("()[]{}·•.,:+-–−@/*%_ ")
"""Characters other than letters and digits that formulas in the datasets use (text search alphabet)."""

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.+\-]+$")]
RunName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:+\-]+$")]
"""A screening run's name (``wang2025-candidates``, ``screening:paper``)."""
Molecule = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9()\[\]·.+\-]+$")]
Cation = Annotated[str, Field(pattern=r"^[A-Z][a-z]?$")]
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]
Temperature = Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e5)]
Count = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1000)]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
Format = Literal["html", "csv", "json", "py"]


class BadRequest(Exception):
    """A request the app refuses (shown as a 4xx page with the reason)."""

    def __init__(self, reason: str, status_code: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_text(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"at most {MAX_TEXT_CHARS} characters")
    for ch in value:
        if not (ch.isalnum() or ch in FORMULA_PUNCTUATION):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise ValueError(f"character {ch!r} ({name}) does not occur in formulas")
    return value or None


class MaterialsParams(_Params):
    """Query string of ``/materials`` (see :class:`sselab.store.browse.MaterialQuery`)."""

    cation: Cation | None = None
    valence: Annotated[int, Field(ge=1, le=4)] | None = None
    anion_family: list[str] = Field(default_factory=list, max_length=len(ANION_FAMILIES) + 1)
    neutral: Literal["any", "with", "without"] = "any"
    neutral_molecule: Molecule | None = None
    neutral_count_min: Count | None = None
    neutral_count_max: Count | None = None
    dataset: Name | None = None
    ea_min: Finite | None = None
    ea_max: Finite | None = None
    t_min: Temperature | None = None
    t_max: Temperature | None = None
    has_sigma: bool | None = None
    has_structure: bool | None = None
    has_computed: bool | None = None
    q: str | None = None
    sort: Literal[SORT_KEYS] = "formula"  # type: ignore[valid-type]
    order: Literal["asc", "desc"] = "asc"
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50
    format: Format = "html"

    @field_validator("anion_family")
    @classmethod
    def _families(cls, values: list[str]) -> list[str]:
        allowed = (*ANION_FAMILIES, HYDRIDE_GROUP)
        for value in values:
            if value not in allowed:
                raise ValueError(f"unknown anion family {value[:40]!r}; use one of {', '.join(allowed)}")
        return values

    @field_validator("q")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _check_text(value)

    def ranges_ok(self) -> None:
        """Raise :class:`BadRequest` when a range is reversed."""
        for low, high in (
            ("ea_min", "ea_max"),
            ("t_min", "t_max"),
            ("neutral_count_min", "neutral_count_max"),
        ):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise BadRequest(f"{low}={a:g} is above {high}={b:g}")

    def to_query(self) -> MaterialQuery:
        """The store query these parameters describe (``anion_family=hydride`` expands to its families)."""
        self.ranges_ok()
        families: list[str] = []
        for value in self.anion_family:
            families.extend(HYDRIDE_FAMILIES if value == HYDRIDE_GROUP else (value,))
        return MaterialQuery(
            cation=self.cation,
            valence=self.valence,
            anion_families=tuple(dict.fromkeys(families)),
            neutral=self.neutral,
            neutral_molecule=self.neutral_molecule,
            neutral_count_min=self.neutral_count_min,
            neutral_count_max=self.neutral_count_max,
            dataset=self.dataset,
            ea_min_ev=self.ea_min,
            ea_max_ev=self.ea_max,
            temperature_min_k=self.t_min,
            temperature_max_k=self.t_max,
            has_sigma=self.has_sigma,
            has_structure=self.has_structure,
            has_computed=self.has_computed,
            text=self.q,
            sort=self.sort,
            descending=self.order == "desc",
            page=self.page,
            per_page=self.per_page,
        )


class MaterialParams(_Params):
    """Query string of ``/material/{id}``: the export format and, for CSV, which table."""

    format: Format = "html"
    table: Literal["sigma", "fits", "ea", "structures"] = "sigma"


class CompareParams(_Params):
    """Query string of ``/compare/arrhenius``: the materials to overlay (``id`` repeated)."""

    id: list[Id] = Field(default_factory=list, max_length=MAX_COMPARE)
    format: Format = "html"
    table: Literal["points", "fits"] = "points"


class BenchmarkParams(_Params):
    """Query string of ``/compare/benchmark``: methods and the chemistry of the materials compared."""

    method: list[Literal[METHODS]] = Field(default_factory=list, max_length=len(METHODS))  # type: ignore[valid-type]
    cation: Cation | None = None
    valence: Annotated[int, Field(ge=1, le=4)] | None = None
    neutral: Literal["any", "with", "without"] = "any"
    hydrides_only: bool = False
    format: Format = "html"
    table: Literal["pairs", "metrics", "unmatched"] = "pairs"


class TableParams(_Params):
    """Query string of pages without filters (a run page): the export format and a page number."""

    format: Format = "html"
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class ModelsParams(_Params):
    """Query string of ``/models``: the export format."""

    format: Format = "html"


class ScreeningParams(_Params):
    """Query string of ``/screening``: the run and route shown, the page, and for CSV which table.

    ``run`` and ``route`` must name a stored run and one of its routes (checked against the store by the
    view, which answers 400 with the stored names otherwise).
    """

    run: RunName | None = None
    route: Name | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 100
    format: Format = "html"
    table: Literal["predictions", "runs"] = "predictions"


class AskParams(_Params):
    """Query string of ``/ask``: a question in plain language."""

    q: Annotated[str, Field(max_length=1000)] | None = None

    @field_validator("q")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in value):
            raise ValueError("control or unassigned characters are not allowed")
        return value or None


class RecipeParams(_Params):
    """Query string of ``/ask/recipe/{name}``: the recipe's own parameters are passed through, validated
    by the recipe's model."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)


_LIST_FIELDS = {"anion_family", "id", "method"}
_KEY = re.compile(r"^[a-z_]{1,40}$")


def checked_items(items: Iterable[tuple[str, str]], raw_length: int) -> list[tuple[str, str]]:
    """Query-string items with empty values dropped; an over-long query string, an odd key name or a NUL
    character is refused."""
    if raw_length > MAX_QUERY_STRING_CHARS:
        raise BadRequest(
            f"the query string is {raw_length} characters long; the limit is {MAX_QUERY_STRING_CHARS}", 414
        )
    out: list[tuple[str, str]] = []
    for key, value in items:
        if not _KEY.match(key):
            raise BadRequest(f"unknown parameter {key[:40]!r}")
        if "\x00" in value:
            raise BadRequest(f"{key}: the value contains a NUL character")
        if value.strip():
            out.append((key, value))
    return out


def query_dict(items: Iterable[tuple[str, str]], raw_length: int) -> dict[str, Any]:
    """Query-string items as a dict for validation (see :func:`checked_items`): list fields collect repeated
    keys, a repeated scalar key is refused."""
    out: dict[str, Any] = {}
    for key, value in checked_items(items, raw_length):
        if key in _LIST_FIELDS:
            out.setdefault(key, []).append(value)
        elif key in out:
            raise BadRequest(f"{key}: given more than once")
        else:
            out[key] = value
    return out


def validate(model: type[_Params], data: dict[str, Any]) -> Any:
    """``model.model_validate(data)``; a validation error becomes :class:`BadRequest` naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "query"
            parts.append(f"{where}: {err['msg']}")
        raise BadRequest("; ".join(parts)) from None
