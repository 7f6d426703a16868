"""The README's screenshot of ``sselab serve``, taken in headless Debian chromium (Playwright).

Builds a store with the four public datasets from the mirror, serves it on a free port of 127.0.0.1, opens
the page of the material with the most σ(T) points, waits for Plotly to draw the Arrhenius plot and saves a
256-colour PNG (small enough to commit) to ``docs/img/serve_material.png``.

Run: ``.venv/bin/python benchmarks/web_screenshot.py``
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_web_load import build_store, free_port

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "serve_material.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="sselab-shot-") as folder:
        store = build_store(Path(folder))
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "sselab.cli.main", "serve", "--db", str(store), "--port", str(port)],
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/materials?has_sigma=true&sort=n_sigma&order=desc")
                page.locator("#materials tbody a.material-link").first.click()
                page.wait_for_selector("#arrhenius[data-rendered=true]", timeout=30_000)
                raw = Path(folder) / "shot.png"
                page.screenshot(path=str(raw), full_page=False)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        Image.open(raw).convert("RGB").quantize(colors=256).save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
