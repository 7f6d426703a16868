"""The store on a real PostgreSQL server (started in a temporary folder; skipped when that is impossible).

Run with ``.venv/bin/pytest -m slow tests/test_store_postgres.py``. Needs ``initdb``/``pg_ctl`` (on PATH,
/usr/local/bin or /usr/lib/postgresql/*/bin) and psycopg 3; as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sselab.errors import DataImportError, SselabError, UnsafeQueryError
from sselab.store import (
    ActivationEnergyRecord,
    ConductivityRecord,
    ImportBatch,
    MaterialRecord,
    SourceRecord,
    Store,
    open_store,
)
from sselab.store.readonly import _Limits, _run_postgresql, readonly_query

pytestmark = pytest.mark.slow


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or (
        f"/usr/local/bin/{name}" if os.path.exists(f"/usr/local/bin/{name}") else None
    )
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed (the 'postgres' extra)")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found")
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="sselab-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, check=False)

    done = run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed: {done.stderr.strip()[-300:]}")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    done = run(pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "-t", "60", "start")
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"the PostgreSQL server did not start: {done.stderr.strip()[-300:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_store(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    m = MaterialRecord.from_formula("Mg(BH4)2·2NH3")
    rows = [
        ConductivityRecord(m, 290.0 + 5 * i, 1e-6 * (i + 1), source=SourceRecord("10.1/pg"))
        for i in range(40)
    ]
    ea = ActivationEnergyRecord(m, 0.55, "experiment", parameters={"n": 40}, source="10.1/pg")
    store.import_batch(ImportBatch("pg", "1" * 64, "pg.csv", conductivities=rows, activation_energies=[ea]))
    yield store
    store.close()


def _fingerprint(store: Store) -> str:
    sql = (
        "SELECT md5(coalesce(string_agg(c.id || ':' || c.conductivity_s_per_cm || ':' || m.formula, ',' "
        "ORDER BY c.id), '')) || (SELECT count(*) FROM materials) || (SELECT count(*) FROM sources) AS f "
        "FROM conductivity_measurements c JOIN materials m ON m.id = c.material_id"
    )
    return str(readonly_query(store, sql).rows.f[0])


def test_postgres_migrated_schema_equals_models(pg_store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from sselab.store.models import Base

    with pg_store.engine.connect() as conn:
        assert (
            compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
            == []
        )


def test_postgres_import_frames_and_transactions(pg_store: Store, pg_url: str) -> None:
    cf = pg_store.conductivity_frame(cation="Mg")
    assert len(cf) == 40 and cf.doi.unique().tolist() == ["10.1/pg"] and cf.valence.iloc[0] == 2
    af = pg_store.activation_energy_frame(method="experiment")
    assert af.activation_energy_ev.tolist() == [0.55] and af.anion_family.iloc[0] == "nido-borane"
    again = pg_store.import_batch(ImportBatch("pg", "1" * 64, "pg.csv"))
    assert again.already_present
    before = _fingerprint(pg_store)
    bad = [ConductivityRecord("LiBH4", 300.0, 1e-3), ConductivityRecord("LiBH4", -5.0, 1e-3, row_number=12)]
    with pytest.raises(DataImportError, match="row 12"):
        pg_store.import_batch(ImportBatch("pg", "2" * 64, "bad.csv", conductivities=bad))
    # a failure inside the database (a DOI longer than its column) rolls the batch back too
    long_doi = [ConductivityRecord("LiBH4", 300.0, 1e-3, source="10." + "9" * 300)]
    with pytest.raises(DataImportError, match=r"bad2\.csv"):
        pg_store.import_batch(ImportBatch("pg", "3" * 64, "bad2.csv", conductivities=long_doi))
    assert _fingerprint(pg_store) == before
    reopened = open_store(pg_url)  # already at head
    assert reopened.stats()["conductivity_measurements"] == 40
    reopened.close()


def test_postgres_extras(pg_store: Store) -> None:
    pg_store.save_model_fit("m", {"a": 1.0})
    assert pg_store.load_model_fit("m") == {"a": 1.0}
    pg_store.create_search_run("s", "LiBH4", {"seed": 3})
    assert pg_store.add_search_individual("s", "k", "data_k", -1.0, 0, [], "random", False, {})
    assert not pg_store.add_search_individual("s", "k", "data_k", -1.0, 0, [], "random", False, {})
    pg_store.put_stage_result("fit", "h", {"x": 1}, {})
    pg_store.put_stage_result("fit", "h", {"x": 2}, {})
    assert pg_store.get_stage_result("fit", "h") == {"x": 2}


HOSTILE_PG = [
    "WITH x AS (DELETE FROM conductivity_measurements RETURNING *) SELECT * FROM x",
    "WITH x AS (UPDATE materials SET formula = 'evil' RETURNING *) SELECT count(*) FROM x",
    "INSERT INTO sources (doi) VALUES ('evil')",
    "DROP TABLE materials",
    "SELECT 1; COMMIT; DELETE FROM conductivity_measurements",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT nextval('materials_id_seq')",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * INTO evil FROM materials",
    "COPY materials TO '/tmp/evil.csv'",
    "SELECT * FROM materials FOR UPDATE",
    "SELECT '" + "x" * 20_000 + "'",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
]


def test_postgres_readonly_guard_refuses_writes(pg_store: Store) -> None:
    before = _fingerprint(pg_store)
    for sql in HOSTILE_PG:
        with pytest.raises(UnsafeQueryError):
            readonly_query(pg_store, sql, timeout_s=0.5)
    # the connection layer alone: a writable CTE at top level meets the READ ONLY transaction ...
    with pytest.raises(UnsafeQueryError, match="read-only transaction"):
        _run_postgresql(pg_store.engine, HOSTILE_PG[0], _Limits(10, 2.0, 10**6, 10**7), wrap=False)
    # ... a smuggled COMMIT meets the extended protocol (one statement only) ...
    with pytest.raises(SselabError):
        _run_postgresql(
            pg_store.engine,
            "SELECT 1; COMMIT; DELETE FROM sources",
            _Limits(10, 2.0, 10**6, 10**7),
            wrap=False,
        )
    # ... and inside the wrapper a data-modifying WITH is refused
    with pytest.raises(SselabError):
        _run_postgresql(pg_store.engine, HOSTILE_PG[0], _Limits(10, 2.0, 10**6, 10**7))
    assert _fingerprint(pg_store) == before
    ok = readonly_query(pg_store, "SELECT formula FROM materials WHERE formula LIKE 'Mg%'", max_rows=1)
    assert ok.rows.formula.tolist() == ["Mg(BH4)2·2NH3"]
    many = readonly_query(pg_store, "SELECT id FROM conductivity_measurements ORDER BY id", max_rows=10)
    assert many.truncated and many.rows.id.tolist() == list(range(1, 11))
    assert pg_store.query("WITH t AS (SELECT 2 AS x) SELECT x * 3 AS y FROM t").y.tolist() == [6]


def test_postgres_material_metadata_and_its_revision(pg_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from sselab.store.engine import alembic_config, current_revision

    # a separate database, so that downgrading does not disturb the module's store
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS meta"))
        conn.execute(text("CREATE DATABASE meta"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/meta"
    store = open_store(url)
    facts = {"space_group": "Pm-3m", "a_angstrom": 3.8751, "bad": float("nan")}
    rows = [
        ConductivityRecord(MaterialRecord.from_formula("Li7BiO6", metadata=facts), 298.15, 1e-6),
        ConductivityRecord(MaterialRecord("LiBH4"), 298.15, 1e-8),
    ]
    store.import_batch(ImportBatch("pg-meta", "4" * 64, "meta.csv", conductivities=rows))
    stored = store.materials_frame().set_index("formula").metadata
    assert stored["Li7BiO6"] == {**facts, "bad": None} and stored["LiBH4"] is None
    assert store.query("SELECT formula FROM materials WHERE metadata IS NULL").formula.tolist() == ["LiBH4"]
    with store.engine.begin() as conn:
        config = alembic_config(store.engine)
        config.attributes["connection"] = conn
        command.downgrade(config, "0001_initial")
    assert current_revision(store.engine) == "0001_initial"
    assert "metadata" not in {c["name"] for c in inspect(store.engine).get_columns("materials")}
    store.close()
    again = open_store(url)  # upgrades again; the rows stay
    assert again.materials_frame().metadata.isna().all() and again.stats()["materials"] == 2
    again.close()


def test_postgres_query_bounds(pg_store: Store) -> None:
    """statement_timeout stops any statement; a 1 GB cell is measured on the server and never sent."""
    import time

    start = time.perf_counter()
    with pytest.raises(UnsafeQueryError, match="longer than the limit of 1 s"):
        readonly_query(pg_store, "SELECT count(*) FROM generate_series(1, 10000000000)", timeout_s=1.0)
    assert time.perf_counter() - start < 2.0
    with pytest.raises(UnsafeQueryError, match="per cell"):
        readonly_query(pg_store, "SELECT repeat('x', 100000000) AS big", timeout_s=60.0)
    # 1 GB: PostgreSQL folds the constant at planning (seconds per copy): refused by one bound or the other
    with pytest.raises(UnsafeQueryError, match=r"per cell|longer than the limit"):
        readonly_query(pg_store, "SELECT repeat('x', 1000000000) AS big", timeout_s=5.0)
    capped = readonly_query(
        pg_store,
        "SELECT id, repeat('x', 100000) AS t FROM conductivity_measurements",
        max_result_bytes=1_000_000,
    )
    assert capped.truncated_by == "bytes" and len(capped.rows) == 9
    rows = readonly_query(pg_store, "SELECT id FROM conductivity_measurements", max_rows=5)
    assert rows.truncated_by == "rows" and len(rows.rows) == 5


def test_postgres_reimport_of_edited_rows_replaces_in_place(pg_store: Store) -> None:
    m = MaterialRecord("LiCl")
    first = [ConductivityRecord(m, 300.0 + i, 1e-6, source="10.1/edit", row_number=i + 2) for i in range(5)]
    pg_store.import_batch(ImportBatch("pg-edit", "5" * 64, "edit.csv", conductivities=first))
    edited = [*first[:4], ConductivityRecord(m, 304.0, 2e-6, source="10.1/edit", row_number=6)]
    edited.append(ConductivityRecord(m, 400.0, 1e-5, source="10.1/edit", row_number=7))
    result = pg_store.import_batch(ImportBatch("pg-edit", "6" * 64, "edit2.csv", conductivities=edited))
    assert result.inserted["conductivity_measurements"] == 1
    assert result.replaced == {"conductivity_measurements": 1}
    assert result.unchanged == {"conductivity_measurements": 4}
    assert len(pg_store.conductivity_frame(dataset="pg-edit")) == 6


def test_postgres_concurrent_imports_of_one_dataset_both_succeed(pg_store: Store, pg_url: str) -> None:
    import threading

    outcomes: list[str] = []

    def run(sha: str, offset: float) -> None:
        store = open_store(pg_url)
        rows = [ConductivityRecord("LiI", 300.0 + offset + i, 1e-7, row_number=i) for i in range(2000)]
        try:
            result = store.import_batch(ImportBatch("pg-race", sha * 64, f"{sha}.csv", conductivities=rows))
            outcomes.append(f"ok {result.inserted['conductivity_measurements']}")
        except SselabError as error:
            outcomes.append(str(error))
        finally:
            store.close()

    threads = [threading.Thread(target=run, args=("7", 0.0)), threading.Thread(target=run, args=("8", 0.5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok 2000", "ok 2000"], outcomes


def test_postgres_bound_parameters(pg_store: Store) -> None:
    sql = "SELECT count(*) AS n FROM conductivity_measurements WHERE temperature_k > %s"
    rows = readonly_query(pg_store, sql, params=[400.0])
    assert int(rows.rows.n[0]) > 0
