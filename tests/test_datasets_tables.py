"""Generic tables: column maps, declared units, file formats and the per-row checks (no store needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sselab.cli.main import app
from sselab.datasets.columnmap import build_column_map, convert, load_map_file, parse_assignments, resolve
from sselab.datasets.tables import read_table
from sselab.datasets.validation import screen_parsed_file
from sselab.errors import ConfigError, DataImportError, SselabError
from sselab.store.limits import IMPORT_RANGES

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "templates" / "wang2025_quoted_values.csv"
EXAMPLE_MAP = REPO / "docs" / "templates" / "wang2025_quoted_values.toml"
LAB = {
    "columns": {"formula": "Compound", "temperature": "T (C)", "conductivity": "sigma (mS/cm)",
                "activation_energy": "Ea (eV)", "method": "Method", "doi": "DOI", "parameters": "Params"},
    "units": {"temperature": "°C", "conductivity": "mS/cm", "activation_energy": "eV"},
}  # fmt: skip
WIDE = {"COLUMNS": "200"}
HEADER = "Compound,T (C),sigma (mS/cm),Ea (eV),Method,DOI,Params"


@pytest.mark.parametrize(
    ("quantity", "unit", "value", "expected"),
    [
        ("temperature", "°C", 25.0, 298.15),
        ("temperature", "degC", 100.0, 373.15),
        ("temperature", "K", 300.0, 300.0),
        ("temperature", "1000/K", 2.5, 400.0),
        ("conductivity", "mS/cm", 2.0, 2e-3),
        ("conductivity", "µS/cm", 5.0, 5e-6),
        ("conductivity", "S/m", 1.0, 1e-2),
        ("conductivity", "S cm-1", 3e-4, 3e-4),
        ("conductivity", "log10(S/cm)", -3.0, 1e-3),
        ("conductivity", "log10(mS/cm)", -1.0, 1e-4),
        ("activation_energy", "meV", 550.0, 0.55),
        ("activation_energy", "kJ/mol", 96.4853321, 1.0),  # Faraday constant: 1 eV per ion = 96.485 kJ/mol
        ("activation_energy", "kcal/mol", 23.0605478, 1.0),
    ],
)
def test_units_convert_to_the_store_units(quantity: str, unit: str, value: float, expected: float) -> None:
    assert convert(quantity, unit, value) == pytest.approx(expected, rel=1e-6)


def test_log_sigma_t_needs_the_temperature() -> None:
    assert convert("conductivity", "log10(S K/cm)", 0.0, temperature_k=400.0) == pytest.approx(1 / 400)
    with pytest.raises(ValueError, match="needs the row's temperature"):
        convert("conductivity", "log10(S K/cm)", 0.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": {"formula": "f", "temperature": "T"}}, "units.temperature is required"),
        ({"columns": {"formula": "f", "Ea": "E"}}, "unknown field 'Ea'"),
        ({"units": {"temperature": "F"}}, "not a temperature unit; use one of K, °C, 1000/K"),
        ({"units": {"conductivity": "log(S/cm)"}}, "not a conductivity unit"),
        ({"units": {"activation_energy": "kJ"}}, "use one of eV, meV, kJ/mol, kcal/mol"),
        ({"units": {"method": "eV"}}, "'method' takes no unit"),
        ({"defaults": {"formula": "LiBH4"}}, "no default for 'formula'"),
        ({"defaults": {"temperature": "warm"}, "units": {"temperature": "K"}}, "'warm' is not a number"),
        ({"delimiter": ";;"}, "the delimiter is one character"),
        ({"sheets": "x"}, "sheets: Extra inputs are not permitted"),
    ],
)
def test_bad_column_maps_are_refused_naming_the_key(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match="the options") as error:
        build_column_map(options=options, source="the options")
    assert message in str(error.value)


def test_toml_and_yaml_maps_are_the_same_and_options_win(tmp_path: Path) -> None:
    toml = tmp_path / "map.toml"
    toml.write_text('dataset = "lab"\n[columns]\nformula = "Compound"\ntemperature = "T (C)"\n'
                    '[units]\ntemperature = "°C"\n', encoding="utf-8")  # fmt: skip
    yaml = tmp_path / "map.yaml"
    yaml.write_text("dataset: lab\ncolumns:\n  formula: Compound\n  temperature: T (C)\n"
                    "units:\n  temperature: °C\n", encoding="utf-8")  # fmt: skip
    assert build_column_map(load_map_file(toml)) == build_column_map(load_map_file(yaml))
    overridden = build_column_map(load_map_file(toml), {"units": {"temperature": "K"}, "dataset": "other"})
    assert overridden.unit("temperature") == "K" and overridden.dataset == "other"
    assert overridden.columns == {"formula": "Compound", "temperature": "T (C)"}
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\nformula = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_map_file(broken)
    with pytest.raises(ConfigError, match=r"use a \.toml or \.yaml file"):
        load_map_file(tmp_path / "map.json")
    with pytest.raises(ConfigError, match="write FIELD=VALUE"):
        parse_assignments(["formula"], "--col")


def test_resolve_names_missing_columns_and_recognises_sselab_names() -> None:
    column_map = build_column_map(options={"columns": {"formula": "Compound"}})
    with pytest.raises(ConfigError, match=r"formula='Compound'.* not in the header; the header has \['f'\]"):
        resolve(column_map, ["f"], "t.csv")
    resolved = resolve(
        build_column_map(), ["formula", "temperature_c", "conductivity_s_per_cm", "x"], "t.csv"
    )
    assert resolved.units == {"temperature": "°C", "conductivity": "S/cm"}
    assert resolved.unused == ("x",) and "temperature_c" in resolved.recognised
    with pytest.raises(ConfigError, match="no formula column"):
        resolve(build_column_map(), ["Compound"], "t.csv")


def _lab_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_every_refusal_names_the_file_line_column_and_raw_text(tmp_path: Path) -> None:
    rows = [
        "LiBH4,120,2.0,,,10.5555/t.1,",  # line 2: good σ row
        "",  # line 3: blank, must not shift the lines after it
        "LiBH4,130,2.90E-0,,,10.5555/t.1,",  # 4: truncated exponent
        "LiBH4,-300,1.0,,,10.5555/t.1,",  # 5: below absolute zero
        "LiBH4,140,2e4,,,10.5555/t.1,",  # 6: 20 S/cm
        "Mg(BH4)2,,,45,experiment,10.5555/t.1,",  # 7: 45 'eV' (kJ/mol?)
        "Mg(BH4)2,,,0.9,NEB,10.5555/t.1,",  # 8: unknown method
        "Mg(BH4)2,,,0.9,AIMD,see the paper,",  # 9: not a DOI
        "Mg(BH4)2,,,0.9,AIMD,,",  # 10: no source
        "LiBH4,120,2.0,,,10.5555/t.1,",  # 11: repeats line 2
        "Mg(BH4)2,,,0.9,,10.5555/t.1,",  # 12: Ea without a method
        'Mg(BH4)2,,,0.9,MLMD,10.5555/t.1,"{""steps"": 10"',  # 13: parameters not JSON
        'Mg(BH4)2,,,0.95,mlmd,https://doi.org/10.5555/t.2,"{""steps"": 10}"',  # 14: good Ea row
    ]
    parsed = screen_parsed_file(
        read_table(_lab_file(tmp_path / "lab.csv", rows), build_column_map(options=LAB))
    )
    found = {(s.row, s.field): (s.reason, s.raw) for s in parsed.skipped}
    expected = {
        (4, "sigma (mS/cm)"): ("truncated", "2.90E-0"),
        (5, "T (C)"): ("below absolute zero", "-300"),
        (6, "sigma (mS/cm)"): ("20 S/cm is outside the plausible range", "2e4"),
        (7, "Ea (eV)"): ("as kJ/mol it would be 0.466 eV", "45"),
        (8, "Method"): ("unknown method 'NEB'", "NEB"),
        (9, "DOI"): ("not a DOI", "see the paper"),
        (10, None): ("no source", ""),
        (11, None): ("duplicate of row 2", ""),
        (12, "Method"): ("no method for this activation energy", ""),
        (13, "Params"): ("not a JSON object", '{"steps": 10'),
    }
    assert set(found) == set(expected)
    for key, (reason, raw) in expected.items():
        assert reason in found[key][0] and found[key][1] == raw, (key, found[key])
    assert parsed.imported_rows == {2, 14}
    (sigma,), (ea,) = parsed.conductivities, parsed.activation_energies
    assert sigma.temperature_k == pytest.approx(393.15) and sigma.conductivity_s_per_cm == pytest.approx(2e-3)
    assert (ea.method, ea.source.doi, ea.parameters, ea.row_number) == (
        "MLMD",
        "10.5555/t.2",
        {"steps": 10},
        14,
    )
    assert any("'mlmd' read as 'MLMD'" in text for text in parsed.assumptions)
    assert any("T(K) = value + 273.15" in text for text in parsed.assumptions)


def test_csv_tsv_excel_and_parquet_give_the_same_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"Compound": ["LiBH4", "LiBH4", "Mg(BH4)2·2NH3"], "T (C)": [120.0, 130.0, None],
         "sigma (mS/cm)": [2.0, 3.0, None], "Ea (eV)": [None, None, 1.2], "Method": [None, None, "MetaD"],
         "DOI": ["10.5555/t.1"] * 3, "Params": [None, None, None]}
    )  # fmt: skip
    paths = {"csv": tmp_path / "t.csv", "tsv": tmp_path / "t.tsv", "xlsx": tmp_path / "t.xlsx",
             "parquet": tmp_path / "t.parquet"}  # fmt: skip
    frame.to_csv(paths["csv"], index=False)
    frame.to_csv(paths["tsv"], index=False, sep="\t")
    frame.to_excel(paths["xlsx"], index=False, sheet_name="data")
    frame.to_parquet(paths["parquet"], index=False)
    column_map = build_column_map(options=LAB)

    def rows(path: Path) -> list[tuple]:
        parsed = read_table(path, column_map, dataset="lab")
        assert not parsed.skipped, parsed.skipped
        sigma = [(r.material.formula, r.temperature_k, r.conductivity_s_per_cm, r.row_number)
                 for r in parsed.conductivities]  # fmt: skip
        ea = [
            (r.material.formula, r.activation_energy_ev, r.method, r.row_number)
            for r in parsed.activation_energies
        ]
        return sigma + ea

    reference = rows(paths["csv"])
    assert [r[-1] for r in reference] == [2, 3, 4]
    for kind in ("tsv", "xlsx", "parquet"):
        assert rows(paths[kind]) == reference, kind
    sheet_map = build_column_map(options={**LAB, "sheet": "nope"})
    with pytest.raises(DataImportError, match=r"no sheet 'nope'; the workbook has \['data'\]"):
        read_table(paths["xlsx"], sheet_map)
    with pytest.raises(DataImportError, match=r"unknown table type '\.ods'"):
        read_table(tmp_path / "t.ods", column_map)


def test_registered_dataset_names_are_refused(tmp_path: Path) -> None:
    path = _lab_file(tmp_path / "lab.csv", ["LiBH4,120,2.0,,,10.5555/t.1,"])
    with pytest.raises(ConfigError, match="'obelix' is a registered public dataset"):
        read_table(path, build_column_map(options=LAB), dataset="obelix")
    assert read_table(path, build_column_map(options=LAB)).dataset == "lab"  # the file's stem


def test_example_table_from_wang2025_reads_as_quoted() -> None:
    """Numbers as Wang et al., Angew. Chem. Int. Ed. 2025 quote them in their text (see the file)."""
    parsed = read_table(EXAMPLE, build_column_map(load_map_file(EXAMPLE_MAP)))
    assert not parsed.skipped and parsed.rows_read == 13 and parsed.dataset == "wang2025-text"
    ea = {(r.material.formula, r.method, r.source.citation.split(",")[0]): r.activation_energy_ev
          for r in parsed.activation_energies}  # fmt: skip
    assert ea[("Li3PS4", "CI-NEB", "N. D. Lepley")] == 0.7  # LLM Insight 2, ref. 33
    assert ea[("Li3PS4", "experiment", "K. Homma")] == 0.22  # ref. 34
    assert ea[("Li3PS4", "experiment", "M. Tachez")] == 0.49  # ref. 35
    assert [ea[("LiTaSiO5", m, "Q. Wang")] for m in ("CI-NEB", "AIMD", "experiment")] == [0.82, 0.63, 0.46]
    assert ea[("Mg(BH4)2·6(CH3)2CHNH2", "MetaD", "Q. Wang et al.")] == 0.62  # Figure 4e
    sigma = {r.material.formula: (r.temperature_k, r.conductivity_s_per_cm) for r in parsed.conductivities}
    assert sigma == {"LiBH4": (313.0, 8e-8), "LiBH4·1/2NH3": (313.0, 7e-4)}  # LLM Insight 1, ref. 30
    assert {r.source.doi for r in parsed.conductivities} == {"10.1039/C9CC09990E"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.tuples(
            st.text(max_size=12) | st.floats(allow_nan=True).map(repr),
            st.text(max_size=12) | st.floats(allow_nan=True).map(repr),
            st.text(max_size=12) | st.floats(allow_nan=True).map(repr),
        ),
        min_size=1,
        max_size=6,
    ),
    unit=st.sampled_from(["°C", "K", "1000/K"]),
    sigma_unit=st.sampled_from(["mS/cm", "log10(S/cm)", "log10(S K/cm)", "S/m"]),
)
def test_any_cell_text_gives_a_report_or_a_clean_error_never_an_absurd_value(
    tmp_path: Path, cells: list[tuple[str, str, str]], unit: str, sigma_unit: str
) -> None:
    import csv

    path = tmp_path / "fuzz.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["formula", "T", "sigma", "Ea", "doi"])
        for t, s, e in cells:
            writer.writerow(["LiBH4", t, s, e, "10.5555/fuzz"])
    options = {"columns": {"formula": "formula", "temperature": "T", "conductivity": "sigma",
                           "activation_energy": "Ea", "doi": "doi"},
               "units": {"temperature": unit, "conductivity": sigma_unit, "activation_energy": "meV"},
               "defaults": {"method": "experiment"}}  # fmt: skip
    try:
        parsed = read_table(path, build_column_map(options=options), dataset="fuzz")
    except SselabError:
        return
    for record in parsed.conductivities:
        assert IMPORT_RANGES["temperature_k"].contains(record.temperature_k)
        assert IMPORT_RANGES["conductivity_s_per_cm"].contains(record.conductivity_s_per_cm)
    for ea in parsed.activation_energies:
        assert IMPORT_RANGES["activation_energy_ev"].contains(ea.activation_energy_ev)


def test_import_table_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    path = _lab_file(tmp_path / "lab.csv", ["LiBH4,120,2.0,,,10.5555/t.1,"])
    db = str(tmp_path / "s.sqlite")
    runner = CliRunner()
    cases = [
        (["--col", "formula"], "write FIELD=VALUE"),
        (["--col", "formula=Compound", "--col", "temperature=T (C)", "--unit", "temperature=F"],
         "not a temperature unit"),
        (["--col", "formula=Compound", "--col", "temperature=T (C)"], "units.temperature is required"),
        (["--col", "formula=Nope"], "not in the header"),
        (["--map", str(tmp_path / "missing.toml")], "cannot read it"),
        (["--dataset", "wang2025-ea", "--col", "formula=Compound"], "registered public dataset"),
    ]  # fmt: skip
    for options, message in cases:
        result = runner.invoke(app, ["data", "import-table", str(path), *options, "--db", db], env=WIDE)
        assert result.exit_code == 2, (options, result.output)
        assert message in result.output and "Traceback" not in result.output
    missing = runner.invoke(app, ["data", "import-table", str(tmp_path / "none.csv"), "--db", db], env=WIDE)
    assert missing.exit_code == 2 and "no such file" in missing.output
    args = ["--col", "formula=Compound", "--col", "temperature=T (C)", "--unit", "temperature=°C", "--col",
            "conductivity=sigma (mS/cm)", "--unit", "conductivity=mS/cm", "--col", "doi=DOI"]  # fmt: skip
    dry = runner.invoke(app, ["data", "import-table", str(path), *args, "--dry-run", "--db", db])
    assert dry.exit_code == 0 and "dry run: nothing stored" in dry.output
    assert not Path(db).exists()


def test_the_docs_templates_are_valid_maps_and_sselab_names() -> None:
    templates = REPO / "docs" / "templates"
    toml = build_column_map(load_map_file(templates / "column_map_template.toml"))
    assert toml == build_column_map(load_map_file(templates / "column_map_template.yaml"))
    assert toml.unit("uncertainty") == "kJ/mol" and toml.defaults == {"method": "experiment"}
    header = (templates / "sselab_table_template.csv").read_text(encoding="utf-8").strip().split(",")
    resolved = resolve(build_column_map(), header, "sselab_table_template.csv")
    assert resolved.unused == () and set(resolved.recognised) == set(header)
