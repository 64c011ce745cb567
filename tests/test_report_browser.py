"""The reports in a real headless browser (issue 12).

Chromium (Debian's ``chromium`` package; CI installs it best-effort in ``.ci/run``) opens each
kind of report: a classifier's and a regressor's ``fit`` report, a ``compare`` report and an
``evaluate`` report. The page must load without console messages (the report has no scripts,
so any message is an error: a failed image, a bad URL, a script error), every <img> must
decode (naturalWidth > 0) and be visible, nothing may stretch the page sideways, and a
screenshot of each is taken (and kept in ``$PROBNN_SCREENSHOT_DIR`` when that is set). Every
figure the reports make is checked for overlapping text and legends over data on the
matplotlib Figure objects themselves (:func:`probnn.report.plots.layout_problems`).

Without a browser the tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
            "headless_shell")  # fmt: skip
WINDOW = (1280, 2400)
KINDS = ("fit-classifier", "fit-regressor", "compare", "evaluate")


def _browser() -> str | None:
    named = os.environ.get("PROBNN_BROWSER")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


BROWSER = _browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium found (looked for " + ", ".join(BROWSERS) + " and $PROBNN_BROWSER); "
    "install Debian's: apt-get install chromium",
)


def chromium(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throw-away profile; stderr carries the console log."""
    with tempfile.TemporaryDirectory(prefix="probnn-chromium-") as profile:
        command = [BROWSER, "--headless", "--disable-gpu", "--no-sandbox",
                   "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                   f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return result


def console_messages(stderr: str) -> list[str]:
    """The page's console messages in Chromium's log (``INFO:CONSOLE(12)] "...", source: ...``)."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]\d*", line)]


# Appended to a copy of the page: after the load event (every image fetched and decoded or
# failed), write what each image looks like into an attribute that --dump-dom prints.
_CHECK = """<script>
window.addEventListener("load", () => {
  const images = [...document.images].map((img) => {
    const box = img.getBoundingClientRect();
    const style = getComputedStyle(img);
    return {alt: img.alt, complete: img.complete, natural: [img.naturalWidth, img.naturalHeight],
            shown: [box.width, box.height], hidden: style.visibility === "hidden" ||
            style.display === "none" || Number(style.opacity) === 0};
  });
  const page = {images: images, scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth};
  document.body.setAttribute("data-probnn-check", JSON.stringify(page));
});
</script>"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The four kinds of report, written by the command line, and the Figures each made."""
    from probnn.cli import main
    import probnn.report.plots as plots

    root = tmp_path_factory.mktemp("reports")
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=(n, 3))
    price = np.round(2e5 + 6e4 * x[:, 0] + 2e4 * rng.standard_t(4, n), 2)  # dollars
    pet = np.array(["cat", "dog", "eel", "fox"])[np.argmax(np.c_[x, -x.sum(1)] + rng.normal(size=(n, 4)), 1)]
    data = root / "houses.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "price": price, "pet": pet}).to_csv(
        data, index=False)
    made: dict[str, list] = {}
    runs = {
        "fit-classifier": ["fit", data, "--target", "pet", "--drop", "price", "--out",
                           root / "pets.safetensors", "--report", root / "fit-classifier"],
        "fit-regressor": ["fit", data, "--target", "price", "--drop", "pet", "--out",
                          root / "prices.safetensors", "--report", root / "fit-regressor"],
        "compare": ["compare", data, "--target", "price", "--drop", "pet", "--families",
                    "normal,laplace,studentt", "--report", root / "compare"],
        "evaluate": ["evaluate", root / "prices.safetensors", data, "--report",
                     root / "evaluate"],
    }  # fmt: skip
    training = ["--hidden", "16", "--epochs", "40", "--lr", "0.01", "--quiet"]
    original = plots.figure_to_png
    with pytest.MonkeyPatch.context() as patch:
        for kind, args in runs.items():
            made[kind] = []

            def record(fig, *a, _kind=kind, **k):
                made[_kind].append(fig)
                return original(fig, *a, **k)

            patch.setattr(plots, "figure_to_png", record)
            extra = training if kind != "evaluate" else []
            code = main([str(a) for a in args] + extra)
            assert code == 0, kind
    return {kind: (root / kind / "report.html", made[kind]) for kind in KINDS}


@pytest.fixture(scope="module")
def browsed(reports, tmp_path_factory):
    """Open each report once: the DOM after loading (with the image check) and a screenshot."""
    shots = tmp_path_factory.mktemp("screenshots")
    cache: dict[str, tuple] = {}

    def browse(kind: str):
        if kind not in cache:
            page, _ = reports[kind]
            check = page.with_name("check.html")  # the page plus the check script
            text = page.read_text(encoding="utf-8")
            check.write_text(text.replace("</body>", _CHECK + "\n</body>"), encoding="utf-8")
            shot = shots / f"{kind}.png"
            result = chromium(f"--window-size={WINDOW[0]},{WINDOW[1]}",
                              "--virtual-time-budget=15000", f"--screenshot={shot}",
                              "--dump-dom", check.as_uri())  # fmt: skip
            check.unlink()
            cache[kind] = (result, shot)
        return cache[kind]

    return browse


