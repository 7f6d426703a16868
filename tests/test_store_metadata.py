"""Material metadata (JSON column from revision 0002) and the bulk-import fast paths of the store."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sselab.store import ConductivityRecord, ImportBatch, MaterialRecord, Store, open_store
from sselab.store.engine import json_dumps, json_memo
from sselab.store.store import MATERIAL_COLUMNS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    yield s
    s.close()


def _sigma(material: MaterialRecord | str, i: int = 0) -> ConductivityRecord:
    return ConductivityRecord(material, 300.0 + i, 1e-5, row_number=i + 2)


def test_metadata_round_trips_through_materials_frame(store: Store) -> None:
    facts = {"space_group": "P -1", "space_group_number": 2, "a_angstrom": 5.5071, "z": 1, "bad": math.nan}
    with_meta = MaterialRecord.from_formula("Li7BiO6", metadata=facts)
    plain = MaterialRecord.from_formula("LiBH4")
    store.import_batch(
        ImportBatch("demo", "a" * 64, "x.csv", conductivities=[_sigma(with_meta), _sigma(plain)])
    )
    frame = store.materials_frame()
    assert list(frame.columns) == MATERIAL_COLUMNS and MATERIAL_COLUMNS[-1] == "metadata"
    stored = frame.set_index("formula").metadata
    # NaN is not JSON: it is stored as null, everything else as given
    assert stored["Li7BiO6"] == {**facts, "bad": None}
    assert stored["LiBH4"] is None
    # SQL NULL (not the JSON text 'null') for a material without metadata
    assert store.query("SELECT formula FROM materials WHERE metadata IS NULL").formula.tolist() == ["LiBH4"]


def test_metadata_is_filled_in_later_but_never_overwritten(store: Store) -> None:
    store.import_batch(ImportBatch("d", "a" * 64, "1.csv", conductivities=[_sigma(MaterialRecord("LiBH4"))]))
    later = MaterialRecord("LiBH4", metadata={"family": "borohydride"})
    store.import_batch(ImportBatch("d", "b" * 64, "2.csv", conductivities=[_sigma(later, 1)]))
    other = MaterialRecord("LiBH4", metadata={"family": "changed"})
    store.import_batch(ImportBatch("d", "c" * 64, "3.csv", conductivities=[_sigma(other, 2)]))
    frame = store.materials_frame()
    assert len(frame) == 1 and frame.metadata[0] == {"family": "borohydride"}
    assert frame.cation.isna().all()  # still unparsed: no record carried a parse
    # an unparsed material gets the parse of a later parsed record and keeps its metadata
    store.import_batch(
        ImportBatch("d", "d" * 64, "4.csv", conductivities=[_sigma(MaterialRecord.from_formula("LiBH4"), 3)])
    )
    frame = store.materials_frame()
    assert frame.cation[0] == "Li" and frame.metadata[0] == {"family": "borohydride"}


def test_records_with_metadata_stay_hashable() -> None:
    a = MaterialRecord("LiBH4", metadata={"z": 2})
    b = MaterialRecord("LiBH4", metadata={"z": 2})
    assert a == b and len({a, b}) == 1
    assert MaterialRecord("LiBH4", metadata={"z": 3}) != a


def test_many_materials_sharing_one_parse_store_their_own_rows(store: Store) -> None:
    parsed = MaterialRecord.from_formula("Mg(BH4)2·2NH3").parsed
    records = [
        _sigma(MaterialRecord(f"Mg(BH4)2·2NH3 [replica {k}]", parsed, metadata={"k": k}), k)
        for k in range(50)
    ]
    result = store.import_batch(ImportBatch("rep", "e" * 64, "rep.csv", conductivities=records))
    assert result.inserted["materials"] == 50
    frame = store.materials_frame()
    assert (frame.cation == "Mg").all() and (frame.neutral_count == 2.0).all()
    assert all(c == {"Mg": 1.0, "B": 2.0, "H": 14.0, "N": 2.0} for c in frame.composition)
    assert sorted(m["k"] for m in frame.metadata) == list(range(50))
    parsed_text = store.query("SELECT DISTINCT parsed FROM materials").parsed.tolist()
    assert len(parsed_text) == 1 and json.loads(parsed_text[0])["cation"] == "Mg"
    cf = store.conductivity_frame()
    assert len(cf) == 50 and cf.material_id.nunique() == 50


def test_json_dumps_cleans_nan_and_numpy_and_memo_reuses_only_the_same_object() -> None:
    value = {"a": np.float64(1.5), "b": [math.inf, np.int64(3)], "c": (1, 2), "d": np.array([0.5, math.nan])}
    assert json.loads(json_dumps(value)) == {"a": 1.5, "b": [None, 3], "c": [1, 2], "d": [0.5, None]}
    assert json_dumps({"x": 1.0}) == json.dumps({"x": 1.0})
    shared = {"x": 1}
    with json_memo():
        assert json_dumps(shared) == '{"x": 1}'
        assert json_dumps(shared) == '{"x": 1}'
        assert json_dumps({"x": 2}) == '{"x": 2}'  # an equal-looking new object is encoded afresh
    shared["x"] = 5
    assert json_dumps(shared) == '{"x": 5}'  # outside the block nothing is remembered


def test_driver_level_bulk_insert_failing_mid_batch_rolls_everything_back(tmp_path: Path) -> None:
    """Conductivity rows go to the SQLite driver directly; a row it cannot bind undoes the whole batch."""
    import hashlib

    from sselab.errors import DataImportError

    path = tmp_path / "fast.sqlite"
    store = open_store(f"sqlite:///{path}")
    store.import_batch(ImportBatch("d", "a" * 64, "1.csv", conductivities=[_sigma(MaterialRecord("LiBH4"))]))
    store.close()  # the write-ahead log is folded into the file: its bytes are the stored state
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    store = open_store(f"sqlite:///{path}")
    rows = [_sigma(MaterialRecord.from_formula(f"LiBH4·{k}NH3", metadata={"k": k}), k) for k in range(1, 200)]
    rows.append(ConductivityRecord("NaBH4", 300.0, 1e-3, phase=object(), row_number=999))  # type: ignore[arg-type]
    with pytest.raises(DataImportError, match=r"2\.csv"):
        store.import_batch(ImportBatch("d", "b" * 64, "2.csv", conductivities=rows))
    store.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    again = open_store(f"sqlite:///{path}")
    assert again.stats()["materials"] == 1 and again.stats()["conductivity_measurements"] == 1
    again.close()


def test_metadata_that_is_not_a_mapping_is_refused_naming_row_and_field(store: Store) -> None:
    from sselab.errors import DataImportError

    bad = MaterialRecord("LiBH4", metadata=["P -1"])  # type: ignore[arg-type]
    with pytest.raises(DataImportError) as err:
        store.import_batch(ImportBatch("d", "a" * 64, "m.csv", conductivities=[_sigma(bad, 5)]))
    assert (err.value.file, err.value.row, err.value.field) == ("m.csv", 7, "metadata")
    unserialisable = MaterialRecord("LiBH4", metadata={"x": object()})
    with pytest.raises(DataImportError, match=r"m2\.csv"):
        store.import_batch(ImportBatch("d", "b" * 64, "m2.csv", conductivities=[_sigma(unserialisable)]))
    assert sum(store.stats().values()) == 0
