"""The Alembic migrations shipped in sselab/store/migrations build exactly the schema of the ORM models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sselab.store import open_store
from sselab.store.engine import current_revision, head_revision
from sselab.store.models import Base


def test_migrated_schema_equals_models_metadata(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.sqlite'}")
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_open_store_stamps_head_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    store = open_store(url)
    assert head_revision() == "0006_tables"
    assert current_revision(store.engine) == head_revision()
    store.close()
    again = open_store(url)  # already at head: nothing to do
    assert current_revision(again.engine) == head_revision()
    assert again.stats()["materials"] == 0


def _open_and_count(url: str) -> int:
    from sselab.store import open_store as _open

    return _open(url).stats()["materials"]


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    """Several processes opening a new store at once (e.g. Dask workers) all succeed."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    with multiprocessing.get_context("fork").Pool(3) as pool:
        assert pool.map(_open_and_count, [url] * 3) == [0, 0, 0]
    assert current_revision(open_store(url).engine) == head_revision()


def test_metadata_revision_upgrades_and_downgrades_keeping_rows(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from sselab.store.engine import alembic_config, create_store_engine, upgrade

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0001_initial")  # a store made by the previous version
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO materials (formula, dataset) VALUES ('LiBH4', 'old')"))
    assert "metadata" not in {c["name"] for c in inspect(engine).get_columns("materials")}

    store = open_store(str(engine.url))  # opening migrates to head
    assert current_revision(store.engine) == head_revision()
    frame = store.materials_frame()
    assert frame.formula.tolist() == ["LiBH4"] and frame.metadata[0] is None

    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0001_initial")
    assert current_revision(engine) == "0001_initial"
    assert "metadata" not in {c["name"] for c in inspect(engine).get_columns("materials")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT formula FROM materials")).scalars().all() == ["LiBH4"]
    engine.dispose()


def test_arch_revision_adds_nullable_labels_to_existing_activation_energies(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from sselab.store.engine import alembic_config, create_store_engine, upgrade

    labels = {"protocol", "converged", "convergence_reason", "device", "structure_provenance"}
    engine = create_store_engine(f"sqlite:///{tmp_path / 'ea.sqlite'}")
    upgrade(engine, "0002_material_metadata")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO materials (formula, dataset) VALUES ('LiBH4', 'old')"))
        conn.execute(
            text(
                "INSERT INTO activation_energies (material_id, activation_energy_ev, method) "
                "VALUES (1, 0.69, 'experiment')"
            )
        )
    store = open_store(str(engine.url))
    frame = store.activation_energy_frame()
    assert frame.activation_energy_ev.tolist() == [0.69]
    assert frame[sorted(labels)].isna().all(axis=None)
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0002_material_metadata")
    assert not labels & {c["name"] for c in inspect(engine).get_columns("activation_energies")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT activation_energy_ev FROM activation_energies")).scalars().all() == [
            0.69
        ]
    engine.dispose()


def test_natural_key_revision_upgrades_and_downgrades_keeping_rows(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from sselab.store.engine import alembic_config, create_store_engine, upgrade

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old2.sqlite'}")
    upgrade(engine, "0002_material_metadata")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO materials (id, formula, dataset) VALUES (1, 'LiBH4', 'old')"))
        conn.execute(
            text(
                "INSERT INTO conductivity_measurements (material_id, temperature_k, conductivity_s_per_cm,"
                " dataset) VALUES (1, 390.0, 1e-3, 'old')"
            )
        )
    tables = ("conductivity_measurements", "activation_energies", "structures")
    store = open_store(str(engine.url))
    for table in tables:
        assert "natural_key" in {c["name"] for c in inspect(store.engine).get_columns(table)}
        assert f"ix_{table}_natural_key" in {i["name"] for i in inspect(store.engine).get_indexes(table)}
    # a row stored before the revision has no key: kept, never matched by a re-import
    assert store.query("SELECT natural_key FROM conductivity_measurements").natural_key.isna().all()
    store.close()
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0004_arch")
    assert current_revision(engine) == "0004_arch"
    for table in tables:
        assert "natural_key" not in {c["name"] for c in inspect(engine).get_columns(table)}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conductivity_measurements")).scalar() == 1
    engine.dispose()
