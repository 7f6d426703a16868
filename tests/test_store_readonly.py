"""Security suite of the read-only query guard (sselab.store.readonly) on SQLite.

Every hostile statement must be refused with UnsafeQueryError and leave the store file byte-for-byte
unchanged; each layer (text checks, read-only connection) is also tested on its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sselab.errors import StoreError, UnsafeQueryError
from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, SourceRecord, Store, open_store
from sselab.store.readonly import _Limits, _raise_for, _run_sqlite_file, _run_sqlite_shared, readonly_query
from sselab.store.sqlite_guard import DEFAULT_MAX_CELL_BYTES, DEFAULT_MAX_RESULT_BYTES
from sselab.store.sqltext import check_readonly_sql, tokenize


def connection_layer(run, target, sql: str, max_rows: int, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    """The guard's connection layer alone (no text checks): raises what readonly_query would."""
    limits = _Limits(max_rows, timeout_s, DEFAULT_MAX_CELL_BYTES, DEFAULT_MAX_RESULT_BYTES)
    _raise_for(run(target, sql, limits), limits)


RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"

HOSTILE = [
    "INSERT INTO materials (formula) VALUES ('evil')",
    "UPDATE materials SET formula = 'evil'",
    "DELETE FROM conductivity_measurements",
    "DROP TABLE materials",
    "CREATE TABLE evil (x)",
    "CREATE TEMP VIEW evil AS SELECT 1",
    "ALTER TABLE materials ADD COLUMN evil TEXT",
    "REPLACE INTO sources (doi) VALUES ('evil')",
    "ATTACH DATABASE '{tmp}/evil.sqlite' AS evil",
    "DETACH DATABASE main",
    "PRAGMA journal_mode=DELETE",
    "PRAGMA journal_mode=WAL",
    "PRAGMA user_version=5",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "BEGIN; DELETE FROM materials; COMMIT",
    "SELECT 1; DROP TABLE materials",
    "SELECT 1;DROP TABLE materials;",
    "SELECT load_extension('x')",
    "SELECT \"load_extension\"('x')",
    "SELECT writefile('{tmp}/pwned.txt', 'data')",
    "SELECT readfile('/etc/passwd')",
    "WITH x AS (DELETE FROM materials RETURNING *) SELECT * FROM x",
    "WITH a AS (SELECT 1) INSERT INTO sources (doi) SELECT 'evil' FROM a",
    "SELECT 1 /* ; */; DELETE FROM materials",
    "SELECT 1 -- harmless\n; DELETE FROM materials",
    "SELECT 1 /* unterminated ; DELETE FROM materials",
    "SELECT * FROM sqlite_master; PRAGMA user_version=5",
    "SELECT * INTO evil FROM materials",
    "EXPLAIN DELETE FROM materials",
    "SAVEPOINT a",
    "SELECT '" + "a" * 1_000_000 + "'",  # a 1 MB query
    RUNAWAY,
]


def sha256_of(path: Path) -> str:
    """Digest of the store file and its write-ahead log (WAL mode: committed pages may sit in the log)."""
    digest = hashlib.sha256(path.read_bytes())
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Store, Path]:
    path = tmp_path / "store" / "store.sqlite"
    store = open_store(f"sqlite:///{path}")
    m = MaterialRecord.from_formula("Mg(BH4)2·2NH3")
    rows = [
        ConductivityRecord(m, 280.0 + i, 1e-7 * (i + 1), source=SourceRecord("10.1/x")) for i in range(30)
    ]
    store.import_batch(ImportBatch("demo", "c" * 64, "demo.csv", conductivities=rows))
    return store, path


def test_at_least_twenty_hostile_statements_are_refused_and_file_unchanged(
    filled: tuple[Store, Path], tmp_path: Path
) -> None:
    store, path = filled
    assert len(HOSTILE) >= 20
    before = sha256_of(path)
    reasons = {}
    for sql in HOSTILE:
        sql = sql.replace("{tmp}", str(tmp_path))
        with pytest.raises(UnsafeQueryError) as err:
            readonly_query(store, sql, timeout_s=0.5)
        reasons[sql[:60]] = str(err.value)
        assert str(err.value).startswith("query refused")
    assert sha256_of(path) == before
    assert {p.name for p in path.parent.iterdir()} <= {"store.sqlite", "store.sqlite-wal", "store.sqlite-shm"}
    assert not (tmp_path / "pwned.txt").exists() and not (tmp_path / "evil.sqlite").exists()
    assert store.stats()["conductivity_measurements"] == 30
    assert "ran longer than the limit of 0.5 s" in reasons[RUNAWAY[:60]]
    assert "characters long" in reasons[HOSTILE[-2][:60]]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO materials (formula) VALUES ('evil')",
        "UPDATE materials SET formula = 'evil'",
        "DELETE FROM conductivity_measurements",
        "DROP TABLE materials",
        "CREATE TABLE evil (x)",
        "ATTACH DATABASE '{tmp}/evil.sqlite' AS evil",
        "PRAGMA user_version=5",
        "PRAGMA journal_mode=WAL",
        "VACUUM",
        "REINDEX",
        "SELECT load_extension('x')",
        "SELECT writefile('{tmp}/pwned.txt', 'data')",
        "SELECT 1; DELETE FROM materials",
        "WITH x AS (DELETE FROM materials RETURNING *) SELECT * FROM x",
    ],
)
def test_connection_alone_refuses_writes(filled: tuple[Store, Path], tmp_path: Path, sql: str) -> None:
    """The read-only connection (second layer) refuses without any help from the text checks."""
    _, path = filled
    before = sha256_of(path)
    with pytest.raises((UnsafeQueryError, StoreError)):
        connection_layer(_run_sqlite_file, path, sql.replace("{tmp}", str(tmp_path)), 10, 2.0)
    assert sha256_of(path) == before
    assert not (tmp_path / "evil.sqlite").exists() and not (tmp_path / "pwned.txt").exists()


