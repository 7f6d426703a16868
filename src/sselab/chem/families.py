"""Anion families and other component families used by :mod:`sselab.chem`.

The families of ``docs/architecture.md`` plus ``nido-carborane`` and the simple anions of the inorganic
(oxide, sulfide, ...) electrolytes of the Liverpool and OBELiX sets, so that those are not all lumped
into ``other``.
"""

from __future__ import annotations

NIDO_BORANE = "nido-borane"  # BH4-, B11H14-, B11H13 2-
ARACHNO_BORANE = "arachno-borane"  # B3H8-
CLOSO_BORANE = "closo-borane"  # BnHn 2- (B10H10, B12H12), halogenated / hydroxylated cages, linked cages
CLOSO_CARBORANE = "closo-carborane"  # CB9H10-, CB11H12-
NIDO_CARBORANE = "nido-carborane"  # 7-CB10H13-, 7,8-C2B9H12-
AMIDE = "amide"  # NH2-
IMIDE = "imide"  # NH 2-
HALIDE = "halide"  # F-, Cl-, Br-, I-
HYDRIDE = "hydride"  # H-
ALANATE = "alanate"  # AlH4-, AlH6 3-
AMIDOBORANE = "amidoborane"  # NH2BH3-
HYDROXIDE = "hydroxide"  # OH-
OXIDE = "oxide"  # O 2-
SULFIDE = "sulfide"  # S 2-, Se 2-, Te 2-
NITRIDE = "nitride"  # N 3-
OTHER = "other"  # any other polyatomic anion (PO4, PS4, BO3, ...)

NEUTRAL_MOLECULE = "neutral-molecule"

ANION_FAMILIES: tuple[str, ...] = (
    NIDO_BORANE,
    ARACHNO_BORANE,
    CLOSO_BORANE,
    CLOSO_CARBORANE,
    NIDO_CARBORANE,
    AMIDE,
    IMIDE,
    HALIDE,
    HYDRIDE,
    ALANATE,
    AMIDOBORANE,
    HYDROXIDE,
    OXIDE,
    SULFIDE,
    NITRIDE,
    OTHER,
)

#: Families of the boron-hydrogen cage anions (the hydride electrolytes of the seed paper).
BORON_CLUSTER_FAMILIES: frozenset[str] = frozenset(
    {NIDO_BORANE, ARACHNO_BORANE, CLOSO_BORANE, CLOSO_CARBORANE, NIDO_CARBORANE}
)
