"""The web app over PostgreSQL (slow: a throw-away server, as in test_store_postgres.py): the same pages and
exports, the browse queries compiled for psycopg's named parameters, the server left unchanged.

Run with ``.venv/bin/pytest -m slow tests/test_web_postgres.py``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient

from sselab.assistant.access import open_readonly_store
from sselab.datasets import import_dataset
from sselab.report.conductivity import HYDRIDE_FAMILIES
from sselab.store import open_store
from sselab.web import create_app
from test_store_postgres import pg_url  # noqa: F401  (the server fixture)

pytestmark = pytest.mark.slow


def test_pages_on_postgresql_match_the_store(pg_url: str, dataset_mirror: Path) -> None:  # noqa: F811
    store = open_store(pg_url)
    for name in ("wang2025-ea", "liverpool-ionics", "wang2025-candidates"):
        import_dataset(name, store, progress=False)
    before = store.stats()
    materials, sigma = store.materials_frame(), store.conductivity_frame()
    client = TestClient(create_app(open_readonly_store(pg_url)), raise_server_exceptions=False)
    table = pd.read_csv(
        io.StringIO(
            client.get(
                "/materials?valence=2&anion_family=all-hydrides&neutral=with&per_page=200&format=csv"
            ).text
        )
    )
    expected = materials[
        (materials["valence"] == 2)
        & materials["anion_family"].isin(HYDRIDE_FAMILIES)
        & materials["neutral_molecule"].notna()
    ]
    assert len(expected) > 20 and sorted(table["material_id"]) == sorted(expected["material_id"])
    found = json.loads(client.get("/materials?q=la0.5&per_page=5&sort=n_sigma&order=desc&format=json").text)
    assert found["total"] > 0 and "La0.5" in found["tables"]["materials"][0]["formula"]
    material_id = int(sigma.groupby("material_id").size().idxmax())
    page = json.loads(client.get(f"/material/{material_id}?format=json").text)
    assert len(page["tables"]["sigma"]) == int((sigma["material_id"] == material_id).sum())
    assert page["tables"]["fits"] and page["material"]["composition"]
    assert client.get("/materials?q=" + "x;y").status_code == 400
    assert client.get("/compare/benchmark").status_code == 200
    screening = json.loads(client.get("/screening?run=wang2025-candidates&route=y2&format=json").text)
    direct = store.screening_frame(run="wang2025-candidates", route="y2")
    assert screening["total"] == len(direct) == 288
    shown = pd.DataFrame(screening["tables"]["predictions"])
    assert shown["candidate_formula"].tolist() == direct["candidate_formula"].head(100).tolist()
    assert shown["activation_energy_ev"].tolist() == direct["activation_energy_ev"].head(100).tolist()
    assert screening["tables"]["runs"][0]["routes"] == "y1 (270), y2 (288)"
    models = pd.read_csv(io.StringIO(client.get("/models?format=csv").text)).set_index("name")
    assert models.loc["wang2025-y1", "origin"] == "published"
    assert models.loc["wang2025-y1", "slope"] == store.load_model_fit("wang2025-y1")["coef"][0]
    assert store.stats() == before
