"""The results site in a real browser: Debian's headless Chromium through selenium and
chromedriver (no browser download). Every page of a site built from three shipped studies
loads from the file system without a console error and with every image drawn, every
link names a file, tables sort both ways and filter, and the summary page is written as a
screenshot (to $SITE_SCREENSHOT when set: docs/site-summary.png is made that way).

Skipped, with the reason, where selenium, chromium or chromedriver is missing; .ci/run
installs the Debian packages chromium and chromium-driver.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import ROOT

from gqap.bench.site.build import write_site

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or \
    "/usr/bin/chromedriver"
STUDIES = ("fig10", "literature", "gqap-large")  # two read per run (runs.csv), one from its tables


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for what, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER)):
        if not Path(path).is_file():
            return (f"{what} not found at {path} (Debian: apt-get install chromium "
                    "chromium-driver; or set CHROMIUM / CHROMEDRIVER)")
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    for name in STUDIES:
        shutil.copytree(ROOT / "results" / name, results / name)
    out = tmp_path_factory.mktemp("site")
    write_site(results, out)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1700",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def _open(driver, path: Path) -> list[dict]:
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def test_every_page_loads_without_errors_and_links_resolve(site, browser):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50  # the index, 2 x (summary, tables, figures), 49 instance pages
    for page in pages:
        errors = _open(browser, page)
        assert errors == [], (page, errors)
        broken = browser.execute_async_script(  # lazy images: load them all, then look
            "const done = arguments[arguments.length - 1];"
            "const imgs = Array.from(document.images);"
            "imgs.forEach(i => { i.loading = 'eager'; });"
            "Promise.all(imgs.map(i => i.complete ? null : new Promise("
            "  r => { i.onload = r; i.onerror = r; }))).then(() => done("
            "  imgs.filter(i => i.naturalWidth === 0).map(i => i.getAttribute('src'))));")
        assert broken == [], (page, broken)
        assert browser.execute_script("return document.styleSheets.length") == 1, page
        for href in browser.execute_script(
                "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"):
            url = urlparse(href)
            assert url.scheme == "file", (page, href)  # nothing leaves the folder
            assert Path(unquote(url.path)).is_file(), (page, href)


def _column(driver, table_id: str, header: str) -> list[str]:
    return driver.execute_script(
        "const t = document.getElementById(arguments[0]);"
        "const i = Array.from(t.tHead.rows[0].cells).findIndex("
        "  c => c.textContent.trim() === arguments[1]);"
        "return Array.from(t.tBodies[0].rows).filter(r => !r.hidden).map("
        "  r => r.cells[i].getAttribute('data-v') ?? r.cells[i].textContent.trim());",
        table_id, header)


def _click_header(driver, table_id: str, header: str) -> str:
    from selenium.webdriver.common.by import By

    th = next(th for th in driver.find_element(By.ID, table_id).find_elements(
        By.CSS_SELECTOR, "thead th") if th.text.strip() == header)
    th.click()
    return th.get_attribute("aria-sort")


def test_tables_sort_both_ways_and_filter(site, browser):
    from selenium.webdriver.common.by import By

    assert _open(browser, site / "literature" / "tables.html") == []
    table = browser.execute_script(  # the GQAP family's table, under either family name
        "return document.querySelector('table[id^=\"cells-\"]').id")
    col = "gap % mean"
    before = _column(browser, table, col)
    assert _click_header(browser, table, col) == "ascending"
    up = _column(browser, table, col)
    values = [float(v) for v in up if v != ""]
    assert values == sorted(values) and len(values) < len(up)
    assert all(v == "" for v in up[len(values):])  # no gap (no solution): last
    assert sorted(up, key=str) == sorted(before, key=str)  # the same rows, reordered
    assert _click_header(browser, table, col) == "descending"
    down = [float(v) for v in _column(browser, table, col) if v != ""]
    assert down == sorted(values, reverse=True)
    # text columns sort alphabetically
    assert _click_header(browser, table, "solver") == "ascending"
    solvers = _column(browser, table, "solver")
    assert solvers == sorted(solvers)
    # the filter box keeps the rows that contain its text
    box = browser.find_element(By.CSS_SELECTOR, f'input.filter[data-table="{table}"]')
    box.send_keys("30-20-95")
    shown = _column(browser, table, "instance")
    assert shown and set(shown) == {"30-20-95"}
    assert browser.get_log("browser") == []


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_summary_page_screenshot(site, browser, tmp_path):
    assert _open(browser, site / "literature" / "index.html") == []
    picks = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.pick td[data-solver]'))"
        ".map(td => td.getAttribute('data-solver'));")
    assert "tabu" in picks and "tabu-1s" in picks  # the race's two budgets, two winners
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(max(height, 800), 2600))
    target = Path(os.environ.get("SITE_SCREENSHOT") or tmp_path / "summary.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(target))
    width, h = _png_size(target)
    assert width >= 1000 and h >= 800
