"""Segments, Lifecycle and What-if in Chromium: no error element, a drill-down click on the segment
chart, a what-if link that reopens the same view, and zh/en screenshots in the artifacts folder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningApp, wait_for_app

VIEWS = ("segments", "lifecycle", "whatif")
TITLES = {"segments": ("客户细分", "Segments"), "lifecycle": ("生命周期", "Lifecycle"), "whatif": ("模拟", "What-if")}


def _sign_in(page: object, app: RunningApp) -> None:
    """Sign in through the gate's form; let each field commit before the click (Streamlit inputs
    send their value on blur, and a click straight after ``fill`` can beat it)."""
    button = page.get_by_role("button", name=re.compile("^(登录|Sign in)$"))
    button.wait_for(timeout=30000)
    page.get_by_label(re.compile("^(用户名|Username)$")).fill(app.username)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(app.password)
    page.keyboard.press("Tab")
    page.wait_for_timeout(500)
    button.click()
    page.wait_for_selector('[data-testid="stMetric"], [data-testid="stAlert"]', timeout=30000)
    wait_for_app(page)


@pytest.fixture(scope="module")
def signed_in(browser: object, demo_app: RunningApp) -> Iterator[object]:
    """A browser context whose cookie signs every new page in (signed in once, on the start page)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(demo_app.url)  # the start page first: it runs app.py (gate + navigation)
        _sign_in(page, demo_app)
        page.close()
        yield context
    finally:
        context.close()


def open_view(context: object, url: str) -> object:
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stMetric"], [data-testid="stAlert"]', timeout=30000)
    wait_for_app(page)
    return page


def assert_no_error(page: object) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert page.get_by_text(re.compile("出现了意外错误|Something unexpected went wrong")).count() == 0


def screenshot(page: object, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return m ? m.scrollHeight : document.body.scrollHeight; }""")
    page.set_viewport_size({"width": 1440, "height": min(max(int(height), 1000), 9000)})
    page.wait_for_timeout(800)  # charts re-measure their container
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def metric_values(page: object) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("view", VIEWS)
def test_view_renders_without_error(signed_in: object, demo_app: RunningApp, artifacts: Path,
                                    view: str, lang: str) -> None:
    page = open_view(signed_in, f"{demo_app.url}/{view}?lang={lang}")
    try:
        title = TITLES[view][0 if lang == "zh" else 1]
        page.get_by_role("heading", name=title).first.wait_for(timeout=30000)
        page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=30000)
        assert len(metric_values(page)) >= 4
        assert_no_error(page)
        screenshot(page, artifacts / f"{view}_{lang}.png")
        if view == "segments":
            for index, tab in enumerate(("abc", "breakdown"), start=1):
                page.get_by_role("tab").nth(index).click()
                page.wait_for_timeout(800)
                assert_no_error(page)
                screenshot(page, artifacts / f"segments_{tab}_{lang}.png")
        if view == "lifecycle":
            for index, tab in enumerate(("funnel", "cohort", "transitions"), start=1):
                page.get_by_role("tab").nth(index).click()
                wait_for_app(page)
                page.wait_for_timeout(500)
                assert_no_error(page)
                screenshot(page, artifacts / f"lifecycle_{tab}_{lang}.png")
    finally:
        page.close()


def test_clicking_a_segment_lists_its_customers(signed_in: object, demo_app: RunningApp, artifacts: Path) -> None:
    page = open_view(signed_in, f"{demo_app.url}/segments")
    try:
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        bar = chart.locator('path[aria-label*="label: 一般挽留客户;"]')
        label = bar.get_attribute("aria-label")
        customers = int(re.search(r"客户数: ([\d,]+)", label).group(1).replace(",", ""))
        assert customers > 50
        bar.click()
        page.get_by_role("heading", name="一般挽留客户：客户名单").wait_for(timeout=30000)
        wait_for_app(page)
        assert page.get_by_text(f"共 {customers:,} 位").count() == 1
        assert page.locator('[data-testid="stDataFrame"]').count() >= 2  # the list and the segment table
        assert page.get_by_role("button", name=re.compile("下载 CSV")).count() == 1
        assert_no_error(page)
        screenshot(page, artifacts / "segments_drilldown_zh.png")

        # another bar replaces the list
        chart.locator('path[aria-label*="label: 重要价值客户;"]').click()
        page.get_by_role("heading", name="重要价值客户：客户名单").wait_for(timeout=30000)
        assert_no_error(page)
    finally:
        page.close()


def test_a_what_if_link_reopens_the_same_view(signed_in: object, demo_app: RunningApp, artifacts: Path) -> None:
    link = f"{demo_app.url}/whatif?lang=en&w_risk_days=60&w_abc_a=0.6&w_share=50"
    first = open_view(signed_in, link)
    try:
        values = metric_values(first)
        assert values[1] != "0"  # risk 60 days moves customers into "at risk"
        expect(first.get_by_label("At risk: no order for more than (days)")).to_have_value("60", timeout=15000)

        # change a control in the browser: the URL follows
        loyal = first.get_by_label("Loyal: at least this many orders")
        loyal.fill("3")
        loyal.press("Enter")
        first.wait_for_function("() => location.search.includes('w_loyal_orders=3')", timeout=60000)
        first.wait_for_function(  # the rerun has drawn the new numbers
            f"() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            f".map(e => e.innerText).join('|') !== {json.dumps('|'.join(values))}", timeout=60000)
        wait_for_app(first)
        changed_values = metric_values(first)
        changed_url = first.url
        assert changed_values != values
        screenshot(first, artifacts / "whatif_link_en.png")
    finally:
        first.close()

    again = open_view(signed_in, changed_url)
    try:
        assert metric_values(again) == changed_values
        # number inputs can show a stale value for a moment while the page draws; wait for the real one
        expect(again.get_by_label("Loyal: at least this many orders")).to_have_value("3", timeout=15000)
        expect(again.get_by_label("At risk: no order for more than (days)")).to_have_value("60", timeout=15000)
        params = parse_qs(urlparse(again.url).query)
        assert params["w_risk_days"] == ["60"] and params["w_loyal_orders"] == ["3"]
        assert_no_error(again)
    finally:
        again.close()
