"""Which model a calculator evaluates: :class:`PotentialIdentity`, attached by
:func:`sselab.simulate.potentials.get_calculator` and stored with every number the calculator produced.

Example
-------
>>> from ase.calculators.emt import EMT
>>> identity = potential_identity(EMT())
>>> identity.name, identity.package
('emt', 'ase')
>>> PotentialIdentity.from_dict(identity.as_dict()) == identity
True
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from dataclasses import asdict, dataclass, field
from typing import Any

from ase.calculators.calculator import Calculator

__all__ = ["PotentialIdentity", "attach_identity", "file_sha256", "package_version", "potential_identity"]


@dataclass(frozen=True)
class PotentialIdentity:
    """Which model a calculator evaluates: recorded with every result it produced.

    Attributes
    ----------
    name
        sselab registry name (``"chgnet"``, ``"sevennet-mf-0-pbe"``, ...), or the calculator's class name
        for a calculator not made by :func:`get_calculator`.
    model
        The package's own model name (``"0.3.0"``, ``"r2scan"``, ``"7net-l3i5"``, ``"EMT"``).
    model_version
        Version of the model or its weights as the checkpoint states it (``None`` when it states none).
    package, package_version
        Python distribution that evaluates it and its installed version.
    modal
        Fidelity of a multi-fidelity model (``"PBE"``, ``"R2SCAN"``), else ``None``.
    weights_file
        File name of the loaded weights (``None`` for analytic potentials).
    weights_sha256
        SHA-256 of that file (hex).
    device
        Where it runs (``"cpu"``, ``"cuda"``, ...).
    """

    name: str
    model: str
    model_version: str | None = None
    package: str | None = None
    package_version: str | None = None
    modal: str | None = None
    weights_file: str | None = None
    weights_sha256: str | None = None
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """Short human label, e.g. ``"chgnet-r2scan (CHGNet r2scan, chgnet 0.4.2)"``."""
        version = f" {self.model_version}" if self.model_version else ""
        modal = f" modal {self.modal}" if self.modal else ""
        package = f", {self.package} {self.package_version}" if self.package else ""
        return f"{self.name} ({self.model}{version}{modal}{package})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PotentialIdentity:
        """Inverse of :meth:`as_dict`."""
        return cls(**data)


def package_version(distribution: str) -> str | None:
    """Installed version of the Python distribution ``distribution``; ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=16)
def file_sha256(path: str) -> str:
    """SHA-256 (hex) of the file at ``path``, read in 1 MiB blocks; cached per path (weights files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def attach_identity(calc: Calculator, identity: PotentialIdentity) -> None:
    """Record on ``calc`` which model it evaluates (read back with :func:`potential_identity`)."""
    calc.sselab_identity = identity  # type: ignore[attr-defined]


def potential_identity(calc: Calculator) -> PotentialIdentity:
    """The identity :func:`get_calculator` attached to ``calc``; for another calculator, its class name and
    the package it comes from (no model version: record it yourself)."""
    identity = getattr(calc, "sselab_identity", None)
    if isinstance(identity, PotentialIdentity):
        return identity
    module = type(calc).__module__.split(".")[0]
    return PotentialIdentity(
        name=type(calc).__name__.lower(),
        model=type(calc).__name__,
        package=module,
        package_version=package_version(module),
    )
