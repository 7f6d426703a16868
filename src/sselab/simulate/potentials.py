"""Registry of interatomic potentials, each returned as an ASE calculator by name.

Factories import their packages lazily, so ``import sselab.simulate`` stays light and a missing optional
package only matters when asked for. Names (calculator; what it needs):

- ``chgnet``: ``chgnet.model.dynamics.CHGNetCalculator``, CHGNet 0.3.0 (``chgnet``; weights in the wheel)
- ``chgnet-r2scan``: CHGNet transfer-learned on MP-r2SCAN (``chgnet`` >= 0.4; weights in the wheel)
- ``sevennet``: ``sevenn.calculator.SevenNetCalculator("7net-0")``, SevenNet-0 (11Jul2024) (``sevenn``;
  weights in the wheel)
- ``sevennet-l3i5``: SevenNet-l3i5 (``sevenn``; weights in the wheel)
- ``sevennet-mf-0-pbe``, ``sevennet-mf-0-r2scan``: the multi-fidelity SevenNet-MF-0 with its ``PBE`` or
  ``R2SCAN`` modal (``sevenn``; weights in the wheel)
- ``mace-mp``: ``mace.calculators.mace_mp``, medium (``mace-torch``; downloads weights)
- ``mattersim``: ``mattersim.forcefield.MatterSimCalculator`` (``mattersim``; downloads weights)
- ``orb``: ``orb_models`` pretrained Orb v3 conservative (``orb-models``; downloads weights)
- ``xtb``: ``tblite.ase.TBLite``, GFN2-xTB (``tblite``)
- ``cp2k``: ``ase.calculators.cp2k.CP2K`` (``cp2k_shell`` binary on PATH)
- ``emt``: ``ase.calculators.emt.EMT`` (nothing; tests only: Al, Cu, Ag, Au, Ni, Pd, Pt)

A missing package, binary or (offline, ``SSELAB_OFFLINE=1``) weights raises
:class:`~sselab.errors.PotentialUnavailableError` with an install hint; nothing downloads when offline.
Device: ``device`` argument, else ``SSELAB_DEVICE``, else CUDA when ``torch.cuda.is_available()``, else CPU.
Threads: ``threads`` argument, else ``SSELAB_THREADS``, passed to ``torch.set_num_threads``.
Memory: freed heap memory stays in the process (:func:`sselab.simulate.heap.keep_freed_memory`; off with
``SSELAB_KEEP_FREED_MEMORY=0``).

Every calculator made here carries a :class:`~sselab.simulate.potential_identity.PotentialIdentity` (registry
name, model, model version or checkpoint, modal, package and its version, weights file and its SHA-256,
device): read it with :func:`potential_identity` and store it with every number the calculator produced.
Which elements each potential describes: :mod:`sselab.simulate.potential_elements` (re-exported here).

Example
-------
>>> calc = get_calculator("emt")
>>> type(calc).__name__
'EMT'
>>> potential_identity(calc).name
'emt'
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ase.calculators.calculator import Calculator

from sselab.config import get_settings
from sselab.errors import PotentialUnavailableError
from sselab.simulate.heap import keep_freed_memory
from sselab.simulate.potential_elements import (
    CHGNET_ELEMENTS,
    MPTRJ_ELEMENTS,
    supported_elements,
    unsupported_elements,
)
from sselab.simulate.potential_identity import (
    PotentialIdentity,
    attach_identity,
    file_sha256,
    package_version,
    potential_identity,
)

__all__ = [
    "CHGNET_ELEMENTS",
    "MPTRJ_ELEMENTS",
    "CalculatorFactory",
    "PotentialIdentity",
    "PotentialInfo",
    "device_of",
    "get_calculator",
    "list_potentials",
    "potential_identity",
    "resolve_device",
    "supported_elements",
    "unsupported_elements",
]

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class PotentialInfo:
    """A registered potential: its name, what it needs, and whether it can be loaded here."""

    name: str
    description: str
    requirement: str
    available: bool
    downloads_weights: bool


def resolve_device(device: str | None = None) -> str:
    """``device``, else ``SSELAB_DEVICE``, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    chosen = device or get_settings().device
    if chosen:
        return chosen
    if importlib.util.find_spec("torch") is None:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _set_threads(threads: int | None) -> None:
    n = threads if threads is not None else get_settings().threads
    if n is None or importlib.util.find_spec("torch") is None:
        return
    import torch

    torch.set_num_threads(int(n))


