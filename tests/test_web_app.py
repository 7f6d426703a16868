"""The web app's pages and exports against a store with the four public datasets, checked against direct
store queries (Starlette's test client; the browser tests are in test_web_browser.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient

from sselab.report.conductivity import HYDRIDE_FAMILIES
from sselab.store import open_store
from sselab.transport.frames import fit_material
from web_support import public_store_file, web_app


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Path:
    return public_store_file(tmp_path_factory)


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(web_app(store_path), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def frames(store_path: Path) -> dict[str, pd.DataFrame]:
    store = open_store(f"sqlite:///{store_path}")
    return {
        "materials": store.materials_frame(),
        "sigma": store.conductivity_frame(),
        "ea": store.activation_energy_frame(),
        "structures": store.structures_frame(),
    }


def _csv(response) -> pd.DataFrame:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text))


def test_divalent_hydrides_with_neutral_molecules_match_a_direct_query(client, frames) -> None:
    m = frames["materials"]
    expected = m[
        (m["valence"] == 2) & m["anion_family"].isin(HYDRIDE_FAMILIES) & m["neutral_molecule"].notna()
    ]
    table = _csv(
        client.get("/materials?valence=2&anion_family=all-hydrides&neutral=with&per_page=200&format=csv")
    )
    assert len(expected) > 20
    assert sorted(table["material_id"]) == sorted(expected["material_id"])
    assert (table["valence"] == 2).all() and table["neutral_molecule"].notna().all()
    exp = frames["ea"][(frames["ea"]["method"] == "experiment") & frames["ea"]["flag"].isna()]
    mean_ea = exp.groupby("material_id")["activation_energy_ev"].mean()
    got = table.set_index("material_id")["ea_experiment_ev"]
    assert np.allclose(got.sort_index(), mean_ea.reindex(got.index).sort_index(), equal_nan=True)
    html = client.get("/materials?valence=2&anion_family=all-hydrides&neutral=with").text
    assert f'data-total="{len(expected)}"' in html and "https://doi.org/" in html


def test_sorting_and_paging_cover_every_row_once(client, frames) -> None:
    counts = frames["sigma"].groupby("material_id").size()
    first = _csv(client.get("/materials?has_sigma=true&sort=n_sigma&order=desc&per_page=50&format=csv"))
    second = _csv(
        client.get("/materials?has_sigma=true&sort=n_sigma&order=desc&per_page=50&page=2&format=csv")
    )
    assert first["n_sigma"].iloc[0] == counts.max()
    assert list(first["n_sigma"]) == sorted(first["n_sigma"], reverse=True)
    assert first["n_sigma"].iloc[-1] >= second["n_sigma"].iloc[0]
    assert not set(first["material_id"]) & set(second["material_id"])
    total = json.loads(client.get("/materials?has_sigma=true&per_page=1&format=json").text)["total"]
    assert total == counts.size


def test_filters_on_formula_text_temperature_window_ea_range_and_structures(client, frames) -> None:
    m, sigma = frames["materials"], frames["sigma"]
    text = _csv(client.get("/materials?q=bh4&per_page=200&format=csv"))
    assert len(text) and text["formula"].str.contains("BH4", case=False).all()
    window = _csv(client.get("/materials?t_min=400&t_max=500&per_page=200&format=csv"))
    inside = sigma[(sigma["temperature_k"] >= 400) & (sigma["temperature_k"] <= 500)]["material_id"].unique()
    assert sorted(window["material_id"]) == sorted(inside)
    ranged = json.loads(
        client.get("/materials?ea_min=0.2&ea_max=0.3&cation=Li&per_page=200&format=json").text
    )
    values = [r["ea_experiment_ev"] for r in ranged["tables"]["materials"]]
    assert values and all(0.2 <= v <= 0.3 for v in values)
    with_cif = _csv(client.get("/materials?has_structure=true&per_page=200&format=csv"))
    assert set(with_cif["material_id"]) <= set(frames["structures"]["material_id"])
    assert with_cif["n_structures"].min() >= 1
    datasets = _csv(client.get("/materials?dataset=obelix&per_page=5&format=csv"))
    assert (datasets["dataset"] == "obelix").all() and m["dataset"].eq("obelix").sum() > 5


def test_material_page_fits_are_those_of_sselab_transport(client, frames) -> None:
    sigma = frames["sigma"]
    material_id = int(sigma.groupby("material_id").size().idxmax())
    points = sigma[sigma["material_id"] == material_id]
    fits, _ = fit_material(points, points["formula"].iloc[0])
    page = json.loads(client.get(f"/material/{material_id}?format=json").text)
    table = pd.DataFrame(page["tables"]["fits"])
    assert len(table) == len(fits)
    by_doi = {f.doi: f.fit for f in fits}
    for row in table.itertuples():
        fit = by_doi[row.doi]
        assert row.ea_ev == pytest.approx(fit.activation_energy_ev)
        assert row.stderr_ev == pytest.approx(fit.stderr_ev)
        assert (row.ci95_low_ev, row.ci95_high_ev) == pytest.approx(fit.ci95_ev)
        assert row.r_squared == pytest.approx(fit.r_squared)
    assert len(page["tables"]["sigma"]) == len(points)
    html = client.get(f"/material/{material_id}").text
    assert f"{fits[0].fit.activation_energy_ev:.3f} ± {fits[0].fit.stderr_ev:.3f}" in html
    assert 'id="arrhenius"' in html and "/static/plotly.min.js" in html


def test_material_python_snippet_reproduces_the_fits(client, frames, store_path, tmp_path) -> None:
    sigma = frames["sigma"]
    material_id = int(sigma.groupby("material_id").size().idxmax())
    code = client.get(f"/material/{material_id}?format=py").text
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    fits = pd.DataFrame(json.loads(client.get(f"/material/{material_id}?format=json").text)["tables"]["fits"])
    for row in fits.itertuples():
        assert f"Ea = {row.ea_ev:.3f} ± {row.stderr_ev:.3f} eV" in run.stdout
    assert (tmp_path / f"arrhenius_material_{material_id}.png").stat().st_size > 10_000


def test_material_page_of_a_divalent_hydride_shows_its_composition_and_ea(client, frames) -> None:
    m = frames["materials"]
    row = m[(m["formula"] == "Mg(BH4)2-1.6NH3") & (m["dataset"] == "wang2025-ea")].iloc[0]
    html = client.get(f"/material/{int(row.material_id)}").text
    assert "Mg (2+)" in html and "NH3" in html and "nido-borane" in html
    assert "No σ(T) points stored" in html
    ea = frames["ea"][frames["ea"]["material_id"] == row.material_id]
    for value in ea["activation_energy_ev"]:
        assert f"{value:.3f}" in html
    exported = _csv(client.get(f"/material/{int(row.material_id)}?format=csv&table=ea"))
    assert sorted(exported["ea_id"]) == sorted(ea["ea_id"])


def test_cif_download_is_the_stored_text(client, frames) -> None:
    structure = frames["structures"].iloc[0]
    response = client.get(f"/structure/{int(structure.structure_id)}.cif")
    assert response.status_code == 200 and response.text == structure.cif
    assert "attachment" in response.headers["content-disposition"]
    html = client.get(f"/material/{int(structure.material_id)}").text
    assert f"/structure/{int(structure.structure_id)}.cif" in html


def test_arrhenius_overlay_exports_the_points_of_the_chosen_materials(client, frames) -> None:
    sigma = frames["sigma"]
    ids = [int(i) for i in sigma.groupby("material_id").size().nlargest(3).index]
    query = "&".join(f"id={i}" for i in ids)
    points = _csv(client.get(f"/compare/arrhenius?{query}&format=csv&table=points"))
    assert sorted(points["measurement_id"]) == sorted(sigma[sigma["material_id"].isin(ids)]["measurement_id"])
    fits = _csv(client.get(f"/compare/arrhenius?{query}&format=csv&table=fits"))
    assert sorted(fits["material_id"]) == sorted(ids)
    assert 'id="overlay"' in client.get(f"/compare/arrhenius?{query}").text


def test_models_screening_and_ask_pages_without_optional_data(client) -> None:
    assert "No models stored" in client.get("/models").text
    assert "No screening results stored" in client.get("/screening").text
    ask = client.get("/ask?q=are+computed+barriers+close+to+experiment")
    assert ask.status_code == 200 and "No LLM endpoint is configured" in ask.text
    assert ask.text.index("methods-vs-experiment") < ask.text.index("neutral-molecules")
    recipe = client.get("/ask/recipe/neutral-molecules?valence=2")
    assert recipe.status_code == 200 and 'id="summary"' in recipe.text
    assert "data:image/png;base64," in recipe.text and "https://doi.org/" in recipe.text
    assert client.get("/ask/recipe/neutral-molecules?valence=9").status_code == 400


def test_plotly_is_served_locally(client) -> None:
    from plotly.offline import get_plotlyjs

    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200 and response.text == get_plotlyjs()
    assert "cdn" not in client.get("/material/1").text.lower()
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_filter_values_reach_the_database_only_as_bound_parameters(store_path, monkeypatch) -> None:
    from sselab.assistant.access import open_readonly_store
    from sselab.store import browse

    seen: list[tuple[str, object]] = []
    real = browse.readonly_query

    def spy(store, sql, *args, params=None, **kwargs):
        seen.append((sql, params))
        return real(store, sql, *args, params=params, **kwargs)

    monkeypatch.setattr(browse, "readonly_query", spy)
    store = open_readonly_store(f"sqlite:///{store_path}")
    hostile = browse.MaterialQuery(text="O'Brien%_", dataset="x' OR '1'='1", cation="Mg")
    assert browse.materials_page(store, hostile).total == 0
    assert seen and all("Brien" not in sql and "'1'" not in sql for sql, _ in seen)
    assert any("%O'Brien\\%\\_%" in list(params or []) for _, params in seen)
    literal = browse.materials_page(store, browse.MaterialQuery(text="La0_5"))
    assert literal.total == 0 < browse.materials_page(store, browse.MaterialQuery(text="La0.5")).total
