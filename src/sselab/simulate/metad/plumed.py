"""PLUMED-format files of a metadynamics run: ``HILLS`` and ``COLVAR`` (the one reader and writer of both).

``HILLS`` follows PLUMED's conventions so that ``plumed sum_hills --hills HILLS`` reads it: time in ps,
heights
in kJ/mol (PLUMED's default energy unit) and, for well-tempered runs, the height column is the deposited
height
times ``γ/(γ-1)`` (what PLUMED's ``MetaD::writeGaussian`` writes), so that summing the file's hills gives
``-F``
directly. The header states ``#! SET multivariate false`` and ``#! SET kerneltype gaussian`` as PLUMED's own
files do, and for a periodic CV its bounds (``#! SET min_<cv> lo``, ``#! SET max_<cv> hi``). ``COLVAR`` has
time (ps), the CVs, ``metad.bias`` (kJ/mol) and, with walls, ``walls.bias`` (kJ/mol). Readers undo both
scalings and return eV; any other ``*.bias`` column is read as a further static bias. Lengths are in Å: a
PLUMED input reading these files states ``UNITS LENGTH=A`` (see :func:`plumed_input`).

Example
-------
>>> fields, data = parse_table(["#! FIELDS time x metad.bias", "0.0 0.5 0.0"], "COLVAR")
>>> fields, data.shape
(['time', 'x', 'metad.bias'], (1, 3))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import units

from sselab.errors import DataImportError
from sselab.simulate.metad.hills import BiasGrid, HillSet

__all__ = [
    "EV_TO_KJ_PER_MOL",
    "ColvarData",
    "HillsData",
    "HillsFollower",
    "format_colvar_line",
    "format_hills",
    "hills_fields",
    "hills_from_table",
    "parse_table",
    "plumed_input",
    "read_colvar",
    "read_constants",
    "read_hills",
    "write_colvar_header",
    "write_hills",
    "write_hills_header",
]

EV_TO_KJ_PER_MOL = float(units.eV / (units.kJ / units.mol))  # 96.485...


def _wt_factor(bias_factor: float) -> float:
    return bias_factor / (bias_factor - 1.0) if np.isfinite(bias_factor) and bias_factor > 1.0 else 1.0


def write_hills_header(
    path: Path, cv_names: Sequence[str], periodic: Mapping[str, tuple[float, float]] | None = None
) -> None:
    """Start a PLUMED ``HILLS`` file (overwrites); ``periodic`` maps a periodic CV to its bounds."""
    fields = hills_fields(cv_names)
    lines = [f"#! FIELDS {' '.join(fields)}", "#! SET multivariate false", "#! SET kerneltype gaussian"]
    for name, (lo, hi) in (periodic or {}).items():
        if name not in cv_names or not hi > lo:
            raise DataImportError(
                f"periodic CV {name!r} needs bounds lo < hi, got {(lo, hi)}", file=str(path)
            )
        lines += [f"#! SET min_{name} {lo:.12g}", f"#! SET max_{name} {hi:.12g}"]
    path.write_text("\n".join(lines) + "\n")


def format_hills(
    times_ps: np.ndarray, centers: np.ndarray, sigmas: np.ndarray, heights_ev: np.ndarray, bias_factor: float
) -> str:
    """HILLS data lines (no header) in PLUMED's conventions (kJ/mol, well-tempered height scaling)."""
    factor = _wt_factor(bias_factor) * EV_TO_KJ_PER_MOL
    biasf = bias_factor if np.isfinite(bias_factor) else 1.0
    lines = []
    for t, c, w, h in zip(times_ps, centers, sigmas, heights_ev, strict=True):
        cols = [
            f"{t:.6f}",
            *(f"{x:.10f}" for x in c),
            *(f"{x:.10f}" for x in w),
            f"{h * factor:.12g}",
            f"{biasf:.12g}",
        ]
        lines.append(" ".join(cols) + "\n")
    return "".join(lines)


def write_hills(
    path: Path,
    hills: HillSet,
    cv_names: Sequence[str],
    bias_factor: float,
    mask: np.ndarray | None = None,
    periodic: Mapping[str, tuple[float, float]] | None = None,
) -> None:
    """Write the hills (all, or those selected by the boolean ``mask``) to a new ``HILLS`` file."""
    write_hills_header(path, cv_names, periodic)
    keep = np.ones(len(hills), bool) if mask is None else np.asarray(mask, bool)
    text = format_hills(
        hills.times_ps[keep], hills.centers[keep], hills.sigmas[keep], hills.heights_ev[keep], bias_factor
    )
    with path.open("a") as handle:
        handle.write(text)


@dataclass(frozen=True)
class HillsData:
    """Hills read from a ``HILLS`` file: deposited heights in eV (well-tempered scaling undone)."""

    cv_names: tuple[str, ...]
    times_ps: np.ndarray
    centers: np.ndarray
    sigmas: np.ndarray
    heights_ev: np.ndarray
    bias_factor: float
    periodic: dict[str, tuple[float, float]] = field(default_factory=dict)

    def to_hillset(self, grid: BiasGrid | None = None) -> HillSet:
        """The hills as a :class:`HillSet`."""
        hills = HillSet(len(self.cv_names), grid)
        for t, c, w, h in zip(self.times_ps, self.centers, self.sigmas, self.heights_ev, strict=True):
            hills.add(c, w, float(h), float(t))
        return hills


