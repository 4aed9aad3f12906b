"""The shared sidebar in Chromium: picking a segment and a date range changes the numbers, lands
in the URL, survives reopening that URL on another page, and "clear filters" undoes it all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import RunningApp, sign_in, wait_for_app


@pytest.fixture(scope="module")
def page(browser: object, demo_app: RunningApp, artifacts) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    p = context.new_page()
    try:
        p.goto(demo_app.url + "/?lang=en")
        sign_in(p, demo_app)
        yield p
    finally:
        context.close()


def query(page: object) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def metric_value(page: object, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def pick(page: object, widget_label: str, option: str) -> None:
    """Type an option into a sidebar select/multiselect (found by its label) and choose it."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"], '
                       '[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text=widget_label).first
    field = box.locator("input").first
    field.click()
    field.press_sequentially(option[:12])
    page.wait_for_timeout(300)
    field.press("Enter")
    page.keyboard.press("Escape")
    wait_for_app(page, 60000)


def test_segment_and_range_change_numbers_and_url(page: object, demo_app: RunningApp, artifacts) -> None:
    everyone = metric_value(page, "Active buyers")
    pick(page, "RFM segment", "Champions (important value)")
    page.get_by_text(re.compile("Filtered: segment Champions")).wait_for(timeout=30000)
    champions = metric_value(page, "Active buyers")
    assert int(champions.replace(",", "")) < int(everyone.replace(",", ""))
    assert query(page)["segment"] == ["champions"]

    pick(page, "Date range", "Last 3 months")
    page.get_by_text("2026-08-01 to 2026-10-31").first.wait_for(timeout=30000)
    assert query(page)["range"] == ["3m"]
    page.screenshot(path=str(artifacts / "sidebar_filters_en.png"))
    assert page.locator('[data-testid="stException"]').count() == 0

    # the link opens the same filters on another page
    link = page.url.replace("/overview", "/customers") if "/overview" in page.url else \
        page.url.replace(demo_app.url + "/?", demo_app.url + "/customers?")
    other = page.context.new_page()
    other.goto(link)
    wait_for_app(other, 60000)
    other.get_by_text(re.compile("Filtered: segment Champions")).wait_for(timeout=30000)
    assert query(other)["segment"] == ["champions"] and query(other)["range"] == ["3m"]
    other.close()

    page.get_by_role("button", name="Clear filters").click()
    wait_for_app(page, 60000)
    page.wait_for_function("() => !location.search.includes('segment=')", timeout=30000)
    page.get_by_text(re.compile("Filtered:")).wait_for(state="detached", timeout=30000)
    wait_for_app(page, 60000)
    assert "range" not in query(page)
    assert metric_value(page, "Active buyers") == everyone
