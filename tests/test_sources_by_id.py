"""Points from sources cited without a DOI are grouped by source, not lumped together: the Arrhenius fits of
``sselab.transport``, the ``sselab arrhenius`` listing and the web material page show one entry per source.

Before, every point without a DOI fell into one group ("-" / "no DOI"), so two papers cited by text were
fitted as one series.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, SourceRecord, open_store
from sselab.transport import BOLTZMANN_EV_PER_K
from sselab.transport.frames import fit_material
from sselab.web.analysis import source_fits, source_groups

FORMULA = "Mg(BH4)2·1.5NH3"
#: (source, Ea in eV, temperatures in K): two sources cited by text only and one with a DOI.
SERIES = (
    (SourceRecord(None, "Smith et al. 2020"), 0.50, (300.0, 320.0, 340.0, 360.0)),
    (SourceRecord(None, "Jones et al. 2021"), 0.80, (310.0, 330.0, 350.0)),
    (SourceRecord(doi="10.1000/with-doi"), 0.65, (300.0, 330.0, 360.0)),
)


def _sigma(ea_ev: float, temperature_k: float) -> float:
    return 1e5 / temperature_k * float(np.exp(-ea_ev / (BOLTZMANN_EV_PER_K * temperature_k)))


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    material = MaterialRecord.from_formula(FORMULA, dataset="t")
    records = [
        ConductivityRecord(
            material, t, _sigma(ea, t), source=source, dataset="t", row_number=len(SERIES) * i + j
        )
        for i, (source, ea, temperatures) in enumerate(SERIES)
        for j, t in enumerate(temperatures)
    ]
    with open_store(f"sqlite:///{path}") as store:
        store.import_batch(ImportBatch("t", "ab" * 32, "t.csv", conductivities=records))
    return path


def _frame(path: Path) -> pd.DataFrame:
    with open_store(f"sqlite:///{path}") as store:
        return store.conductivity_frame()


def test_each_source_is_its_own_fit(store_file: Path) -> None:
    frame = _frame(store_file)
    assert frame["source_id"].nunique() == 3 and frame["doi"].isna().sum() == 7
    fits, skipped = fit_material(frame, FORMULA)
    assert skipped == []
    by_source = {item.source_label: item for item in fits}
    assert set(by_source) == {"Smith et al. 2020", "Jones et al. 2021", "10.1000/with-doi"}
    for source, ea, temperatures in SERIES:
        item = by_source[source.doi or source.citation]
        assert item.fit.activation_energy_ev == pytest.approx(ea, abs=1e-9)
        assert item.fit.n_points == len(temperatures)
    assert len({item.source_id for item in fits}) == 3 and None not in {item.source_id for item in fits}
    # a frame without source ids (a table of one's own) falls back to the DOI, else the citation
    plain, _ = fit_material(frame.drop(columns=["source_id"]), FORMULA)
    assert sorted(item.source_label or "" for item in plain) == sorted(by_source)


def test_arrhenius_lists_one_row_per_source(store_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["arrhenius", FORMULA, "--db", str(store_file), "--out", str(tmp_path / "o")],
        env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"},
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    assert len(rows) == 3, result.output
    for source, ea, temperatures in SERIES:
        (row,) = [line for line in rows if (source.doi or source.citation or "?") in line]
        assert f"{ea:.3f} ± 0.000" in row and f"│ {len(temperatures)} " in row
    summary = json.loads((tmp_path / "o" / "arrhenius_Mg_BH4_2_1.5NH3.json").read_text(encoding="utf-8"))
    assert sorted(str(s["citation"]) for s in summary) == ["Jones et al. 2021", "None", "Smith et al. 2020"]


def test_the_web_material_page_shows_one_fit_and_one_colour_per_source(store_file: Path) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    from starlette.testclient import TestClient

    from web_support import web_app

    frame = _frame(store_file)
    groups = source_groups(frame)
    assert [label for label, _ in groups] == ["10.1000/with-doi", "Jones et al. 2021", "Smith et al. 2020"]
    assert [len(points) for _, points in groups] == [3, 3, 4]
    fits = source_fits(frame, FORMULA)
    assert sorted(fits.table["citation"].fillna("-")) == ["-", "Jones et al. 2021", "Smith et al. 2020"]
    material_id = int(frame["material_id"].iloc[0])
    client = TestClient(web_app(store_file), raise_server_exceptions=False)
    page = json.loads(client.get(f"/material/{material_id}?format=json").text)
    table = pd.DataFrame(page["tables"]["fits"])
    assert len(table) == 3 and table["source_id"].nunique() == 3
    html = client.get(f"/material/{material_id}").text
    fits_table = html[html.index('id="fits"') : html.index("</table>", html.index('id="fits"'))]
    assert fits_table.count("<tr><td>") == 3 and "no DOI" not in fits_table
    assert "Smith et al. 2020" in fits_table and "Jones et al. 2021" in fits_table
