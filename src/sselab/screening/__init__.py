"""Screening of candidate electrolytes: enumerate a space, predict Ea with fitted models, rank, export, store.

>>> from sselab.screening import paper_space, enumerate_candidates
>>> paper_space().size
450
"""

from __future__ import annotations

from sselab.screening.enumerate import Candidates, candidate_formulas, enumerate_candidates
from sselab.screening.screen import CRITERIA, ScreeningResult, route_mask, screen
from sselab.screening.space import (
    PAPER_HIGHLIGHTS,
    PAPER_SPACE,
    CandidateSpace,
    Component,
    Route,
    paper_space,
)

__all__ = [
    "CRITERIA",
    "PAPER_HIGHLIGHTS",
    "PAPER_SPACE",
    "CandidateSpace",
    "Candidates",
    "Component",
    "Route",
    "ScreeningResult",
    "candidate_formulas",
    "enumerate_candidates",
    "paper_space",
    "route_mask",
    "screen",
]
