"""The browser test (`make test-bi`, BI virtualenv): Superset started on 127.0.0.1, headless Chromium logged in,
every dashboard opened, every chart checked to have rendered data and no error, and one dealer page opened from
disk with the network switched off. Screenshots go to BI_SCREENSHOTS (default data/bi/screenshots/).

Needs a provisioned Superset (bi/provision.py) over a published serving file, and dealer extracts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bi"))

import server  # noqa: E402
from provision import ADMIN, superset_env  # noqa: E402

ASSETS = REPO / "bi" / "assets"
SCREENSHOTS = Path(os.environ.get("BI_SCREENSHOTS", REPO / "data" / "bi" / "screenshots"))
SERVING = Path(os.environ.get("BI_SERVING", REPO / "data" / "serving" / "current.duckdb"))
EXPORTS = Path(os.environ.get("BI_EXPORTS", REPO / "data" / "exports" / "dealers"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHART_TIMEOUT = float(os.environ.get("BI_CHART_TIMEOUT", "240"))
DASHBOARDS = [yaml.safe_load(p.read_text()) for p in sorted((ASSETS / "dashboards").glob("*.yaml"))]
CHARTS = {doc["uuid"]: doc for doc in (yaml.safe_load(p.read_text()) for p in (ASSETS / "charts").glob("*.yaml"))}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((server.HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def superset_url() -> Iterator[str]:
    """Superset started for the test session and stopped after it (by its own process group)."""
    port = free_port()
    process = server.start(port, REPO / "data" / "bi" / "superset-test.log")
    try:
        yield server.wait_healthy(process, port)
    finally:
        server.stop(process)


def new_browser(width: int = 1600, height: int = 1200) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="session")
def browser(superset_url: str) -> Iterator[WebDriver]:
    """Headless Chromium logged in to Superset as the admin."""
    driver = new_browser()
    try:
        password = (Path(superset_env()["BI_HOME"]) / "admin_password").read_text().strip()
        driver.get(f"{superset_url}/login/")
        wait_for(lambda: driver.find_elements(By.ID, "username"), 60, "the login form")
        driver.find_element(By.ID, "username").send_keys(ADMIN)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "[data-test='login-button']").click()
        wait_for(lambda: "/login" not in driver.current_url, 60, "the login to be accepted")
        yield driver
    finally:
        driver.quit()


def wait_for(condition, timeout: float, what: str):  # noqa: ANN001, ANN201 - any truthy-returning callable
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def chart_state(holder: WebElement, viz_type: str) -> str:
    """'loading', 'error: …', 'empty', or 'rendered' for one chart on a dashboard."""
    if holder.find_elements(By.CSS_SELECTOR, "[data-test='loading-indicator'], .loading"):
        return "loading"
    alerts = holder.find_elements(By.CSS_SELECTOR, ".ant-alert-error, [data-test='error-tooltip'], [role='alert']")
    if alerts:
        return "error: " + " ".join(a.text for a in alerts)[:500]
    if holder.find_elements(By.CSS_SELECTOR, "[data-test='empty-state']"):
        return "empty"
    container = holder.find_elements(By.CSS_SELECTOR, "[data-test='chart-container']")
    if not container:
        return "loading"
    if viz_type == "table":
        rows = container[0].find_elements(By.CSS_SELECTOR, "tbody tr")
        if rows and not any("No records found" in r.text for r in rows):
            return "rendered"
        return "loading" if not rows else "empty"
    if viz_type == "big_number_total":
        text = container[0].text.strip()
        return "rendered" if any(c.isdigit() for c in text) else ("empty" if text else "loading")
    # ECharts draws on a canvas once it has data
    return "rendered" if container[0].find_elements(By.CSS_SELECTOR, "canvas") else "loading"


def full_page_screenshot(driver: WebDriver, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(  # the bottom of the lowest chart, whatever the window's height
        "return Math.max(...Array.from(document.querySelectorAll(\"[data-test='dashboard-component-chart-holder']\"))"
        ".map(e => e.getBoundingClientRect().bottom + window.scrollY))")
    driver.set_window_size(1600, min(int(height) + 100, 12000))
    time.sleep(1.5)
    driver.save_screenshot(str(path))
    driver.set_window_size(1600, 1200)


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[d["slug"] for d in DASHBOARDS])
def test_dashboard_renders_every_chart_with_data(browser: WebDriver, superset_url: str, dashboard: dict) -> None:
    expected = {item["meta"]["sliceName"]: CHARTS[item["meta"]["uuid"]]["viz_type"]
                for item in dashboard["position"].values() if isinstance(item, dict) and item.get("type") == "CHART"}
    browser.set_window_size(1600, 6000)  # every chart in view while it loads
    browser.get(f"{superset_url}/superset/dashboard/{dashboard['slug']}/")
    holders = wait_for(
        lambda: (h := browser.find_elements(By.CSS_SELECTOR, "[data-test='dashboard-component-chart-holder']"))
        and len(h) == len(expected) and h, 120, f"the {len(expected)} charts of {dashboard['slug']}")

    def states() -> dict[str, str]:
        out = {}
        for holder in browser.find_elements(By.CSS_SELECTOR, "[data-test='dashboard-component-chart-holder']"):
            title = holder.find_element(By.CSS_SELECTOR, "[data-test='editable-title']").text.strip()
            out[title] = chart_state(holder, expected.get(title, ""))
        return out

    deadline = time.monotonic() + CHART_TIMEOUT
    current = states()
    while time.monotonic() < deadline and any(s == "loading" for s in current.values()):
        time.sleep(1)
        current = states()
    full_page_screenshot(browser, SCREENSHOTS / f"dashboard-{dashboard['slug']}.png")
    assert set(current) == set(expected), f"{dashboard['slug']}: charts on the page {sorted(current)}"
    assert len(holders) == len(expected)
    failed = {title: state for title, state in current.items() if state != "rendered"}
    assert not failed, f"{dashboard['slug']}: charts not rendered with data: {json.dumps(failed, indent=1)}"


def chart_data(driver: WebDriver, dataset_id: int, sql: str) -> list[dict]:
    """Rows of one ad-hoc metric on a dataset, through Superset's chart-data API in the logged-in browser."""
    payload = {"datasource": {"id": dataset_id, "type": "table"}, "result_format": "json", "result_type": "full",
               "queries": [{"metrics": [{"expressionType": "SQL", "sqlExpression": sql, "label": "value"}],
                            "columns": [], "filters": [], "row_limit": 10}]}
    response = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/v1/chart/data', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify(arguments[0])}).then(r => r.json()).then(done, e => done({error: String(e)}));",
        payload)
    assert "result" in response, f"chart data API answered {response}"
    return response["result"][0]["data"]


