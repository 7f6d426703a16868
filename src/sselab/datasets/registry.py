"""Registry of the named public datasets: canonical URL pinned to a commit, sha256, licence and citation.

Example::

    >>> from sselab.datasets.registry import get_dataset
    >>> get_dataset("obelix").files[0].mirror_path
    'obelix/all.csv'
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sselab.errors import DatasetError

_RAW = "https://raw.githubusercontent.com"
_WANG_REPO = "qianwangfe/Data-Driven-Framework-for-Divalent-Electrolytes"
_WANG_COMMIT = "0d6b2f6521088d15050e812381995ea8892e0842"
_OBELIX_REPO = "NRC-Mila/OBELiX"
_OBELIX_COMMIT = "4eaac889809dd489e3bae468c45d5c0e02b9147a"


def raw_github_url(repo: str, commit: str, path: str) -> str:
    """Return GitHub's raw-file address of ``path`` in ``repo`` at ``commit`` (spaces URL-encoded)."""
    return f"{_RAW}/{repo}/{commit}/{quote(path)}"


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset.

    Attributes
    ----------
    canonical_url
        Raw-file address pinned to a commit.
    mirror_path
        Path of the file relative to a mirror folder (``SSELAB_DATA_MIRROR``) and to the cache folder.
    sha256
        Expected SHA-256 of the file (hex), checked on every fetch.
    size
        Expected size (bytes).
    """

    canonical_url: str
    mirror_path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class DatasetInfo:
    """A named public dataset.

    Attributes
    ----------
    name
        Registry name, e.g. ``"wang2025-ea"``.
    files
        Its files; the first one is the primary table.
    licence, citation, description
        As stated by the publishers.
    """

    name: str
    files: tuple[DatasetFile, ...]
    licence: str
    citation: str
    description: str

    @property
    def primary(self) -> DatasetFile:
        """The main table of the dataset (the first file)."""
        return self.files[0]


_OBELIX_CITATION = (
    "F. Therrien et al., OBELiX: A Curated Dataset of Crystal Structures and Experimentally Measured Ionic "
    "Conductivities for Lithium Solid-State Electrolytes, arXiv:2502.14234 (2025); repository NRC-Mila/OBELiX"
)

_DATASETS: tuple[DatasetInfo, ...] = (
    DatasetInfo(
        name="wang2025-ea",
        files=(
            DatasetFile(
                canonical_url=raw_github_url(_WANG_REPO, _WANG_COMMIT, "Supplementary Dataset-1.xlsx"),
                mirror_path="wang2025/supplementary_dataset_1.xlsx",
                sha256="98adb121ebd0e889e1f8c468a2c16a470c2634e38d5f90872303e00cc88122a4",
                size=22968,
            ),
        ),
        licence="published with the article (CC BY-NC 4.0 article); cite the paper",
        citation=(
            "Q. Wang, F. Yang, Y. Wang, D. Zhang, R. Sato, L. Zhang, E. J. Cheng, Y. Yan, Y. Chen, K. Kisu, "
            "S. Orimo, H. Li, Unraveling the Complexity of Divalent Hydride Electrolytes in Solid-State "
            "Batteries via a Data-Driven Framework with Large Language Model, Angew. Chem. Int. Ed. 2025, "
            "Supplementary Dataset 1"
        ),
        description=(
            "Experimental activation energies (eV) of hydride solid electrolytes (Li, Na, K, Mg, Ca, Zn) "
            "with DOI, valence, classification and a low-/high-temperature phase flag, as compiled by the "
            "seed paper."
        ),
    ),
    DatasetInfo(
        name="wang2025-candidates",
        files=(
            DatasetFile(
                canonical_url=raw_github_url(_WANG_REPO, _WANG_COMMIT, "Supplementary Dataset 2.xlsx"),
                mirror_path="wang2025/supplementary_dataset_2.xlsx",
                sha256="bca0ca761c6c98a292f879cc72bdb28ccc79fffc97dddde10cf2c8065279380d",
                size=33759,
            ),
        ),
        licence="published with the article (CC BY-NC 4.0 article); cite the paper",
        citation=(
            "Q. Wang, F. Yang, Y. Wang, D. Zhang, R. Sato, L. Zhang, E. J. Cheng, Y. Yan, Y. Chen, K. Kisu, "
            "S. Orimo, H. Li, Unraveling the Complexity of Divalent Hydride Electrolytes in Solid-State "
            "Batteries via a Data-Driven Framework with Large Language Model, Angew. Chem. Int. Ed. 2025, "
            "Supplementary Dataset 2"
        ),
        description=(
            "The 558 screened divalent candidates of the seed paper's Figure 4a: formula, the combined "
            "descriptor x and the Ea (eV) predicted on line y1 (boranes) or y2 (carbon-containing)."
        ),
    ),
    DatasetInfo(
        name="obelix",
        files=(
            DatasetFile(
                canonical_url=raw_github_url(_OBELIX_REPO, _OBELIX_COMMIT, "data/downloads/all.csv"),
                mirror_path="obelix/all.csv",
                sha256="54f6265ef84d16a919d08c6815f14b0fd7465fa00090bee2511c16c042e57f3c",
                size=114856,
            ),
            DatasetFile(
                canonical_url=raw_github_url(_OBELIX_REPO, _OBELIX_COMMIT, "data/downloads/all_cifs.zip"),
                mirror_path="obelix/all_cifs.zip",
                sha256="90f54f781fe6c4ba014636046556ec66c3bfa909b617e7258ff50ac3dcfa027c",
                size=292449,
            ),
        ),
        licence="CC BY 4.0",
        citation=_OBELIX_CITATION,
        description=(
            "599 Li solid electrolytes with room-temperature ionic conductivity (S/cm), space group, lattice "
            "parameters, family and DOI; 321 CIFs (positions randomised by the authors, symmetry kept)."
        ),
    ),
    DatasetInfo(
        name="liverpool-ionics",
        files=(
            DatasetFile(
                canonical_url=raw_github_url(_OBELIX_REPO, _OBELIX_COMMIT, "data/misc/LiIonDatabase.csv"),
                mirror_path="liverpool/LiIonDatabase.csv",
                sha256="d24ed972b88c3aba14194b6f9347fb3c8e8f9249b82fec22d961e709c1c06e5d",
                size=75093,
            ),
        ),
        licence="CC BY 4.0 (as redistributed in OBELiX)",
        citation=(
            "C. J. Hargreaves et al., A database of experimentally measured lithium solid electrolyte "
            "conductivities evaluated with machine learning, npj Comput. Mater. 9, 9 (2023), "
            "doi:10.1038/s41524-022-00951-z; file as redistributed in NRC-Mila/OBELiX"
        ),
        description=(
            "Liverpool Ionics Dataset: 820 Li conductivity measurements (composition, temperature, S/cm)."
        ),
    ),
    DatasetInfo(
        name="laskowski2023",
        files=(
            DatasetFile(
                canonical_url=raw_github_url(
                    _OBELIX_REPO, _OBELIX_COMMIT, "data/misc/laskowski_semi-fromatted.csv"
                ),
                mirror_path="liverpool/laskowski2023_semi_formatted.csv",
                sha256="606926c22779b71b82d98f833cfde8e31d540739decee3ff872f779902f75e61",
                size=69845,
            ),
        ),
        licence="CC BY 4.0 (as redistributed in OBELiX)",
        citation=(
            "F. A. L. Laskowski, D. B. McHaffie, K. A. See, Identification of potential solid-state Li-ion "
            "conductors with semi-supervised learning, Energy Environ. Sci. 16, 1264 (2023), "
            "doi:10.1039/D2EE03499A; table as extracted from the PDF by the OBELiX authors"
        ),
        description=(
            "Room-temperature conductivity and Ea of Li conductors (Laskowski et al. 2023 table), "
            "semi-formatted: "
            "stray characters, '<1E-10' bounds and records broken over several lines."
        ),
    ),
)

_BY_NAME = {info.name: info for info in _DATASETS}


def list_datasets() -> list[DatasetInfo]:
    """Return every registered dataset, in registry order."""
    return list(_DATASETS)


def get_dataset(name: str) -> DatasetInfo:
    """Return the dataset called ``name``.

    Raises
    ------
    DatasetError
        When no dataset has that name (the message lists the known names).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None
