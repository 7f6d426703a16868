"""``sselab serve`` in a real headless browser (Debian chromium driven by Playwright) over a store with the
four public datasets and the paper's screening candidates: filter the materials table, open material pages,
see the Arrhenius plot drawn, filter the screening predictions, export CSV and compare it with direct store
queries. Skipped, with the reason, when chromium or playwright is
missing (``.ci/run`` installs chromium; ``make test`` installs playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sselab.report.conductivity import HYDRIDE_FAMILIES
from sselab.store import open_store
from web_support import CHROMIUM, CHROMIUM_ARGS, browser_or_skip, live_server, screening_store_file

POINTS_JS = """id => document.getElementById(id).data
    .filter(t => t.meta && t.meta.kind === 'points').reduce((n, t) => n + t.x.length, 0)"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Path:
    return screening_store_file(tmp_path_factory)


@pytest.fixture(scope="module")
def frames(store_path: Path) -> dict[str, pd.DataFrame]:
    store = open_store(f"sqlite:///{store_path}")
    return {
        "materials": store.materials_frame(),
        "sigma": store.conductivity_frame(),
        "ea": store.activation_energy_frame(),
        "screening": store.screening_frame(),
    }


@pytest.fixture(scope="module")
def base_url(store_path: Path) -> Iterator[str]:
    with live_server(store_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _filter_divalent_hydrides_with_neutral(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/materials")
    page.select_option("select[name=valence]", "2")
    page.select_option("select[name=anion_family]", "all-hydrides")
    page.select_option("select[name=neutral]", "with")
    page.click("#apply")
    page.wait_for_url("**/materials?*valence=2*")


def _expected_divalent(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = frames["materials"]
    return m[(m["valence"] == 2) & m["anion_family"].isin(HYDRIDE_FAMILIES) & m["neutral_molecule"].notna()]


def _non_blank(png: Path) -> tuple[int, float]:
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    colours = len(np.unique(pixels, axis=0))
    inked = float(np.mean(pixels.min(axis=1) < 200))
    return colours, inked


def test_filter_to_divalent_hydrides_with_neutral_molecules(page: Any, base_url: str, frames) -> None:
    _filter_divalent_hydrides_with_neutral(page, base_url)
    expected = _expected_divalent(frames)
    assert int(page.get_attribute("#total", "data-total")) == len(expected)
    rows = page.locator("#materials tbody tr")
    assert rows.count() == len(expected)
    shown = sorted(int(rows.nth(i).get_attribute("data-material-id")) for i in range(rows.count()))
    assert shown == sorted(expected["material_id"])


def test_open_a_divalent_hydride_page_from_the_table(page: Any, base_url: str, frames) -> None:
    _filter_divalent_hydrides_with_neutral(page, base_url)
    link = page.locator("#materials tbody tr a.material-link").first
    formula = link.inner_text()
    link.click()
    page.wait_for_selector("#formula")
    assert page.inner_text("#formula") == formula
    material_id = int(page.url.rsplit("/", 1)[-1])
    ea = frames["ea"][frames["ea"]["material_id"] == material_id]
    assert page.locator("#activation-energies tbody tr").count() == len(ea) > 0
    assert "nido-borane" in page.inner_text(".composition") or "carborane" in page.inner_text(".composition")


def test_material_page_draws_the_arrhenius_plot(page: Any, base_url: str, frames, tmp_path: Path) -> None:
    page.goto(f"{base_url}/materials?has_sigma=true&sort=n_sigma&order=desc")
    page.locator("#materials tbody tr a.material-link").first.click()
    page.wait_for_selector("#arrhenius[data-rendered=true]", timeout=30_000)
    material_id = int(page.url.rsplit("/", 1)[-1])
    stored = frames["sigma"][frames["sigma"]["material_id"] == material_id]
    assert page.evaluate(POINTS_JS, "arrhenius") == len(stored) >= 10
    assert page.locator("#arrhenius .scatterlayer .point").count() == len(stored)
    shot = tmp_path / "arrhenius.png"
    page.locator("#arrhenius").screenshot(path=str(shot))
    colours, inked = _non_blank(shot)
    assert colours > 50 and inked > 0.01, (colours, inked)
    assert page.locator("#fits tbody tr").count() == stored["doi"].nunique()


def test_csv_export_of_the_filtered_table_matches_the_store(page: Any, base_url: str, frames) -> None:
    _filter_divalent_hydrides_with_neutral(page, base_url)
    with page.expect_download() as download:
        page.click("a.export-csv")
    table = pd.read_csv(download.value.path())
    expected = _expected_divalent(frames).set_index("material_id")
    assert sorted(table["material_id"]) == sorted(expected.index)
    table = table.set_index("material_id").loc[expected.index]
    assert (table["formula"] == expected["formula"]).all()
    assert np.allclose(table["neutral_count"], expected["neutral_count"])
    exp = frames["ea"][(frames["ea"]["method"] == "experiment") & frames["ea"]["flag"].isna()]
    mean_ea = exp.groupby("material_id")["activation_energy_ev"].mean().reindex(expected.index)
    assert np.allclose(table["ea_experiment_ev"], mean_ea, equal_nan=True)


def test_csv_export_of_a_material_page_matches_its_points(page: Any, base_url: str, frames) -> None:
    material_id = int(frames["sigma"].groupby("material_id").size().idxmax())
    page.goto(f"{base_url}/material/{material_id}")
    with page.expect_download() as download:
        page.click("a.export-csv[data-table=sigma]")
    points = pd.read_csv(download.value.path())
    stored = frames["sigma"][frames["sigma"]["material_id"] == material_id]
    merged = points.merge(stored, on="measurement_id", suffixes=("", "_store"))
    assert len(merged) == len(points) == len(stored)
    assert np.allclose(merged["conductivity_s_per_cm"], merged["conductivity_s_per_cm_store"])
    assert np.allclose(merged["temperature_k"], merged["temperature_k_store"])


def test_compare_ticked_materials_in_one_arrhenius_plot(page: Any, base_url: str, frames) -> None:
    page.goto(f"{base_url}/materials?has_sigma=true&sort=n_sigma&order=desc")
    boxes = page.locator("#materials tbody input[type=checkbox]")
    ids = [int(boxes.nth(i).get_attribute("value")) for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    page.click("#compare")
    page.wait_for_selector("#overlay[data-rendered=true]", timeout=30_000)
    expected = frames["sigma"]["material_id"].isin(ids).sum()
    assert page.evaluate(POINTS_JS, "overlay") == expected
    assert page.locator("#overlay-fits tbody tr").count() == 3


def test_an_invalid_filter_shows_the_reason(page: Any, base_url: str) -> None:
    response = page.goto(f"{base_url}/materials?per_page=5000")
    assert response.status == 400
    assert "per_page" in page.inner_text("#reason")


def test_screening_page_filters_a_run_and_route_and_exports_them(page: Any, base_url: str, frames) -> None:
    page.goto(f"{base_url}/screening")
    page.select_option("select[name=run]", "wang2025-candidates")
    page.select_option("select[name=route]", "y2")
    page.select_option("#filters select[name=per_page]", "50")
    page.click("#apply")
    page.wait_for_url("**/screening?*route=y2*")
    stored = frames["screening"]
    expected = stored[(stored["run"] == "wang2025-candidates") & (stored["route"] == "y2")]
    assert int(page.get_attribute("#total", "data-total")) == len(expected) > 50
    cells = page.locator("#predictions tbody tr td:nth-child(2)")
    assert cells.all_inner_texts() == expected["candidate_formula"].head(50).tolist()
    with page.expect_download() as download:
        page.click("a.export-csv[data-table=predictions]")
    exported = pd.read_csv(download.value.path())
    assert exported["candidate_formula"].tolist() == expected["candidate_formula"].head(50).tolist()
    assert np.allclose(exported["activation_energy_ev"], expected["activation_energy_ev"].head(50))
