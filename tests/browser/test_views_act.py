"""Customers, Churn warning and Satisfaction in Chromium: no error element, the main interactions
(search + tick a row → 360 profile; tick warned customers → follow-up preview), zh/en screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.i18n import t
from tests.browser.conftest import RunningApp

VIEWPORT = {"width": 1440, "height": 1000}


@pytest.fixture
def page(browser: object, demo_app: RunningApp) -> object:
    """A signed-in page on the Overview, closed afterwards."""
    pg = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
    pg.set_default_timeout(120_000)
    pg.goto(demo_app.url)
    patient_sign_in(pg, demo_app)
    try:
        yield pg
    finally:
        pg.close()


def wait_for_app(page: object, timeout_ms: int = 30_000) -> None:
    """conftest's ``wait_for_app``, except that a "File change · Rerun" notice (someone saved a
    file of the repository while the test server watches it) does not count as running."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                   const busy = w && !/Rerun|重新运行/.test(w.innerText);
                   return !busy && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0 }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)


def patient_sign_in(page: object, app: RunningApp) -> None:
    """conftest's ``sign_in``, with time for a cold first Overview on a busy machine and a retry
    when the form was filled before the page had hydrated."""
    button = page.get_by_role("button", name=re.compile("^(登录|Sign in)$"))
    for attempt in range(2):
        button.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.get_by_label(re.compile("^(用户名|Username)$")).fill(app.username)
        page.get_by_label(re.compile("^(密码|Password)$")).fill(app.password)
        button.click()
        try:
            page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=180_000)
            break
        except Exception:
            if attempt:
                raise
            page.reload()
    wait_for_app(page, 180_000)


def open_view(page: object, nav_key: str, lang: str) -> None:
    """Click the page in the sidebar navigation and wait for it to finish running."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(t(nav_key, lang), exact=True).click()
    page.wait_for_selector(f'h1:has-text("{t(nav_key, lang)}")')
    wait_for_app(page, 180_000)


def switch_language(page: object, lang: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text("English" if lang == "en" else "中文", exact=True).click()
    wait_for_app(page, 180_000)


def assert_no_error(page: object, lang: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text(t("common.unexpected_error", lang)).count() == 0


def grow_to_page(page: object) -> None:
    """Make the viewport as tall as the page (Streamlit scrolls inside its main block)."""
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]');
                   return m ? m.scrollHeight : document.body.scrollHeight }""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(1200)  # charts re-measure their width
    wait_for_app(page, 60_000)


def full_screenshot(page: object, path: Path) -> None:
    """The whole page, then the normal viewport again."""
    grow_to_page(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def tick_row(page: object, table_index: int, row: int, row_height: int = 35) -> None:
    """Tick the selection box of ``row`` (0-based) in the ``table_index``-th table (a canvas grid).
    ``row_height``: Streamlit's default is 35 px; the churn list sets taller rows to wrap reasons."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(table_index)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    header = 36
    grid.click(position={"x": 18, "y": header + row_height * row + row_height // 2})
    wait_for_app(page, 120_000)
    assert box is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_satisfaction_in_the_browser(page: object, artifacts: Path, lang: str) -> None:
    if lang == "en":
        switch_language(page, "en")
    open_view(page, "nav.satisfaction", lang)
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    assert_no_error(page, lang)
    assert page.locator('[data-testid="stMetric"]').count() >= 4
    page.get_by_text(t("sat.detractors_title", lang)).wait_for()
    # clicking a keyword bar shows the comments behind that word (the whole page in view first:
    # Streamlit scrolls inside its main block, where a click on a scrolled chart can miss)
    grow_to_page(page)
    keywords = page.locator('[data-testid="stVegaLiteChart"]').last
    bar = keywords.locator('path[aria-roledescription="bar"]').nth(2)
    label = bar.get_attribute("aria-label")  # "Comments containing it: 199; Keyword: quality; …"
    n = re.search(r"(含该词的评论数|Comments containing it): (\d+)", label).group(2)
    first_stats = t("sat.keyword_stats", lang, n=0, share=0, neg=0).split("0")[1]
    bar.click()
    page.get_by_text(re.compile(rf"^{n}{re.escape(first_stats)}")).wait_for()  # "199 条评论（占 …"
    wait_for_app(page, 120_000)
    assert_no_error(page, lang)
    full_screenshot(page, artifacts / f"satisfaction_{lang}.png")
    # trends (2), groups, distribution, complaints, keywords — counted once all were in view
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 6


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_customers_search_and_profile_in_the_browser(page: object, artifacts: Path, lang: str) -> None:
    if lang == "en":
        switch_language(page, "en")
    open_view(page, "nav.customers", lang)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    assert_no_error(page, lang)
    search = page.get_by_label(t("cust.search", lang))
    search.fill("C00199")
    search.press("Enter")
    wait_for_app(page, 120_000)
    page.get_by_text(re.compile(r"(共 10 位客户|of 10 \()")).wait_for(timeout=120_000)  # C001990–C001999
    tick_row(page, 0, 0)
    heading = page.locator("h3", has_text=re.compile(r"· C00199\d"))
    heading.wait_for(timeout=120_000)
    assert "customer=C00199" in page.url
    page.get_by_role("tab", name=t("cust.tab.scores", lang)).click()
    assert_no_error(page, lang)
    page.get_by_role("tab", name=t("cust.tab.orders", lang)).click()
    page.wait_for_timeout(800)
    full_screenshot(page, artifacts / f"customers_{lang}.png")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_churn_warning_list_and_plan_preview_in_the_browser(page: object, artifacts: Path, lang: str) -> None:
    if lang == "en":
        switch_language(page, "en")
    open_view(page, "nav.churn", lang)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    assert_no_error(page, lang)
    page.get_by_text(t("churnpage.quality_title", lang)).wait_for()
    rows = 66 if lang == "zh" else 84  # pages/churn.py: the list's row height, tall enough to wrap reasons
    tick_row(page, 0, 0, rows)
    tick_row(page, 0, 1, rows)
    button = page.get_by_role("button", name=t("churnpage.plan_button", lang, n=2))
    button.wait_for()
    button.click()
    wait_for_app(page, 120_000)
    page.get_by_text(re.compile("(预览：将创建|Preview:)")).wait_for()
    assert_no_error(page, lang)
    full_screenshot(page, artifacts / f"churn_{lang}.png")
    page.get_by_role("button", name=t("churnpage.cancel", lang)).click()  # leave the shared database as it was
    wait_for_app(page, 120_000)