def test_connection_alone_times_out_a_runaway_query(filled: tuple[Store, Path]) -> None:
    _, path = filled
    with pytest.raises(UnsafeQueryError, match="longer than the limit"):
        connection_layer(_run_sqlite_file, path, RUNAWAY, 10, 0.3)


def test_legitimate_select_and_with_queries_work(filled: tuple[Store, Path]) -> None:
    store, _ = filled
    res = readonly_query(
        store,
        "-- conductivity per material\n"
        "SELECT m.formula, m.cation, count(*) AS n, max(c.conductivity_s_per_cm) AS sigma_max "
        "FROM conductivity_measurements c JOIN materials m ON m.id = c.material_id GROUP BY m.formula;",
    )
    assert res.columns == ("formula", "cation", "n", "sigma_max")
    assert res.rows.iloc[0].n == 30 and res.rows.iloc[0].cation == "Mg"
    assert not res.truncated and not res.sql.endswith(";") and "--" not in res.sql
    with_q = readonly_query(
        store,
        "WITH hot AS (SELECT * FROM conductivity_measurements WHERE temperature_k > 300) "
        "SELECT count(*) AS n, replace('a;b', ';', ',') AS s, "
        "CASE WHEN 1 THEN 'update; delete' END AS t FROM hot",
    )
    assert with_q.rows.values.tolist() == [[9, "a,b", "update; delete"]]
    rec = readonly_query(
        store,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT sum(x) FROM c",
    )
    assert rec.rows.iloc[0, 0] == 55
    schema = readonly_query(store, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    assert "materials" in schema.rows.name.tolist()


def test_row_limit_truncates(filled: tuple[Store, Path]) -> None:
    store, path = filled
    res = readonly_query(path, "SELECT * FROM conductivity_measurements ORDER BY id", max_rows=7)
    assert res.truncated and len(res.rows) == 7 and res.rows.id.tolist() == list(range(1, 8))
    exact = readonly_query(store, "SELECT * FROM conductivity_measurements", max_rows=30)
    assert not exact.truncated and len(exact.rows) == 30
    # an endless (streamed) recursive query is cut at the row limit, not run to the end
    endless = readonly_query(
        store, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    )
    assert endless.truncated and len(endless.rows) == 1000
    df = store.query("SELECT formula FROM materials", max_rows=1)
    assert df.attrs["truncated"] is False and df.formula.tolist() == ["Mg(BH4)2·2NH3"]


def test_sql_errors_are_store_errors_not_refusals(filled: tuple[Store, Path]) -> None:
    store, _ = filled
    with pytest.raises(StoreError, match="no such table"):
        readonly_query(store, "SELECT * FROM nowhere")
    with pytest.raises(UnsafeQueryError, match="max_rows"):
        readonly_query(store, "SELECT 1", max_rows=0)


def test_in_memory_store_is_guarded_and_stays_writable() -> None:
    store = open_store("sqlite://")
    m = MaterialRecord("LiBH4")
    store.import_batch(
        ImportBatch("d", "d" * 64, "d.csv", conductivities=[ConductivityRecord(m, 300.0, 1e-3)])
    )
    with pytest.raises(UnsafeQueryError):
        readonly_query(store, "DELETE FROM conductivity_measurements")
    with pytest.raises(UnsafeQueryError):
        connection_layer(_run_sqlite_shared, store.engine, "DELETE FROM conductivity_measurements", 10, 1.0)
    assert store.query("SELECT count(*) AS n FROM conductivity_measurements").n[0] == 1
    store.import_batch(
        ImportBatch("d", "e" * 64, "e.csv", conductivities=[ConductivityRecord(m, 310.0, 2e-3)])
    )
    assert store.stats()["conductivity_measurements"] == 2


def test_tokenizer_keeps_strings_and_drops_comments() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("SELECT 'a;--b' AS \"x;y\" /* c; */ FROM [t;] -- z;\n;")]
    assert kinds == [
        ("word", "SELECT"), ("string", "'a;--b'"), ("word", "AS"), ("quoted", '"x;y"'), ("word", "FROM"),
        ("quoted", "[t;]"), ("semicolon", ";"),
    ]  # fmt: skip
    assert check_readonly_sql("SELECT E'\\'; DELETE' AS s") == "SELECT E'\\'; DELETE' AS s"
    assert check_readonly_sql("select $$; delete $$ as s;  ") == "select $$; delete $$ as s"
    with pytest.raises(UnsafeQueryError, match="only one statement"):
        check_readonly_sql("SELECT 'it''s'; DELETE FROM x")
    with pytest.raises(UnsafeQueryError, match="empty"):
        check_readonly_sql(" ;; -- nothing")