def parse_table(
    lines: Sequence[str], source: str, fields: Sequence[str] | None = None, first_row: int = 1
) -> tuple[list[str], np.ndarray]:
    """The ``#! FIELDS`` names and the numeric rows of PLUMED-format text lines.

    ``fields`` gives the names when the lines carry no header (a chunk read from the middle of a file);
    ``first_row`` is the file line number of ``lines[0]`` (for error messages naming ``source``).
    """
    names: list[str] | None = list(fields) if fields is not None else None
    rows: list[list[float]] = []
    for number, line in enumerate(lines, start=first_row):
        if line.startswith("#! FIELDS"):
            new_fields = line.split()[2:]
            if names is not None and new_fields != names:
                raise DataImportError(f"FIELDS changed to {new_fields}", file=source, row=number)
            names = new_fields
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if names is None:
            raise DataImportError("data before the '#! FIELDS' header", file=source, row=number)
        parts = line.split()
        if len(parts) != len(names):
            raise DataImportError(f"{len(parts)} columns, expected {len(names)}", file=source, row=number)
        try:
            rows.append([float(p) for p in parts])
        except ValueError as exc:
            raise DataImportError(f"not a number: {exc}", file=source, row=number) from exc
    if names is None:
        raise DataImportError("no '#! FIELDS' header", file=source)
    return names, np.array(rows, dtype=float).reshape(-1, len(names))


def _read_table(path: Path) -> tuple[list[str], np.ndarray]:
    if not path.is_file():
        raise DataImportError("file not found", file=str(path))
    return parse_table(path.read_text().splitlines(), str(path))


def read_constants(path: str | Path) -> dict[str, str]:
    """The ``#! SET name value`` constants of a PLUMED file (values as written)."""
    constants: dict[str, str] = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "#!" and parts[1] == "SET":
            constants[parts[2]] = parts[3]
    return constants


def _bound(text: str, path: Path, name: str) -> float:
    """A periodic bound as PLUMED writes it: a number, or ``pi``/``-pi`` (and multiples like ``2pi``)."""
    value = text.strip().lower()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    try:
        if value.endswith("pi"):
            factor = value[:-2].rstrip("*")
            return sign * (float(factor) if factor else 1.0) * float(np.pi)
        return sign * float(value)
    except ValueError as exc:
        raise DataImportError(f"periodic bound {text!r} is not a number", file=str(path), field=name) from exc


def hills_fields(cv_names: Sequence[str]) -> list[str]:
    """The ``FIELDS`` of a non-multivariate ``HILLS`` file with these CVs."""
    return ["time", *cv_names, *(f"sigma_{n}" for n in cv_names), "height", "biasf"]


def read_hills(path: str | Path) -> HillsData:
    """Read a PLUMED ``HILLS`` file (ours or PLUMED's, non-multivariate) into eV and deposited heights."""
    path = Path(path)
    hills = hills_from_table(*_read_table(path), source=str(path))
    constants = read_constants(path)
    periodic = {
        name: (
            _bound(constants[f"min_{name}"], path, f"min_{name}"),
            _bound(constants[f"max_{name}"], path, name),
        )
        for name in hills.cv_names
        if f"min_{name}" in constants and f"max_{name}" in constants
    }
    if not periodic:
        return hills
    return HillsData(
        hills.cv_names,
        hills.times_ps,
        hills.centers,
        hills.sigmas,
        hills.heights_ev,
        hills.bias_factor,
        periodic,
    )


def hills_from_table(fields: Sequence[str], data: np.ndarray, source: str) -> HillsData:
    """:class:`HillsData` of parsed ``HILLS`` rows (see :func:`parse_table`): the one reader of hills."""
    fields = list(fields)
    sigma_fields = [f for f in fields if f.startswith("sigma_")]
    cv_names = tuple(f[len("sigma_") :] for f in sigma_fields)
    missing = [f for f in ("time", "height", *cv_names) if f not in fields]
    if missing or not cv_names:
        raise DataImportError(f"missing fields {missing or ['sigma_*']}", file=source, field="FIELDS")
    col = {f: i for i, f in enumerate(fields)}
    biasf_col = data[:, col["biasf"]] if "biasf" in col else np.ones(len(data))
    bias_factor = float(biasf_col[0]) if len(data) else 1.0
    factors = np.array([_wt_factor(b) for b in biasf_col]) * EV_TO_KJ_PER_MOL
    return HillsData(
        cv_names=cv_names,
        times_ps=data[:, col["time"]],
        centers=data[:, [col[n] for n in cv_names]],
        sigmas=data[:, [col[f] for f in sigma_fields]],
        heights_ev=data[:, col["height"]] / factors if len(data) else np.zeros(0),
        bias_factor=bias_factor if bias_factor > 1.0 else float("inf"),
    )


