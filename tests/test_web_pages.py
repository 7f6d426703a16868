"""Pages that need more than the public datasets: computed Ea (benchmark, run folders), saved models,
screening results, the Ask box with an LLM endpoint (a scripted OpenAI-compatible server, the test double),
and the ``sselab serve`` command's checks."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

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
from sselab.store import ActivationEnergyRecord, MaterialRecord, open_store
from test_assistant_support import answer_reply, scripted_llm_server, tool_call_reply
from web_support import copy_of, public_store_file, web_app

matplotlib.use("Agg")


@pytest.fixture
def store_path(tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path, tmp_path: Path) -> Path:
    """A private copy of the public store with computed Ea (one with a run folder) and a saved model."""
    path = copy_of(public_store_file(tmp_path_factory), tmp_path / "store")
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
    model = LinearEaModel.from_coefficients(["x_wang2025"], [1.5], 0.25, name="example-line")
    payload = {**model.to_dict(), "published": "published by Wang et al. 2025"}
    store.save_model_fit("wang2025-y1", payload)
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


def test_models_page_labels_published_models(store_path: Path) -> None:
    client = TestClient(web_app(store_path), raise_server_exceptions=False)
    html = client.get("/models").text
    assert "wang2025-y1" in html and "published by Wang et al. 2025" in html and "x_wang2025: 1.5" in html
    table = pd.read_csv(io.StringIO(client.get("/models?format=csv").text))
    assert table.loc[0, "intercept"] == pytest.approx(0.25)
    assert client.get("/models?format=py").status_code == 400


def test_screening_page_shows_the_stores_screening_results(store_path: Path) -> None:
    app = web_app(store_path)
    store = app.state.web.store
    rows = pd.DataFrame(
        {
            "formula": ["Mg(BH4)2·2NH3", "Zn(BH4)2·6NH3"],
            "predicted_ea_ev": [0.51, -0.1],
            "pi95_low_ev": [0.3, -0.5],
            "pi95_high_ev": [0.7, 0.3],
            "flag": [None, "Ea <= 0: not ranked"],
        }
    )
    store.screening_frame = lambda: rows  # the reader the screening table brings (another branch)
    client = TestClient(app, raise_server_exceptions=False)
    html = client.get("/screening").text
    assert "2 stored predictions" in html and "Ea &lt;= 0: not ranked" in html
    exported = pd.read_csv(io.StringIO(client.get("/screening?format=csv").text))
    assert list(exported["pi95_high_ev"]) == [0.7, 0.3]


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
