"""A real headless Chromium (Debian's) for the tests that open pages."""

from __future__ import annotations

import contextlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
# Chromium's own connections are refused on a closed network: keep them off.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@contextlib.contextmanager
def browser_page(width=1000, height=800):
    """A new tab, and the list its page errors and console errors go to."""
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            yield tab, errors
        finally:
            browser.close()


# The edges nilearn's connectome page draws: its line trace holds two points
# and a gap (null) per edge.
DRAWN_EDGES = """() => {
    const plot = document.querySelector('.js-plotly-plot');
    const lines = plot.data.filter(t => t.type === 'scatter3d' && t.mode === 'lines');
    return lines.reduce((n, t) => n + t.x.filter(v => v === null).length, 0);
}"""
