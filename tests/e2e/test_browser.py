"""The pages in a real headless browser: Debian's chromium and chromium-driver, driven by Selenium.

.ci/run installs both; these tests never skip. Waits poll the page for what must appear
(WebDriverWait), never sleep.
"""

from __future__ import annotations

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 60  # seconds a page may take to show what a test waits for


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, (
        "chromium and chromium-driver (Debian packages) are needed: see .ci/run"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2000",
    ):  # no background networking: the machine's closed network refuses it
        options.add_argument(arg)
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def test_the_region_page_shows_name_indicators_a_gap_and_a_partner(browser, shipped_server) -> None:
    browser.get(shipped_server.base + "/id/region/FI1D")
    wait = WebDriverWait(browser, WAIT)
    wait.until(ec.presence_of_element_located((By.ID, "roadmap")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Pohjois- ja Itä-Suomi"
    indicators = browser.find_element(By.ID, "indicators")
    cells = [td.text for td in indicators.find_elements(By.CSS_SELECTOR, "table.indicators td")]
    assert "Total population" in cells and "1274651" in cells and "2021" in cells
    assert indicators.find_elements(By.CSS_SELECTOR, "svg.chart rect")
    gaps = browser.find_elements(By.CSS_SELECTOR, "#gaps ul.gaps > li")
    assert gaps and any("value-chain stages" in g.text.lower() for g in gaps)
    partners = browser.find_elements(By.CSS_SELECTOR, "#partners li.partner")
    assert partners and "score" in partners[0].text
    assert "align" in browser.find_element(By.ID, "roadmap").text
    # a partner's link leads to its own page
    partners[0].find_element(By.TAG_NAME, "a").click()
    wait.until(ec.url_contains("/id/region/"))
    assert browser.find_element(By.TAG_NAME, "h1").text


def test_the_query_page_runs_a_canned_query_and_shows_rows(browser, shipped_server) -> None:
    browser.get(shipped_server.sparql)
    wait = WebDriverWait(browser, WAIT)
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#examples option")) > 1)
    examples = Select(browser.find_element(By.ID, "examples"))
    label = next(
        o.text for o in examples.options if o.text.startswith("observatory/region-profile")
    )
    examples.select_by_visible_text(label)
    assert "region/FI1D" in browser.find_element(By.ID, "query").get_property("value")
    browser.find_element(By.CSS_SELECTOR, "#q button[type=submit]").click()
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#results tr")) > 1)
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results th")]
    assert header[:4] == ["region", "section", "item", "value"]
    values = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#results td")]
    assert "Pohjois- ja Itä-Suomi" in values
    assert "row(s)" in browser.find_element(By.ID, "status").text


def test_the_index_search_finds_a_region_by_name(browser, shipped_server) -> None:
    browser.get(shipped_server.base + "/regions")
    box = WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.NAME, "q")))
    box.send_keys("vlaams")
    box.submit()
    WebDriverWait(browser, WAIT).until(ec.url_contains("q=vlaams"))
    link = browser.find_element(By.LINK_TEXT, "Vlaams Gewest")
    link.click()
    WebDriverWait(browser, WAIT).until(ec.url_contains("/id/region/BE2"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vlaams Gewest"


def test_the_query_page_shows_a_construct_asked_for_as_a_table(browser, shipped_server) -> None:
    """The default format is a table (SPARQL JSON), which a CONSTRUCT cannot be: the page shows
    its Turtle instead of a 406 (a second reviewer's case)."""
    browser.get(shipped_server.sparql)
    wait = WebDriverWait(browser, WAIT)
    box = wait.until(ec.presence_of_element_located((By.ID, "query")))
    box.clear()
    box.send_keys("CONSTRUCT WHERE { ?s a <https://w3id.org/saphire/ontology#Country> } LIMIT 2")
    browser.find_element(By.CSS_SELECTOR, "#q button[type=submit]").click()
    wait.until(lambda b: "text/turtle" in b.find_element(By.ID, "status").text)
    assert "Country" in browser.find_element(By.ID, "raw").text


def test_the_api_documentation_renders_from_the_service_alone(browser, shipped_server) -> None:
    """/docs (Swagger UI) with its scripts and styles served here: no CDN (this machine reaches
    none, nor does an intranet deployment), and a UI that reads OpenAPI 3.1."""
    browser.get(shipped_server.base + "/docs")
    wait = WebDriverWait(browser, WAIT)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-summary-path")))
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/sparql" in paths and "/queries/gaps/missing-stages" in paths
    assets = browser.execute_script(
        "return [...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[href]')].map(l => l.href)).filter(u => u)"
    )
    assert assets and all(u.startswith(shipped_server.base + "/") for u in assets), assets