def test_a_publish_shows_on_the_next_query_without_manual_steps(browser: WebDriver, superset_url: str) -> None:
    """Repoint current.duckdb (as the publish does) at a file with fewer customers: Superset answers from it."""
    import duckdb

    link = SERVING
    browser.get(f"{superset_url}/api/v1/dataset/?q=(page_size:100)")
    datasets = json.loads(browser.find_element(By.TAG_NAME, "body").text)["result"]
    dataset_id = next(d["id"] for d in datasets if d["table_name"] == "rpt_customer_segments")
    before = chart_data(browser, dataset_id, "count(*)")[0]["value"]
    replacement = link.parent / f"bi-test-{os.getpid()}.duckdb"
    shutil.copyfile(link.resolve(), replacement)
    with duckdb.connect(str(replacement)) as con:
        con.execute("delete from marts.rpt_customer_segments where golden_customer_id in "
                    "(select golden_customer_id from marts.rpt_customer_segments order by 1 limit 7)")
    restore = swap_in(link, replacement)
    try:
        assert chart_data(browser, dataset_id, "count(*)")[0]["value"] == before - 7
    finally:
        restore()
    assert chart_data(browser, dataset_id, "count(*)")[0]["value"] == before


def swap_in(link: Path, replacement: Path):  # noqa: ANN201 - returns the function that puts the original back
    """Put `replacement` in place of the serving file atomically, as a publish does: a symlink is repointed, a
    plain file is replaced by a rename. Returns the function that restores the original."""
    if link.is_symlink():
        original = Path(os.readlink(link))

        def relink(target: Path) -> None:
            temporary = link.parent / f".{link.name}.bi-test"
            temporary.unlink(missing_ok=True)
            os.symlink(target, temporary)
            os.replace(temporary, link)

        relink(Path(replacement.name))

        def restore() -> None:
            relink(original)
            replacement.unlink()
        return restore
    backup = link.parent / f"bi-test-{os.getpid()}-original.duckdb"
    os.link(link, backup)
    os.replace(replacement, link)
    return lambda: os.replace(backup, link)


def dealer_pages() -> list[Path]:
    return sorted(EXPORTS.glob("*/*/report.html"))


def test_dealer_page_renders_offline() -> None:
    pages = dealer_pages()
    assert pages, f"no dealer page under {EXPORTS}: write the extracts first"
    page = pages[0]
    manifest = json.loads((page.parent / "manifest.json").read_text())
    driver = new_browser(1200, 1000)
    try:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        driver.get(page.resolve().as_uri())
        wait_for(lambda: driver.find_elements(By.TAG_NAME, "h1"), 30, "the dealer page")
        assert manifest["dealer_id"] in driver.find_element(By.TAG_NAME, "h1").text
        sections = {s.get_attribute("id"): s for s in driver.find_elements(By.CSS_SELECTOR, "section[id]")}
        covered = set(manifest["datasets"])
        wanted = {"sell_through": "sell-through", "lead_funnel": "lead-funnel", "scorecard": "scorecard",
                  "campaign_results": "campaign-results"}
        for dataset, section in wanted.items():
            if dataset in covered:
                assert section in sections, f"{page}: no section {section} though the extract holds {dataset}"
                assert sections[section].find_elements(By.CSS_SELECTOR, "svg, table"), f"{section} is empty"
            else:
                assert section not in sections, f"{page}: section {section} shown without the agreement"
        requests = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
        fetched = {m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"}
        assert all(url.startswith(("file:", "data:")) for url in fetched), f"the page fetched {sorted(fetched)}"
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"browser errors on {page}: {errors}"
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1200, int(height) + 50)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"dealer-{manifest['dealer_id']}.png"))
    finally:
        driver.quit()
