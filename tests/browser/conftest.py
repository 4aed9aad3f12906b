"""Start ``streamlit run app.py`` on a free loopback port and drive it with Debian's Chromium.

Playwright cannot download its own browser on these machines; it launches the system Chromium
(``apt-get install chromium fonts-noto-cjk``). Without it the browser tests skip — except under
``CI=true``, where a missing browser is a failure, so CI never silently skips them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    db_path: Path
    process: subprocess.Popen
    log_path: Path
    username: str | None = None  # a user of db_path that tests sign in as
    password: str | None = None


def start_app(db_path: Path, log_path: Path, extra_env: dict[str, str] | None = None) -> RunningApp:
    """Start the app on a free port with ``KEHU_DB=db_path``; wait until /_stcore/health says ok."""
    port = _free_port()
    env = {**os.environ, "KEHU_DB": str(db_path), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.runOnSave", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return RunningApp(url, db_path, proc, log_path)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not become healthy in 60 s:\n{log_path.read_text()}")


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if CHROMIUM is None:
        msg = "Chromium not found: install it with `apt-get install -y chromium fonts-noto-cjk` (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory, demo_db_file: Path) -> Iterator[RunningApp]:
    """The app serving a copy of the session's demo database."""
    folder = tmp_path_factory.mktemp("app")
    db_path = folder / "kehu.duckdb"
    shutil.copy(demo_db_file, db_path)
    from tests.conftest import PASSWORD

    app = start_app(db_path, folder / "streamlit.log")
    app.username, app.password = "boss", PASSWORD  # the admin of the test demo database
    try:
        yield app
    finally:
        stop_app(app)


def wait_for_app(page: object, timeout_ms: int = 30000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)


def sign_in(page: object, app: RunningApp, username: str | None = None, password: str | None = None,
            timeout_ms: int = 60000) -> None:
    """Sign in through the gate's form and wait for the first page.

    Right after the page loads, the cookie component reports to the server and triggers a rerun;
    a submit that lands in the middle of it can be lost (a person typing never hits this window,
    a robot does). So: let the page settle, and submit again if the form is still there.
    """
    username = username or app.username
    password = password or app.password
    # the sign-out button is only drawn for a signed-in user (nav links alone are not proof: a
    # fresh server first shows the pages/ folder's links before the gate's hidden navigation)
    signed_in = page.get_by_role("button", name=re.compile("^(退出登录|Sign out)$"))
    submit = page.get_by_role("button", name=re.compile("^(登录|Sign in)$"))
    for _attempt in range(3):
        wait_for_app(page)
        page.wait_for_timeout(1000)
        if signed_in.count():
            return
        submit.wait_for(timeout=30000)
        page.get_by_label(re.compile("^(用户名|Username)$")).fill(username)
        page.get_by_label(re.compile("^(密码|Password)$")).fill(password)
        submit.click()
        try:
            signed_in.wait_for(timeout=20000)
        except Exception:  # playwright TimeoutError: try the form again
            continue
        wait_for_app(page, timeout_ms)
        return
    raise AssertionError("could not sign in after 3 attempts")
