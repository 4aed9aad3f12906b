"""The Overview in a real browser: KPI values, no error, a screenshot for people to look at."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import RunningApp, sign_in, wait_for_app


def test_overview_shows_kpis_and_no_error(browser: object, demo_app: RunningApp, artifacts: Path) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 2400}, locale="zh-CN")
    try:
        page.goto(demo_app.url)
        sign_in(page, demo_app)
        wait_for_app(page)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=30000)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert len(values) >= 8
        assert values[0].startswith("¥")  # revenue, e.g. ¥78.3万
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("出现了意外错误").count() == 0
        page.screenshot(path=str(artifacts / "overview_zh.png"), full_page=True)
        page.goto(demo_app.url + "/?lang=en")
        wait_for_app(page)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=30000)
        assert page.get_by_text("Active buyers").count() >= 1
        page.screenshot(path=str(artifacts / "overview_en.png"), full_page=True)
    finally:
        page.close()