@pytest.mark.parametrize("kind", KINDS)
def test_page_loads_clean_and_every_image_decodes_and_shows(reports, browsed, kind):
    page, figures = reports[kind]
    result, _ = browsed(kind)
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    found = re.search(r'data-probnn-check="([^"]*)"', result.stdout)
    assert found, "the check script did not run: " + result.stdout[:500]
    state = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    pngs = sorted(p.name for p in page.parent.glob("*.png"))
    assert len(state["images"]) == len(pngs) == len(figures) >= 2
    for image in state["images"]:
        assert image["complete"] and min(image["natural"]) > 0, image  # decoded
        assert min(image["shown"]) > 100 and not image["hidden"], image  # visible, not a sliver
    assert state["scrollWidth"] <= state["innerWidth"]  # nothing stretches the page sideways


@pytest.mark.parametrize("kind", KINDS)
def test_screenshot_of_each_report(browsed, kind):
    import matplotlib.image

    result, shot = browsed(kind)
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    assert float(pixels[..., :3].std()) > 0.05  # text and figures, not a blank page
    keep = os.environ.get("PROBNN_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_the_report_makes_is_laid_out_for_reading(reports, kind):
    from probnn.report.plots import layout_problems

    _, figures = reports[kind]
    assert figures
    for fig in figures:
        assert layout_problems(fig) == [], fig.axes[0].get_title() if fig.axes else fig


def test_console_errors_are_caught(tmp_path):
    # the console check can fail: a page that logs an error and has a broken image
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA">'
                    '<script>console.error("broken on purpose")</script>' + _CHECK +
                    "</body></html>", encoding="utf-8")  # fmt: skip
    result = chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    messages = console_messages(result.stderr)
    assert len(messages) == 1 and "broken on purpose" in messages[0]
    state = json.loads(re.search(r'data-probnn-check="([^"]*)"', result.stdout).group(1)
                       .replace("&quot;", '"'))  # fmt: skip
    assert state["images"][0]["natural"] == [0, 0]


# ------------------------------------------------- the report at every width (issue 23)
WIDTHS = (960, 1400, 1920)

# After loading: every table's and cell's rectangle, and whether a cell's content is wider
# than the cell (clipped or drawn over its neighbour).
_LAYOUT = """<script>
window.addEventListener("load", () => {
  const rect = (el) => { const b = el.getBoundingClientRect();
                         return [b.left, b.top, b.right, b.bottom]; };
  const tables = [...document.querySelectorAll("table")].map((t) => {
    const box = t.parentElement;  // what holds the table: a card, a scroller or the body
    const scroller = getComputedStyle(box).overflowX;
    return {id: t.id, rect: rect(t), holder: rect(box), scrolls: scroller === "auto" ||
            scroller === "scroll",
            overflowing: [...t.querySelectorAll("td, th")].filter(
              (c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent.slice(0, 40))};
  });
  const cards = [...document.querySelectorAll(".cards > div")].map(rect);
  const page = {tables: tables, cards: cards, scrollWidth: document.documentElement.scrollWidth,
                innerWidth: window.innerWidth};
  document.body.setAttribute("data-probnn-layout", JSON.stringify(page));
});
</script>"""


def _overlap(a, b, tolerance=1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance
            and min(a[3], b[3]) - max(a[1], b[1]) > tolerance)  # fmt: skip


def _layout(page: Path, width: int) -> dict:
    check = page.with_name(f"layout-{width}.html")
    text = page.read_text(encoding="utf-8")
    check.write_text(text.replace("</body>", _LAYOUT + "\n</body>"), encoding="utf-8")
    try:
        result = chromium(f"--window-size={width},2400", "--virtual-time-budget=15000",
                          "--dump-dom", check.as_uri())  # fmt: skip
    finally:
        check.unlink()
    found = re.search(r'data-probnn-layout="([^"]*)"', result.stdout)
    assert found, "the layout script did not run: " + result.stderr[-1000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["fit-regressor", "compare", "evaluate"])
def test_tables_hold_their_text_at_every_width(reports, kind, width):
    """No table runs over its card or another table, no cell's text spills out of its cell,
    and the page never scrolls sideways (a table wider than the page scrolls in its own box),
    at the README's 960 px and at 1400 and 1920 px, where the Data card's SHA-256 and row
    count once ran over the table beside it."""
    page, _ = reports[kind]
    state = _layout(page, width)
    assert state["scrollWidth"] <= state["innerWidth"], (width, state["scrollWidth"])
    tables = state["tables"]
    assert any(t["id"] == "data" for t in tables)
    for table in tables:
        assert table["overflowing"] == [], (table["id"], width, table["overflowing"])
        if not table["scrolls"]:  # inside a scrolling box a wide table may extend
            assert table["rect"][2] <= table["holder"][2] + 1, (table["id"], width)
    for i, a in enumerate(tables):
        for b in tables[i + 1:]:
            assert not _overlap(a["rect"], b["rect"]), (a["id"], b["id"], width)
    for i, a in enumerate(state["cards"]):
        for b in state["cards"][i + 1:]:
            assert not _overlap(a, b), (a, b, width)
