"""Reference crystal structures used by the simulation acceptance runs and the hydride benchmark.

Two experimental structures, each built from its published space group, lattice parameters and Wyckoff
positions with pymatgen: the low-temperature (orthorhombic, Pnma) phase of LiBH4, the real hydride on which
sselab compares metadynamics, CI-NEB and MD-Arrhenius barriers, and tetragonal NaAlH4 (I4_1/a).

Example
-------
>>> from sselab.simulate.reference import libh4_pnma
>>> atoms = libh4_pnma()
>>> len(atoms), atoms.get_chemical_formula()
(24, 'H16B4Li4')
"""

from __future__ import annotations

from pathlib import Path

from ase import Atoms
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.cif import CifWriter

#: Lattice parameters of LT-LiBH4 (Å), Soulié et al., J. Alloys Compd. 346 (2002) 200, X-ray data at 225 K.
LIBH4_PNMA_LATTICE_A: tuple[float, float, float] = (7.17858, 4.43686, 6.80321)

#: Asymmetric unit of LT-LiBH4 (fractional coordinates), same source: Li 4c, B 4c, H1 4c, H2 4c, H3 8d.
LIBH4_PNMA_SITES: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("Li", (0.1568, 0.25, 0.1015)),
    ("B", (0.3040, 0.25, 0.4305)),
    ("H", (0.900, 0.25, 0.956)),
    ("H", (0.404, 0.25, 0.280)),
    ("H", (0.172, 0.054, 0.428)),
)

#: Where the numbers above come from.
LIBH4_PNMA_SOURCE = (
    "J.-Ph. Soulié, G. Renaudin, R. Černý, K. Yvon, 'Lithium boro-hydride LiBH4: I. Crystal structure', "
    "J. Alloys Compd. 346 (2002) 200-205, doi:10.1016/S0925-8388(02)00521-2 (synchrotron X-ray powder, 225 K)"
)


def libh4_pnma() -> Atoms:
    """Build the conventional cell of low-temperature LiBH4 (Pnma, No. 62, Z = 4, 24 atoms).

    Lattice parameters a = 7.17858, b = 4.43686, c = 6.80321 Å and the Wyckoff positions Li 4c, B 4c, H1
    4c, H2 4c,
    H3 8d are those refined by Soulié et al., J. Alloys Compd. 346 (2002) 200 (see
    :data:`LIBH4_PNMA_SOURCE`); the
    orbit is expanded with pymatgen's ``Structure.from_spacegroup``. As published, the BH4 tetrahedra are
    distorted
    (B–H 1.04–1.29 Å, X-ray positions of H); the shortest Li–B distance is 2.48 Å.

    Returns
    -------
    ase.Atoms
        24 atoms (Li4B4H16), periodic, cell in Å.
    """
    a, b, c = LIBH4_PNMA_LATTICE_A
    species = [symbol for symbol, _ in LIBH4_PNMA_SITES]
    coords = [list(frac) for _, frac in LIBH4_PNMA_SITES]
    structure = Structure.from_spacegroup("Pnma", Lattice.orthorhombic(a, b, c), species, coords)
    structure = structure.get_sorted_structure()
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.info["source"] = LIBH4_PNMA_SOURCE
    return atoms


#: Lattice parameters of NaAlH4 (Å): neutron powder diffraction of NaAlD4 at 295 K, Hauback et al. 2003.
NAALH4_I41A_LATTICE_A: tuple[float, float] = (5.0119, 11.3147)

#: Asymmetric unit of NaAlH4 (fractional coordinates) in pymatgen's setting of I4_1/a (origin choice 1):
#: Na 4a, Al 4b, H 16f. The source gives them in origin choice 2 (Na 4a (0, 1/4, 1/8), Al 4b (0, 1/4, 5/8),
#: D 16f (0.2371, 0.3867, 0.5454)); the shift (0, 1/4, 1/8) to origin choice 1 was applied here.
NAALH4_I41A_SITES: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("Na", (0.0, 0.0, 0.0)),
    ("Al", (0.0, 0.0, 0.5)),
    ("H", (0.2371, 0.6367, 0.6704)),
)

#: Where the numbers above come from.
NAALH4_I41A_SOURCE = (
    "B. C. Hauback, H. W. Brinks, C. M. Jensen, K. Murphy, A. J. Maeland, 'Neutron diffraction structure "
    "determination of NaAlD4', J. Alloys Compd. 358 (2003) 142-145 (neutron powder, NaAlD4, 295 K; D sites "
    "taken for H). Entered by hand from the publication: checked here only by its geometry (Al-H 1.64 Å "
    "x 4, H-Al-H 107.5/113.4 degrees, Na-H 2.42/2.43 Å x 8)"
)


def naalh4_i41a() -> Atoms:
    """Build the conventional cell of tetragonal NaAlH4 (I4_1/a, No. 88, Z = 4, 24 atoms).

    Lattice parameters a = 5.0119, c = 11.3147 Å and the Wyckoff positions Na 4a, Al 4b, H 16f of
    :data:`NAALH4_I41A_SITES` (see :data:`NAALH4_I41A_SOURCE`), expanded with pymatgen's
    ``Structure.from_spacegroup``: isolated AlH4 tetrahedra (Al–H 1.64 Å) with each Na surrounded by eight H
    at 2.42–2.43 Å.

    Returns
    -------
    ase.Atoms
        24 atoms (Na4Al4H16), periodic, cell in Å.

    Example
    -------
    >>> atoms = naalh4_i41a()
    >>> len(atoms), atoms.get_chemical_formula()
    (24, 'H16Al4Na4')
    """
    a, c = NAALH4_I41A_LATTICE_A
    species = [symbol for symbol, _ in NAALH4_I41A_SITES]
    coords = [list(frac) for _, frac in NAALH4_I41A_SITES]
    structure = Structure.from_spacegroup("I4_1/a", Lattice.tetragonal(a, c), species, coords)
    atoms = AseAtomsAdaptor.get_atoms(structure.get_sorted_structure())
    atoms.info["source"] = NAALH4_I41A_SOURCE
    return atoms


def write_libh4_pnma_cif(path: str | Path) -> Path:
    """Write :func:`libh4_pnma` as a CIF file (symmetrised, space group Pnma) and return its path.

    Parameters
    ----------
    path
        Destination file; parent folders are created.
    """
    destination = Path(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    structure = AseAtomsAdaptor.get_structure(libh4_pnma())
    CifWriter(structure, symprec=0.01).write_file(str(destination))
    return destination
