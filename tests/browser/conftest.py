import contextlib
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from playwright.sync_api import expect  # noqa: E402

# Assertions wait for the page as long as actions do (expect's own default is 5 s): on a loaded machine the live
# server can take a few seconds to answer, and a check must then wait for the answer, never read the old page.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE_VIEWPORT = {"width": 360, "height": 740}


@contextlib.contextmanager
def _browser_keeps_its_own_clock():
    """Under the moved-clock run (scripts/test-moved-clock.sh) the browser is started without libfaketime: Chromium
    hangs under it, and a phone's clock is not the server's anyway (cookies are set with Max-Age)."""
    moved = {name: os.environ.pop(name) for name in list(os.environ)
             if name == "LD_PRELOAD" or name.startswith("FAKETIME")}
    try:
        yield
    finally:
        os.environ.update(moved)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with _browser_keeps_its_own_clock():
        playwright = sync_playwright().start()  # the driver starts here, and Chromium with the driver's environment
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session", autouse=True)
def _slow_pages():
    """BROWSER_SLOW_PAGES=1.5: the live server sends each HTML page's headers at once and its body that many seconds
    later, as a loaded machine does. The click has returned and the URL changed but the content is not there yet, so a
    test that reads the page without waiting for what it expects fails every time instead of now and then."""
    delay = float(os.environ.get("BROWSER_SLOW_PAGES") or 0)
    if not delay:
        yield
        return
    import time

    from django.core.handlers.wsgi import WSGIHandler

    original = WSGIHandler.__call__

    def late_body(self, environ, start_response):
        html = []

        def start(status, headers, exc_info=None):
            html.append(any(k.lower() == "content-type" and "text/html" in v for k, v in headers))
            return start_response(status, headers, exc_info)

        result = original(self, environ, start)
        if not html[-1] or environ.get("HTTP_HX_REQUEST"):  # htmx swaps are waited for by expect_response
            return result

        def body():
            yield b""  # the headers go out now
            time.sleep(delay)
            try:
                yield from result
            finally:
                if hasattr(result, "close"):
                    result.close()

        return body()

    WSGIHandler.__call__ = late_body
    yield
    WSGIHandler.__call__ = original


@pytest.fixture
def page(browser, live_server, reference_data, regions):
    context = browser.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1, is_mobile=True, has_touch=True,
                                  locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    def take(page, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take

