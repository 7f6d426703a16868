"""Pages that need more than the public datasets: computed Ea (benchmark, run folders), the models and
screening pages over Dataset 2 of Wang et al. 2025 (published lines, 558 predictions) and a line fitted here
with its screening run, the Ask box with an LLM endpoint (a scripted OpenAI-compatible server, the test
double), and the ``sselab serve`` command's checks."""

from __future__ import annotations

import contextlib
import io
import json
import socket
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import quote

import matplotlib
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("httpx")
from starlette.testclient import TestClient

from sselab.assistant.agent import LLMSettings
from sselab.models.linear import LinearEaModel
from sselab.models.method_benchmark import benchmark_methods
from sselab.screening import CandidateSpace, screen
from sselab.store import ActivationEnergyRecord, MaterialRecord, open_store
from sselab.web.common import fmt
from test_assistant_support import answer_reply, scripted_llm_server, tool_call_reply
from web_support import copy_of, html_table, screening_store_file, web_app

matplotlib.use("Agg")


USER_MODEL = "user-x-line"
USER_RUN = "web-test"
PAPER_RUN = "wang2025-candidates"
#: Wang et al. 2025, "Prediction and Validation": the candidates with the lowest Ea on both lines (MBCCN).
MBCCN = [f"{m}(BH4)2·6(CH3)2CHNH2" for m in ("Zn", "Mg", "Ca")]


@pytest.fixture(scope="module")
def models_store(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path) -> Path:
    """The session store with Dataset 2 (published lines, its screening run), plus a line fitted on the
    store's divalent experimental Ea, a given line and a screening run of the fitted line (once a module)."""
    path = copy_of(screening_store_file(tmp_path_factory), tmp_path_factory.mktemp("web_pages"))
    store = open_store(f"sqlite:///{path}")
    ea = store.activation_energy_frame(method="experiment")
    fitted = LinearEaModel(("X",), name=USER_MODEL).fit(ea[ea["valence"] == 2])
    fitted.save_to_store(store)
    LinearEaModel.from_coefficients(["x_wang2025"], [1.5], 0.25, name="example-line").save_to_store(store)
    space = CandidateSpace.from_dict(
        {"name": USER_RUN, "cations": ["Mg", "Ca"], "anions": ["BH4"], "molecules": ["NH3", "H2O"],
         "n_values": [1, 2, 3, 6], "routes": [{"model": "user"}]}
    )  # fmt: skip
    result = screen(
        space, {"user": fitted}, criterion="upper", confidence=0.9, model_names={"user": USER_MODEL}
    )
    result.save_to_store(store, USER_RUN)
    store.close()
    return path


