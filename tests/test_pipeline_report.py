"""The pipeline's HTML report: sections from stage outputs, embedded figures; (slow) headless Chromium."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sselab.pipeline import load_config, run_pipeline
from sselab.report.pipeline_report import build_sections, write_pipeline_report
from sselab.store import open_store


def _png(path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 0, 1])
    fig.savefig(path)
    plt.close(fig)
    return path


def _metad_result(run_dir: Path) -> dict:
    """A MetaD result (as the metad stage stores it) whose run folder has a FES figure and no track."""
    from sselab.simulate.metad.analysis import MetaDAnalysis
    from sselab.simulate.metad.barriers import find_barriers
    from sselab.simulate.metad.fes import FES
    from sselab.simulate.metad.result import MetaDResult
    from sselab.simulate.results import StructureInfo
    from sselab.simulate.settings import MetaDSettings

    x = np.linspace(-0.5, 2.5, 301)
    fes = FES(("d1",), (x,), 0.52 * (1 - (x - 1) ** 2) ** 2, "hills")
    analysis = MetaDAnalysis(fes, find_barriers(fes, start=[0.0]), None, {})
    (run_dir / "figures").mkdir(parents=True)
    _png(run_dir / "figures" / "fes.png")
    structure = StructureInfo("libh4.cif", "LiBH4", 47, "Li", "built-in", "Li47 cell")
    result = MetaDResult(
        MetaDSettings(protocol="vacancy"),
        run_dir,
        analysis,
        300,
        6,
        1.0,
        ("d1",),
        (0.2,),
        (0.0,),
        structure=structure,
    )
    return result.as_dict()


def test_report_embeds_figures_tables_and_notes_failed_stages(tmp_path: Path) -> None:
    figure = _png(tmp_path / "fig.png")
    run = {
        "name": "libh4",
        "material": "LiBH4",
        "stored": "stored",
        "result": _metad_result(tmp_path / "run"),
    }
    upstream = {
        "screening": {
            "summary": "558 predictions",
            "top": [{"model": "y1", "rank": 1, "formula": "Zn(BH4)2·6(CH3)2CHNH2", "predicted_ea_ev": 0.31}],
            "figures": {"figure4a": str(figure)},
        },
        "metad": {
            "summary": "1 MetaD run",
            "runs": [run],
        },
    }  # fmt: skip
    sections = build_sections(upstream, {"search": "PipelineError: missing or broken dependency"})
    assert [s.title.split(":")[0].split(" ")[0] for s in sections] == [
        "Metadynamics",
        "Screening",
        "Structure",
    ]
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    path = write_pipeline_report(
        tmp_path / "r" / "report.html", "Test report", upstream, {"search": "boom"}, store
    )
    html = path.read_text(encoding="utf-8")
    encoded = base64.b64encode(figure.read_bytes()).decode("ascii")
    assert html.count(encoded) == 2  # Figure 4a and the FES
    assert "libh4: free-energy surface (Li47 cell)" in html and "<td>0.52</td>" in html
    assert "Zn(BH4)2·6(CH3)2CHNH2" in html and "stage search did not finish: boom" in html
    assert "http://" not in html and "https://" not in html  # self-contained


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
def test_report_of_a_real_pipeline_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    config_path = tmp_path / "p.toml"
    config_path.write_text(
        f'[pipeline]\nname = "report-test"\nout_dir = "{tmp_path / "out"}"\n'
        f'store = "sqlite:///{tmp_path / "s.db"}"\n'
        'stages = ["data", "insights", "method_benchmark", "fit", "screening", "report"]\n',
        encoding="utf-8",
    )
    run = run_pipeline(load_config(config_path), n_workers=0)
    report = Path(run.stages[-1].outputs["report"])
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--screenshot={shot}",
         "--window-size=1200,3000", report.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (3000, 1200)
    non_white = (pixels < 245).any(axis=2).mean()
    colours = len(np.unique(pixels.reshape(-1, 3)[::7], axis=0))
    assert non_white > 0.05, f"screenshot nearly blank ({non_white:.3f} non-white)"
    assert colours > 200, f"only {colours} colours: no figures rendered"
