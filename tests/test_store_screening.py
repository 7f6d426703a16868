"""Screening tables: migration 0003_screen, writer (one transaction, replace by name), readers, model list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect

from sselab.errors import StoreError
from sselab.models import LinearEaModel
from sselab.store import open_store


def _rows(n: int = 3, **extra: object) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_formula": [f"Mg(BH4)2·{k}NH3" for k in range(1, n + 1)],
            "route": "y1",
            "model_name": "m",
            "model_kind": "fitted",
            "descriptor": "x",
            "x": [0.1 * k for k in range(n)],
            "activation_energy_ev": [0.5 + 0.1 * k for k in range(n)],
            "ea_lower_ev": [0.1] * n,
            "ea_upper_ev": [0.9] * n,
            "extrapolated": [False] * n,
            "flags": [""] * n,
            "rank": pd.array(list(range(1, n + 1)), dtype="Int64"),
            **extra,
        }
    )


def test_save_replaces_a_run_of_the_same_name_and_reads_back(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.save_screening("run", _rows(3), criterion="point", confidence=0.95, counts={"y1": 3})
    store.save_screening("other", _rows(2), criterion="upper")
    store.save_screening("run", _rows(4), criterion="upper")
    frame = store.screening_frame("run")
    assert len(frame) == 4 and set(frame["criterion"]) == {"upper"} and frame["rank"].tolist() == [1, 2, 3, 4]
    assert frame["activation_energy_ev"].dtype == float and frame["extrapolated"].tolist() == [False] * 4
    assert len(store.screening_frame()) == 6
    assert store.screening_runs_frame()["name"].tolist() == ["other", "run"]
    assert store.stats()["screening_predictions"] == 6


def test_a_bad_prediction_writes_nothing(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    store.save_screening("run", _rows(2), criterion="point")
    bad = _rows(3)
    bad.loc[1, "activation_energy_ev"] = float("nan")
    with pytest.raises(StoreError, match=r"Mg\(BH4\)2·2NH3.*no finite Ea"):
        store.save_screening("run", bad, criterion="point")
    assert len(store.screening_frame("run")) == 2
    with pytest.raises(StoreError, match="lack column"):
        store.save_screening("x", _rows(1).drop(columns=["model_kind"]), criterion="point")


def test_unranked_predictions_come_after_the_ranked_ones(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    rows = _rows(3)
    rows["rank"] = pd.array([pd.NA, 1, 2], dtype="Int64")
    rows.loc[0, ["activation_energy_ev", "flags"]] = (-0.3, "ea<=0")
    store.save_screening("run", rows, criterion="point")
    frame = store.screening_frame("run")
    assert frame["candidate_formula"].tolist()[-1] == "Mg(BH4)2·1NH3" and pd.isna(frame["rank"].iloc[-1])


def test_model_list_says_where_each_model_comes_from(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    frame = pd.DataFrame({"X": [1.0, 2.0, 3.0, 4.0], "activation_energy_ev": [0.5, 0.7, 0.8, 1.1]})
    LinearEaModel(("X",), name="fit").fit(frame).save_to_store(store)
    LinearEaModel.from_coefficients(("X",), (0.1,), 0.2, name="typed").save_to_store(store)
    store.save_model_fit("old", {"kind": "LinearEaModel", "descriptors": ["X"], "training_rows": [{"X": 1}]})
    listing = store.model_fits_frame().set_index("name")
    assert listing.loc["fit", "origin"] == "fitted" and listing.loc["fit", "n_train"] == 4
    assert listing.loc["typed", "origin"] == "given" and listing.loc["old", "origin"] == "fitted"


def test_migration_0003_upgrades_and_downgrades(tmp_path: Path) -> None:
    from alembic import command

    from sselab.store.engine import (
        alembic_config,
        create_store_engine,
        current_revision,
        head_revision,
        upgrade,
    )

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0002_material_metadata")
    assert "screening_runs" not in inspect(engine).get_table_names()
    store = open_store(str(engine.url))
    assert current_revision(store.engine) == head_revision()
    store.save_screening("run", _rows(2), criterion="point")
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0002_material_metadata")
    names = inspect(engine).get_table_names()
    assert "screening_runs" not in names and "screening_predictions" not in names and "materials" in names
    engine.dispose()


def test_reimporting_a_candidate_list_after_an_edited_copy_restores_it(tmp_path: Path) -> None:
    """A, then an edited A′ (same run name), then A again: A's run is written again, under A's import row."""
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    payload = {"kind": "published", "origin": "published", "label": "test"}

    def load(sha: str, rows: pd.DataFrame):  # type: ignore[no-untyped-def]
        return store.import_screening(
            dataset="cands", file_name=f"{sha[:2]}.xlsx", file_sha256=sha, name="cands",
            predictions=rows, model_fits={"cands-y1": payload},
        )  # fmt: skip

    first = load("a" * 64, _rows(3))
    assert not load("b" * 64, _rows(5)).already_present
    assert len(store.screening_frame("cands")) == 5
    back = load("a" * 64, _rows(3))
    assert not back.already_present and back.import_id == first.import_id
    assert len(store.screening_frame("cands")) == 3
    again = load("a" * 64, _rows(3))  # now the run is A's: nothing to do
    assert again.already_present and again.inserted == {}
    assert store.stats()["imports"] == 2
    store.close()
