"""Store export frames (units and sources in the columns, origin, filters) and the entry column (0004)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.errors import ConfigError
from sselab.store import (
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialRecord,
    SourceRecord,
    open_store,
)
from sselab.store.export import ACTIVATION_ENERGY_EXPORT_COLUMNS, CONDUCTIVITY_EXPORT_COLUMNS


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    li = MaterialRecord.from_formula("LiBH4·1/2NH3", dataset="lab")
    mg = MaterialRecord.from_formula("Mg(BH4)2·2NH3", dataset="lab")
    store.import_batch(
        ImportBatch(
            "lab",
            file_sha256="ab" * 32,
            file_name="lab.csv",
            conductivities=[
                ConductivityRecord(li, 313.0, 7e-4, source="10.5555/a", row_number=2, entry="A1"),
                ConductivityRecord(
                    mg, 353.0, 1e-6, source=SourceRecord(None, "a lab notebook"), row_number=3
                ),
            ],
            activation_energies=[
                ActivationEnergyRecord(mg, 1.2, "experiment", source="10.5555/a", row_number=4, entry="A2"),
                ActivationEnergyRecord(
                    mg,
                    2.0,
                    "MetaD",
                    source=SourceRecord(None, "Wang 2025"),
                    row_number=5,
                    potential="PBE",
                    parameters={"T": 600},
                ),
            ],
        )
    )
    store.add_activation_energy(ActivationEnergyRecord(mg, 1.9, "MetaD", run_folder="/runs/metad-1"))
    store.add_activation_energy(ActivationEnergyRecord(mg, 1.8, "CI-NEB"))  # no source, no run: sselab's
    return store


def test_export_frames_carry_units_sources_file_and_origin(store) -> None:
    frames = store.export_frames()
    sigma, ea = frames["conductivity"], frames["activation_energy"]
    assert list(sigma.columns) == CONDUCTIVITY_EXPORT_COLUMNS
    assert list(ea.columns) == ACTIVATION_ENERGY_EXPORT_COLUMNS
    assert (
        sigma["source_doi"].tolist()[0] == "10.5555/a"
        and sigma["source_citation"].tolist()[1] == "a lab notebook"
    )
    assert sigma["entry"].tolist()[0] == "A1" and sigma["source_file"].tolist() == ["lab.csv", "lab.csv"]
    assert sigma["source_row"].tolist() == [2, 3]
    assert ea["origin"].tolist() == ["literature", "literature", "sselab", "sselab"]
    assert ea["parameters"].tolist()[1] == '{"T": 600}' and ea["potential"].tolist()[1] == "PBE"
    assert store.activation_energy_frame()["origin"].tolist() == ea["origin"].tolist()


def test_export_filters(store) -> None:
    by_formula = store.export_frames(formula="LiBH4-0.5NH3")  # another spelling of LiBH4·1/2NH3
    assert (
        by_formula["conductivity"]["formula"].tolist() == ["LiBH4·1/2NH3"]
        and by_formula["activation_energy"].empty
    )
    metad = store.export_frames(method="MetaD")
    assert metad["conductivity"].empty and metad["activation_energy"]["activation_energy_ev"].tolist() == [
        2.0,
        1.9,
    ]
    assert len(store.export_frames(method="experiment")["conductivity"]) == 2
    assert len(store.export_frames(cation="Mg")["conductivity"]) == 1
    assert store.export_frames(dataset="nope")["conductivity"].empty
    with pytest.raises(ConfigError, match="--method 'NEB'"):
        store.export_frames(method="NEB")


def test_entry_revision_upgrades_and_downgrades_keeping_rows(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from sselab.store.engine import alembic_config, create_store_engine, upgrade

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0005_rel")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO materials (id, formula, dataset) VALUES (1, 'LiBH4', 'old')"))
        conn.execute(
            text(
                "INSERT INTO conductivity_measurements (material_id, temperature_k, conductivity_s_per_cm,"
                " dataset) VALUES (1, 390.0, 1e-3, 'old')"
            )
        )
    store = open_store(str(engine.url))
    tables = ("conductivity_measurements", "activation_energies", "structures")
    for table in tables:
        assert "entry" in {c["name"] for c in inspect(store.engine).get_columns(table)}
    assert store.export_frames()["conductivity"]["entry"].isna().all()
    store.close()
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0005_rel")
    for table in tables:
        assert "entry" not in {c["name"] for c in inspect(engine).get_columns(table)}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conductivity_measurements")).scalar() == 1
    engine.dispose()