class HillsFollower:
    """Reads the hills another walker appends to its ``HILLS`` file, a complete line at a time.

    Parameters
    ----------
    path
        The other walker's ``HILLS`` file (it may not exist yet).
    cv_names
        The CVs of that file (its ``FIELDS`` are those :func:`write_hills_header` writes).
    """

    def __init__(self, path: str | Path, cv_names: Sequence[str]) -> None:
        self.path = Path(path)
        self.fields = hills_fields(cv_names)
        self.offset = 0
        self.lines_read = 0

    def new_hills(self) -> HillsData | None:
        """Hills completed since the last call (``None`` when there are none)."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if not complete:
            return None
        self.offset += len(complete)
        lines = complete.decode().splitlines()
        fields, data = parse_table(lines, str(self.path), self.fields, first_row=self.lines_read + 1)
        self.lines_read += len(lines)
        return hills_from_table(fields, data, str(self.path)) if len(data) else None


def write_colvar_header(path: Path, cv_names: Sequence[str], walls: bool = False) -> None:
    """Start a PLUMED ``COLVAR`` file (overwrites): ``time cv... metad.bias [walls.bias]`` (ps, CV units,
    kJ/mol)."""
    path.write_text(f"#! FIELDS time {' '.join(cv_names)} metad.bias{' walls.bias' if walls else ''}\n")


def format_colvar_line(
    time_ps: float, cv: Sequence[float], bias_ev: float, wall_bias_ev: float | None = None
) -> str:
    """One COLVAR line (biases written in kJ/mol)."""
    cols = [f"{time_ps:.6f}", *(f"{x:.8f}" for x in cv), f"{bias_ev * EV_TO_KJ_PER_MOL:.8f}"]
    if wall_bias_ev is not None:
        cols.append(f"{wall_bias_ev * EV_TO_KJ_PER_MOL:.8f}")
    return " ".join(cols) + "\n"


@dataclass(frozen=True)
class ColvarData:
    """A ``COLVAR`` file: times (ps), CV values, and the bias at each time (eV)."""

    cv_names: tuple[str, ...]
    times_ps: np.ndarray
    values: np.ndarray
    bias_ev: np.ndarray
    static_bias_ev: np.ndarray | None = None


def read_colvar(path: str | Path) -> ColvarData:
    """Read a PLUMED ``COLVAR`` file with a ``metad.bias`` column (kJ/mol) into eV."""
    path = Path(path)
    fields, data = _read_table(path)
    if "time" not in fields or "metad.bias" not in fields:
        raise DataImportError("COLVAR needs 'time' and 'metad.bias' fields", file=str(path), field="FIELDS")

    def other_bias(f: str) -> bool:
        return f.endswith(".bias") and f != "metad.bias"

    names = tuple(
        f
        for f in fields
        if f not in ("time", "metad.bias") and not f.startswith("metad.") and not other_bias(f)
    )
    col = {f: i for i, f in enumerate(fields)}
    statics = [col[f] for f in fields if other_bias(f)]
    return ColvarData(
        cv_names=names,
        times_ps=data[:, col["time"]],
        values=data[:, [col[n] for n in names]],
        bias_ev=data[:, col["metad.bias"]] / EV_TO_KJ_PER_MOL,
        static_bias_ev=data[:, statics].sum(axis=1) / EV_TO_KJ_PER_MOL if statics else None,
    )


def plumed_input(
    cv_names: Sequence[str],
    height_ev: float,
    widths: Sequence[float],
    pace: int,
    bias_factor: float,
    temperature_k: float,
    wall_lines: Sequence[str] = (),
    grid: Mapping[str, Any] | None = None,
) -> str:
    """A PLUMED input (``plumed.dat``) equivalent to the run's bias, in the units of its files: ``UNITS
    LENGTH=A`` (Å), energies in kJ/mol, time in ps. The CVs themselves are sselab's (host-relative ones have
    no one-line PLUMED form), so they are declared as ``ARG`` labels to be defined by the reader."""
    args = ",".join(cv_names)
    lines = [
        "# Equivalent PLUMED bias of this sselab run; HILLS and COLVAR beside it use these units.",
        "UNITS LENGTH=A ENERGY=kj/mol TIME=ps",
        f"# define {args} here (sselab CVs, see summary.json parameters.colvars)",
        f"metad: METAD ARG={args} SIGMA={','.join(f'{w:g}' for w in widths)} "
        f"HEIGHT={height_ev * EV_TO_KJ_PER_MOL:.6g} PACE={pace} "
        + (f"BIASFACTOR={bias_factor:g} " if np.isfinite(bias_factor) else "")
        + f"TEMP={temperature_k:g} FILE=HILLS"
        + (
            f" GRID_MIN={','.join(f'{x:g}' for x in grid['min'])}"
            f" GRID_MAX={','.join(f'{x:g}' for x in grid['max'])}"
            f" GRID_BIN={','.join(str(int(b)) for b in grid['bins'])}"
            if grid
            else ""
        ),
        *wall_lines,
        f"PRINT ARG={args},metad.bias STRIDE=1 FILE=COLVAR",
    ]
    return "\n".join(lines) + "\n"