def _require(module: str, extra: str, name: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise PotentialUnavailableError(
            f"potential {name!r} needs the Python package {module!r}: pip install 'sselab[{extra}]'"
        )


def _offline_guard(name: str) -> None:
    if get_settings().offline or os.environ.get("HF_HUB_OFFLINE") == "1":
        raise PotentialUnavailableError(
            f"potential {name!r} downloads its weights on first use, "
            "and downloads are off (SSELAB_OFFLINE=1); "
            "use 'chgnet' or 'sevennet' (weights shipped), or run once online to cache the weights"
        )


def _chgnet_model(name: str, model_name: str) -> Callable[..., Calculator]:
    def factory(device: str, **kw: Any) -> Calculator:
        _require("chgnet", "potentials", name)
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator

        model = CHGNet.load(model_name=model_name, use_device=device, verbose=False)
        calc = CHGNetCalculator(model=model, use_device=device, **kw)
        weights = Path(importlib.util.find_spec("chgnet").origin or "").parent  # type: ignore[union-attr]
        files = sorted((weights / "pretrained" / model_name).glob("*.pth.tar"))
        attach_identity(
            calc,
            PotentialIdentity(
                name=name,
                model="CHGNet",
                model_version=str(model.version),
                package="chgnet",
                package_version=package_version("chgnet"),
                weights_file=f"{model_name}/{files[0].name}" if files else None,
                weights_sha256=file_sha256(str(files[0])) if files else None,
                device=device,
            ),
        )
        return calc

    return factory


def _sevennet_model(name: str, model_name: str, modal: str | None = None) -> Callable[..., Calculator]:
    def factory(device: str, **kw: Any) -> Calculator:
        _require("sevenn", "potentials", name)
        from sevenn.calculator import SevenNetCalculator
        from sevenn.util import pretrained_name_to_path

        model = kw.pop("model", model_name)
        chosen_modal = kw.pop("modal", modal)
        path = Path(pretrained_name_to_path(model))
        calc = SevenNetCalculator(str(path), device=device, modal=chosen_modal, **kw)
        config = getattr(calc, "sevennet_config", {}) or {}
        attach_identity(
            calc,
            PotentialIdentity(
                name=name,
                model=model,
                model_version=path.parent.name,
                package="sevenn",
                package_version=package_version("sevenn"),
                modal=chosen_modal,
                weights_file=f"{path.parent.name}/{path.name}",
                weights_sha256=file_sha256(str(path)),
                device=device,
                extra={"trained_with_sevenn": config.get("version")},
            ),
        )
        return calc

    return factory


def _mace(device: str, **kw: Any) -> Calculator:
    _require("mace", "mace", "mace-mp")
    _offline_guard("mace-mp")
    from mace.calculators import mace_mp

    return mace_mp(model=kw.pop("model", "medium"), device=device, **kw)


def _mattersim(device: str, **kw: Any) -> Calculator:
    _require("mattersim", "mattersim", "mattersim")
    _offline_guard("mattersim")
    from mattersim.forcefield import MatterSimCalculator

    return MatterSimCalculator(device=device, **kw)


def _orb(device: str, **kw: Any) -> Calculator:
    _require("orb_models", "orb", "orb")
    _offline_guard("orb")
    from orb_models.forcefield import pretrained
    from orb_models.forcefield.calculator import ORBCalculator

    model = getattr(pretrained, kw.pop("model", "orb_v3_conservative_inf_omat"))(device=device)
    return ORBCalculator(model, device=device, **kw)


def _xtb(device: str, **kw: Any) -> Calculator:
    del device
    if importlib.util.find_spec("tblite") is None:
        hint = " (an 'xtb' binary is on PATH, but ASE has no driver for it)" if shutil.which("xtb") else ""
        raise PotentialUnavailableError(f"potential 'xtb' needs tblite: pip install 'sselab[xtb]'{hint}")
    from tblite.ase import TBLite

    return TBLite(method=kw.pop("method", "GFN2-xTB"), **kw)


def _cp2k(device: str, **kw: Any) -> Calculator:
    del device
    shell = next((b for b in ("cp2k_shell", "cp2k_shell.psmp", "cp2k_shell.ssmp") if shutil.which(b)), None)
    plain = next(
        (b for b in ("cp2k", "cp2k.psmp", "cp2k.ssmp", "cp2k.popt", "cp2k.sopt") if shutil.which(b)), None
    )
    if shell is None and plain is None:
        raise PotentialUnavailableError("potential 'cp2k' needs the cp2k binary: apt-get install cp2k")
    from ase.calculators.cp2k import CP2K

    command = kw.pop("command", shell or f"{plain} --shell")  # `cp2k --shell` is what cp2k_shell runs
    return CP2K(command=command, **kw)


def _emt(device: str, **kw: Any) -> Calculator:
    del device
    from ase.calculators.emt import EMT

    return EMT(**kw)


_Factory = Callable[..., Calculator]
#: A function giving a fresh ASE calculator (NEB images and MD temperatures each get their own).
CalculatorFactory = Callable[[], Calculator]
_REGISTRY: dict[str, tuple[_Factory, str, str, bool]] = {
    "chgnet": (_chgnet_model("chgnet", "0.3.0"), "CHGNet 0.3.0 universal MLIP (MPtrj, PBE)", "chgnet", False),
    "chgnet-r2scan": (
        _chgnet_model("chgnet-r2scan", "r2scan"),
        "CHGNet transfer-learned on MP-r2SCAN",
        "chgnet",
        False,
    ),
    "sevennet": (
        _sevennet_model("sevennet", "7net-0"),
        "SevenNet-0 (7net-0, 11Jul2024) universal MLIP",
        "sevenn",
        False,
    ),
    "sevennet-l3i5": (
        _sevennet_model("sevennet-l3i5", "7net-l3i5"),
        "SevenNet-l3i5 (lmax 3, 5 layers)",
        "sevenn",
        False,
    ),
    "sevennet-mf-0-pbe": (
        _sevennet_model("sevennet-mf-0-pbe", "7net-mf-0", "PBE"),
        "SevenNet-MF-0, PBE modal",
        "sevenn",
        False,
    ),
    "sevennet-mf-0-r2scan": (
        _sevennet_model("sevennet-mf-0-r2scan", "7net-mf-0", "R2SCAN"),
        "SevenNet-MF-0, r2SCAN modal",
        "sevenn",
        False,
    ),
    "mace-mp": (_mace, "MACE-MP-0 medium universal MLIP", "mace", True),
    "mattersim": (_mattersim, "MatterSim v1 universal MLIP", "mattersim", True),
    "orb": (_orb, "Orb v3 universal MLIP", "orb_models", True),
    "xtb": (_xtb, "GFN2-xTB tight binding (tblite)", "tblite", False),
    "cp2k": (_cp2k, "CP2K DFT (ASE driver)", "cp2k binary", False),
    "emt": (_emt, "ASE effective-medium theory (tests)", "ase", False),
}


def _available(name: str, requirement: str) -> bool:
    if name == "cp2k":
        return any(shutil.which(b) for b in ("cp2k_shell", "cp2k", "cp2k.psmp", "cp2k.ssmp", "cp2k.popt"))
    return importlib.util.find_spec(requirement) is not None


def list_potentials() -> list[PotentialInfo]:
    """All registered potentials with whether their package/binary is installed here."""
    return [
        PotentialInfo(name, desc, req, _available(name, req), downloads)
        for name, (_, desc, req, downloads) in _REGISTRY.items()
    ]


def get_calculator(
    name: str = "chgnet", device: str | None = None, threads: int | None = None, **kw: Any
) -> Calculator:
    """An ASE calculator for the potential ``name`` (see the module docstring for the names).

    Parameters
    ----------
    name
        Registry name (case-insensitive).
    device
        ``"cpu"``, ``"cuda"``...; default from settings, else CUDA when available.
    threads
        torch CPU threads; default ``SSELAB_THREADS`` (unset: torch's default).
    **kw
        Passed to the calculator's constructor.
    """
    key = name.lower()
    if key not in _REGISTRY:
        raise PotentialUnavailableError(f"unknown potential {name!r}; choose one of {sorted(_REGISTRY)}")
    factory = _REGISTRY[key][0]
    _set_threads(threads)
    keep_freed_memory()  # freed tensors stay in the process: no page faults on every force call
    resolved = resolve_device(device)
    LOGGER.info("loading potential %s on %s", key, resolved)
    try:
        calc = factory(resolved, **kw)
    except PotentialUnavailableError:
        raise
    except (OSError, ImportError) as exc:
        raise PotentialUnavailableError(f"potential {name!r} could not be loaded: {exc}") from exc
    if getattr(calc, "sselab_identity", None) is None:
        module = type(calc).__module__.split(".")[0]
        attach_identity(
            calc,
            PotentialIdentity(
                name=key,
                model=str(kw.get("model", type(calc).__name__)),
                package=module,
                package_version=package_version(module),
                device=resolved,
            ),
        )
    return calc


def device_of(calculator: Calculator | None) -> str:
    """Where ``calculator`` computes: ``"cuda"`` for a torch model on a GPU, else ``"cpu"``.

    Looks at the calculator's ``device`` attribute (CHGNet, SevenNet, MACE keep one) and that of a wrapped
    calculator (a metadynamics bias).

    Example
    -------
    >>> device_of(get_calculator("emt"))
    'cpu'
    """
    for holder in (calculator, getattr(calculator, "calculator", None)):
        device = getattr(holder, "device", None) if holder is not None else None
        if device is not None and str(device).startswith("cuda"):
            return "cuda"
    return "cpu"