@pytest.fixture
def store_path(models_store: Path, tmp_path: Path) -> Path:
    """A private copy of the models store with computed Ea (one with a run folder)."""
    path = copy_of(models_store, tmp_path / "store")
    store = open_store(f"sqlite:///{path}")
    run_dir = tmp_path / "run-metad"
    (run_dir / "figures").mkdir(parents=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(run_dir / "figures" / "fes.png")
    plt.close(fig)
    for formula, ea, method, folder in (
        ("Mg(BH4)2-1.6NH3", 1.2, "MetaD", run_dir),
        ("Mg(BH4)2-2NH3", 2.0, "MetaD", None),
        ("Mg(BH4)2-1.6NH3", 0.9, "CI-NEB", None),
    ):
        store.add_activation_energy(
            ActivationEnergyRecord(
                MaterialRecord.from_formula(formula, dataset="wang2025-ea"),
                ea,
                method,
                phase="low-T",
                dataset="wang2025-ea",
                run_folder=str(folder) if folder else None,
                parameters={"protocol": "frenkel"} if folder else None,
            )
        )
    store.close()
    return path


def test_method_benchmark_page_is_benchmark_methods_of_the_store(store_path: Path) -> None:
    client = TestClient(web_app(store_path), raise_server_exceptions=False)
    expected = benchmark_methods(open_store(f"sqlite:///{store_path}").activation_energy_frame())
    metrics = pd.read_csv(io.StringIO(client.get("/compare/benchmark?format=csv&table=metrics").text))
    assert sorted(metrics["method"]) == ["CI-NEB", "MetaD"]
    merged = metrics.merge(expected.metrics, on="method", suffixes=("", "_lib"))
    assert (merged["n"] == merged["n_lib"]).all()
    assert merged["mae_ev"].to_numpy() == pytest.approx(merged["mae_ev_lib"].to_numpy())
    only = pd.read_csv(io.StringIO(client.get("/compare/benchmark?method=MetaD&format=csv&table=pairs").text))
    assert set(only["method"]) == {"MetaD"} and len(only) == 2
    li = client.get("/compare/benchmark?cation=Li&format=csv&table=pairs").text
    assert pd.read_csv(io.StringIO(li)).empty
    html = client.get("/compare/benchmark?valence=2&neutral=with&hydrides_only=true").text
    assert 'id="parity"' in html and "CI-NEB" in html
    code = client.get("/compare/benchmark?method=MetaD&format=py").text
    namespace: dict = {}
    exec(
        compile(code.replace('fig.savefig("method_benchmark.png", dpi=150)', ""), "snippet", "exec"),
        namespace,
    )
    assert len(namespace["result"].pairs) == 2


def test_run_page_lists_and_serves_only_the_run_figures(store_path: Path) -> None:
    client = TestClient(web_app(store_path), raise_server_exceptions=False)
    ea = open_store(f"sqlite:///{store_path}").activation_energy_frame(method="MetaD")
    ea_id = int(ea[ea["run_folder"].notna()]["ea_id"].iloc[0])
    material = client.get(f"/material/{int(ea[ea['ea_id'] == ea_id]['material_id'].iloc[0])}").text
    assert f'href="/run/{ea_id}"' in material and "frenkel" in material
    page = client.get(f"/run/{ea_id}").text
    assert f"/run/{ea_id}/figure/fes.png" in page
    figure = client.get(f"/run/{ea_id}/figure/fes.png")
    assert figure.status_code == 200 and figure.content[:8] == b"\x89PNG\r\n\x1a\n"
    for bad in ("track.png", "..%2Fsummary.json", "fes.png.txt", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
        assert client.get(f"/run/{ea_id}/figure/{bad}").status_code == 404


def _csv(response) -> pd.DataFrame:
    assert response.status_code == 200, response.text[:300]
    return pd.read_csv(io.StringIO(response.text), keep_default_na=False, na_values=[""])


def test_models_page_lists_the_stored_models_by_origin(store_path: Path) -> None:
    app = web_app(store_path)
    client = TestClient(app, raise_server_exceptions=False)
    web_store = app.state.web.store  # the read-only store of `sselab serve` has the readers the page uses
    listing = web_store.model_fits_frame().set_index("name")
    html = client.get("/models").text
    table = _csv(client.get("/models?format=csv")).set_index("name")
    assert sorted(table.index) == sorted(listing.index)
    for column in ("kind", "origin", "label"):
        assert table[column].fillna("").to_dict() == listing[column].fillna("").to_dict(), column
    published_header, published = html_table(html, "models-published")
    fitted_header, fitted = html_table(html, "models-fitted")
    names = {row[0]: dict(zip(published_header, row, strict=True)) for row in published}
    assert {"wang2025-y1", "wang2025-y2"} <= set(names) and USER_MODEL not in names
    assert [row[0] for row in fitted] == [USER_MODEL]
    assert [row[0] for row in html_table(html, "models-given")[1]] == ["example-line"]
    y1_predictions = len(web_store.screening_frame(run=PAPER_RUN, route="y1"))
    for name in ("wang2025-y1", "wang2025-y2"):
        payload = web_store.load_model_fit(name)
        row = table.loc[name]
        assert (
            row["origin"] == "published"
            and row["label"] == payload["label"] == "published by Wang et al. 2025"
        )
        assert names[name]["label"] == payload["label"] and names[name]["origin"] == "published"
        assert row["citation"] == payload["citation"] == names[name]["citation"]
        assert row["slope"] == payload["coef"][0] and row["intercept_ev"] == payload["intercept"]
        slope, intercept = payload["coef"][0], payload["intercept"]
        assert names[name]["equation"] == f"Ea = {slope:.6g}·x_wang2025_ds2 + {intercept:.6g} eV"
        assert "not published" in row["interval"] and pd.isna(row["r2"])
        assert row["recovered_from_n"] == payload["recovery"]["n"]
    assert table.loc["wang2025-y1", "recovered_from_n"] == y1_predictions
    fitted_row = dict(zip(fitted_header, fitted[0], strict=True))
    fit = web_store.load_model_fit(USER_MODEL)
    assert table.loc[USER_MODEL, "r2"] == pytest.approx(listing.loc[USER_MODEL, "r2"], rel=1e-12)
    assert (
        int(table.loc[USER_MODEL, "n_train"])
        == listing.loc[USER_MODEL, "n_train"]
        == fit["metrics"]["n_train"]
    )
    assert (
        fitted_row["N"] == str(fit["metrics"]["n_train"])
        and fitted_row["R²"] == f"{fit['metrics']['r2']:.3g}"
    )
    assert "prediction intervals" in fitted_row["prediction interval"] and fitted_row["training range"]
    low, high = fit["coef_ci95"][0]
    assert fitted_row["95 % CI of the coefficients"].startswith(f"X: [{low:.4g}, {high:.4g}]")
    snippet = client.get("/models?format=py")
    assert snippet.status_code == 200 and "model_fits_frame()" in snippet.text
    assert client.get("/models?page=2").status_code == 400


def test_screening_page_shows_the_stored_runs_and_predictions(store_path: Path) -> None:
    app = web_app(store_path)
    client = TestClient(app, raise_server_exceptions=False)
    web_store = app.state.web.store
    runs = web_store.screening_runs_frame().set_index("name")
    header, rows = html_table(client.get("/screening").text, "runs")
    shown = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert sorted(shown) == sorted(runs.index) == sorted([PAPER_RUN, USER_RUN])
    assert (
        shown[USER_RUN]["ranking criterion"].startswith("upper")
        and shown[USER_RUN]["interval coverage"] == "90 %"
    )
    assert shown[PAPER_RUN]["ranking criterion"].startswith(runs.loc[PAPER_RUN, "criterion"] + " ")
    assert (
        shown[PAPER_RUN]["predictions"] == "558"
        and shown[PAPER_RUN]["routes (predictions)"] == "y1 (270), y2 (288)"
    )

    paper = web_store.screening_frame(run=PAPER_RUN)
    assert len(paper) == 558  # Supplementary Dataset 2: 270 + 288 predictions
    facts = json.loads(client.get(f"/screening?run={PAPER_RUN}&format=json").text)
    assert facts["total"] == 558 and facts["pages"] == 6  # 100 rows a page by default
    pages = [
        _csv(client.get(f"/screening?run={PAPER_RUN}&per_page=200&page={n}&format=csv")) for n in (1, 2, 3)
    ]
    exported = pd.concat(pages, ignore_index=True)
    assert exported["candidate_formula"].tolist() == paper["candidate_formula"].tolist()
    assert exported["activation_energy_ev"].to_numpy() == pytest.approx(
        paper["activation_energy_ev"].to_numpy()
    )

    for route in ("y1", "y2"):
        query = f"/screening?run={PAPER_RUN}&route={route}&per_page=20"
        direct = web_store.screening_frame(run=PAPER_RUN, route=route)
        html = client.get(query).text
        assert f'data-total="{len(direct)}"' in html
        header, rows = html_table(html, "predictions")
        page = [dict(zip(header, row, strict=True)) for row in rows]
        csv = _csv(client.get(query + "&format=csv"))
        assert len(page) == len(csv) == 20
        assert (
            [r["candidate"] for r in page]
            == csv["candidate_formula"].tolist()
            == direct["candidate_formula"][:20].tolist()
        )
        assert [r["candidate"] for r in page[:3]] == MBCCN
        for cell, frame_row, csv_row in zip(
            page[:3], direct.head(3).itertuples(), csv.head(3).itertuples(), strict=True
        ):
            assert cell["route"] == route and cell["model"] == frame_row.model_name == f"wang2025-{route}"
            assert cell["model kind"] == frame_row.model_kind == "published"
            assert cell["x"] == fmt(frame_row.x) and cell["Ea (eV)"] == fmt(frame_row.activation_energy_ev)
            assert cell["interval low (eV)"] == cell["interval high (eV)"] == "" and pd.isna(
                frame_row.ea_lower_ev
            )
            assert cell["flags"] == frame_row.flags == csv_row.flags and cell["rank"] == str(frame_row.rank)
            assert csv_row.x == frame_row.x and csv_row.activation_energy_ev == frame_row.activation_energy_ev
        for row, csv_row in zip(page, csv.itertuples(), strict=True):  # the export is the page
            assert row["Ea (eV)"] == fmt(csv_row.activation_energy_ev) and row["rank"] == str(csv_row.rank)

    user = web_store.screening_frame(run=USER_RUN)
    header, rows = html_table(client.get(f"/screening?run={USER_RUN}").text, "predictions")
    page = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(page) == len(user) and [r["candidate"] for r in page] == user["candidate_formula"].tolist()
    for cell, frame_row in zip(page, user.itertuples(), strict=True):
        assert cell["interval low (eV)"] == fmt(frame_row.ea_lower_ev) != ""
        assert cell["interval high (eV)"] == fmt(frame_row.ea_upper_ev) and cell["coverage"] == "0.9"
        assert cell["criterion"] == "upper" and cell["model"] == USER_MODEL and cell["model kind"] == "fitted"
    snippet = client.get(f"/screening?run={PAPER_RUN}&route=y2&format=py").text
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(snippet, "snippet", "exec"), namespace)
    assert len(namespace["predictions"]) == 288

    for bad, reason in (
        ("run=nope", f"stored runs: {PAPER_RUN}, {USER_RUN}"),
        (f"run={USER_RUN}&route=y1", "routes: user"),
        ("route=" + quote("y1' OR 1=1"), "route: String should match pattern"),
        ("run=" + quote("x;DROP TABLE screening_runs"), "run: String should match pattern"),
        ("per_page=500", "per_page"),
        ("table=materials", "table"),
        ("run=a&run=b", "given more than once"),
    ):
        response = client.get(f"/screening?{bad}")
        assert response.status_code == 400 and reason in html_unescape(response.text), bad


def test_ask_runs_the_assistant_and_shows_its_sql_and_dois(store_path: Path) -> None:
    sql = (
        "SELECT m.formula, a.activation_energy_ev, s.doi FROM activation_energies a JOIN materials m "
        "ON m.id = a.material_id JOIN sources s ON s.id = a.source_id WHERE m.valence = 2 LIMIT 3"
    )
    script = [
        tool_call_reply([("run_sql", {"sql": sql})]),
        answer_reply("Three divalent rows, see the DOIs."),
    ]
    with scripted_llm_server(script) as llm:
        settings = LLMSettings(model="scripted", base_url=llm.base_url, api_key="x")
        client = TestClient(web_app(store_path, llm=settings), raise_server_exceptions=False)
        html = client.get("/ask?q=three+divalent+activation+energies").text
    assert "Three divalent rows" in html and "SELECT m.formula" in html and "https://doi.org/10." in html
    assert len(llm.requests) == 2


def test_serve_refuses_a_missing_store_and_a_busy_port(store_path: Path, tmp_path: Path, monkeypatch) -> None:
    from sselab.cli.main import app

    runner = CliRunner()
    missing = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "no store at" in missing.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = runner.invoke(app, ["serve", "--db", str(store_path), "--port", str(port)])
    assert taken.exit_code == 2 and "cannot listen" in taken.output
    assert runner.invoke(app, ["serve", "--port", "70000"]).exit_code == 2


def test_serve_warns_when_not_bound_to_loopback(store_path: Path, monkeypatch) -> None:
    import uvicorn

    from sselab.cli.main import app

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: calls.append(kw))
    local = CliRunner().invoke(app, ["serve", "--db", str(store_path), "--port", "0"])
    assert local.exit_code == 2
    ran = CliRunner().invoke(app, ["serve", "--db", str(store_path), "--host", "0.0.0.0", "--port", "8123"])
    assert ran.exit_code == 0, ran.output
    assert "no authentication" in ran.output and "http://0.0.0.0:8123/materials" in ran.output
    assert calls == [{"host": "0.0.0.0", "port": 8123, "log_level": "warning", "access_log": False}]
    quiet = CliRunner().invoke(app, ["serve", "--db", str(store_path), "--port", "8124"])
    assert "no authentication" not in quiet.output and json.dumps(calls[-1]["port"]) == "8124"
