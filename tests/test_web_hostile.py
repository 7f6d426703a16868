"""Hostile input against a live ``sselab serve`` app on 127.0.0.1: every malformed or malicious query string
or path gets a 4xx page with a reason (never a 500 or a traceback), and the store file's sha256 stays the
same."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from test_assistant_support import sha256_of
from web_support import copy_of, live_server, public_store_file, screening_store_file

LONG = "A" * 5000
HOSTILE: list[tuple[str, str]] = [
    # SQL fragments in parameters
    ("GET", "/materials?valence=" + quote("2;DROP TABLE materials")),
    ("GET", "/materials?valence=" + quote("2 OR 1=1")),
    ("GET", "/materials?sort=" + quote("formula;--")),
    ("GET", "/materials?sort=" + quote("(SELECT doi FROM sources)")),
    ("GET", "/materials?order=" + quote("asc; DELETE FROM materials")),
    ("GET", "/materials?q=" + quote("' OR '1'='1")),
    ("GET", "/materials?q=" + quote("x'); DROP TABLE materials;--")),
    ("GET", "/materials?cation=" + quote("Mg'--")),
    ("GET", "/materials?anion_family=" + quote("oxide' UNION SELECT sql FROM sqlite_master--")),
    ("GET", "/materials?neutral_molecule=" + quote("NH3);ATTACH DATABASE '/tmp/x' AS x;--")),
    ("GET", "/materials?dataset=" + quote("obelix' OR ''='")),
    ("GET", "/compare/arrhenius?id=" + quote("1;DROP TABLE sources")),
    ("GET", "/compare/benchmark?method=" + quote("MetaD' OR 1=1--")),
    ("GET", "/screening?run=" + quote("wang2025-candidates' OR '1'='1")),
    ("GET", "/screening?run=wang2025-candidates&route=" + quote("y1' OR 1=1--")),
    ("GET", "/screening?run=wang2025-candidates&route=" + quote("y1\u202e")),
    ("GET", "/screening?run=wang2025-candidates&table=" + quote("screening_runs; DROP TABLE imports")),
    ("GET", "/screening?run=wang2025-candidates&per_page=" + "9" * 40),
    # huge, negative and non-finite numbers
    ("GET", "/materials?page=99999999999999999999999999"),
    ("GET", "/materials?page=-1"),
    ("GET", "/materials?per_page=100000"),
    ("GET", "/materials?per_page=0"),
    ("GET", "/materials?ea_min=1e309"),
    ("GET", "/materials?ea_min=nan"),
    ("GET", "/materials?t_min=-5"),
    ("GET", "/materials?t_max=inf"),
    ("GET", "/materials?neutral_count_min=1e400"),
    ("GET", "/materials?ea_min=0.5&ea_max=0.1"),
    ("GET", "/material/99999999999999999999999999"),
    ("GET", "/material/-1"),
    ("GET", "/material/0x10"),
    ("GET", "/material/1.5"),
    ("GET", "/compare/arrhenius?" + "&".join(f"id={i}" for i in range(1, 23))),
    ("GET", "/compare/arrhenius?id=" + "9" * 40),
    # unicode, control characters, markup, over-long input
    ("GET", "/materials?cation=" + quote("Ā")),
    ("GET", "/materials?q=" + quote("Mg\u202e(BH4)2")),
    ("GET", "/materials?q=" + quote("<script>alert(1)</script>")),
    ("GET", "/materials?q=%00"),
    ("GET", "/materials?q=" + LONG),
    ("GET", "/ask?q=" + quote("\x01\x02\x1b[31m")),
    ("GET", "/materials?neutral=maybe"),
    ("GET", "/materials?has_sigma=perhaps"),
    ("GET", "/materials?format=exe"),
    ("GET", "/materials?unknown=1"),
    ("GET", "/materials?sort=formula&sort=dataset"),
    ("GET", "/materials?" + quote("valence[]") + "=2"),
    # path traversal and odd paths
    ("GET", "/material/" + quote("1 OR 1=1")),
    ("GET", "/material/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/static/../../../etc/passwd"),
    ("GET", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
    ("GET", "/static/..%5c..%5cstore.sqlite"),
    ("GET", "/static/" + quote("plotly.min.js\x00.py")),
    ("GET", "/structure/" + quote("1' OR 1=1") + ".cif"),
    ("GET", "/structure/../../store.cif"),
    ("GET", "/run/1/figure/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/run/1/figure/" + quote("fes.png;rm -rf /")),
    ("GET", "/ask/recipe/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/ask/recipe/neutral-molecules?valence=" + quote("2; DROP TABLE materials")),
    ("GET", "/store.sqlite"),
    ("GET", "/..%2Fstore.sqlite"),
    # methods that could write
    ("POST", "/materials"),
    ("PUT", "/material/1"),
    ("DELETE", "/material/1"),
    ("PATCH", "/models"),
    ("DELETE", "/screening?run=wang2025-candidates"),
]


def _send(base: str, method: str, path: str, host: str | None = None) -> tuple[int, str]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_hostile_requests_get_4xx_and_leave_the_store_unchanged(
    tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path, tmp_path: Path
) -> None:
    path = copy_of(screening_store_file(tmp_path_factory), tmp_path / "store")
    before = sha256_of(path)
    assert len(HOSTILE) >= 30
    failures = []
    with live_server(path) as base:
        assert _send(base, "GET", "/materials?valence=2")[0] == 200
        for method, target in HOSTILE:
            status, body = _send(base, method, target)
            if not 400 <= status < 500 or "Traceback" in body or "sqlite3." in body:
                failures.append(f"{method} {target[:80]} -> {status}: {body[:200]!r}")
        status, body = _send(base, "GET", "/materials", host="evil.example")
        if status != 400:
            failures.append(f"Host evil.example -> {status}")
        assert _send(base, "GET", "/materials?valence=2")[0] == 200
    assert not failures, "\n".join(failures)
    assert sha256_of(path) == before


def test_a_refusal_names_the_parameter_and_the_reason(
    tmp_path_factory: pytest.TempPathFactory, dataset_mirror: Path
) -> None:
    path = public_store_file(tmp_path_factory)
    with live_server(path) as base:
        status, body = _send(base, "GET", "/materials?per_page=100000")
        assert status == 400 and "per_page" in body and "less than or equal to 200" in body
        status, body = _send(base, "GET", "/materials?q=" + quote("a;b"))
        assert status == 400 and "does not occur in formulas" in body
        status, body = _send(base, "GET", "/materials?q=" + quote("<b>x</b>"))
        assert "<b>x</b>" not in body
        status, body = _send(base, "GET", "/materials?q=" + LONG)
        assert status == 414 and "4096" in body
        status, body = _send(base, "GET", "/material/123456789")
        assert status == 404 and "no material with id 123456789" in body
