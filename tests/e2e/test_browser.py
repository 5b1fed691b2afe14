"""The partner API's whole journey with a real browser on the member's side: Debian's headless
chromium opens /oauth/authorize, registers, approves, and lands on the partner's redirect_uri with a
code; the partner then exchanges it and sends steps over HTTP, in the seed's exact shapes.

Skipped when chromium or chromedriver is missing, except under CI=true, where that is a failure.
Selenium gets both paths explicitly, so Selenium Manager never downloads anything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import IN_CI
from tests.gateway_support import running_gateway

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 10.0  # each explicit wait; the whole test stays well under 20 s
TRANSACTION_ID = "1234567890123456"
STATE = "abcd1234xyz"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = f"the browser test needs Debian's chromium and chromium-driver; missing: {', '.join(missing)}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser test is mandatory)", pytrace=False)
    pytest.skip(f"{message} (apt-get install chromium chromium-driver)")


# --- the partner's redirect_uri ----------------------------------------------------------------------


class CallbackPage(BaseHTTPRequestHandler):
    """The partner's landing page: a plain answer to any GET, so the browser has somewhere to arrive."""

    def do_GET(self) -> None:
        body = b"<!doctype html><html lang='en'><title>Partner</title><p id='landed'>Connected</p></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: pytest shows failures anyway
        return


@contextmanager
def partner_callback() -> Iterator[str]:
    """A loopback redirect_uri (http is allowed for loopback only) served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CallbackPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the member's browser ----------------------------------------------------------------------------


def connect_in_browser(authorize_url: str, redirect_uri: str, email: str) -> dict[str, object]:
    """Register and approve in chromium; what the browser saw on the way, and where it landed."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(WAIT_S)
        wait = WebDriverWait(driver, WAIT_S)
        driver.get(authorize_url)
        register = wait.until(expected_conditions.presence_of_element_located((By.ID, "register")))
        # The stylesheet loaded under the CSP (style-src 'self'): main has its max-width.
        max_width = driver.execute_script("return getComputedStyle(document.querySelector('main')).maxWidth")
        register.find_element(By.NAME, "email").send_keys(email)
        register.find_element(By.NAME, "password").send_keys(PASSWORD)
        register.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        approve = wait.until(expected_conditions.element_to_be_clickable((By.NAME, "approve")))
        consent_text = driver.find_element(By.TAG_NAME, "main").text
        script_cookies = driver.execute_script("return document.cookie")  # HttpOnly: nothing to see
        console = [entry["message"] for entry in driver.get_log("browser")]
        approve.click()
        wait.until(expected_conditions.url_matches("^" + redirect_uri.replace(".", r"\.") + r"\?"))
        wait.until(expected_conditions.presence_of_element_located((By.ID, "landed")))
        return {
            "landed_url": driver.current_url,
            "max_width": max_width,
            "consent_text": consent_text,
            "script_cookies": script_cookies,
            "console": console,
        }
    finally:
        driver.quit()


# --- the test ----------------------------------------------------------------------------------------


def activity_batch(access_token: str, client_id: str) -> dict[str, object]:
    """One day's steps, in the seed's "Request Post Activity Data" shape, timed an hour ago."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return {
        "creates": [
            {
                "access_token": access_token,
                "affiliate_id": client_id,
                "transaction_id": TRANSACTION_ID,
                "date": moment.strftime("%Y-%m-%d"),
                "user_device_id": "u1",
                "manufacturer_name": "Acme",
                "device_name": "Band",
                "data": [
                    {
                        "id": "a1",
                        "device_tracked": "true",
                        "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
                        "type": "total_steps",
                        "value": 4000,
                    }
                ],
            }
        ]
    }


async def test_a_member_connects_a_partner_in_a_real_browser(tmp_path, database_url, monkeypatch) -> None:
    require_browser()
    monkeypatch.setenv("SE_OFFLINE", "true")  # belt and braces: Selenium Manager must not reach out
    with partner_callback() as redirect_uri:
        async with running_gateway(tmp_path, database_url) as stack:
            client_id, secret = await stack.partner_client(redirect_uris=(redirect_uri,), name="Step Counter")
            query = urlencode(
                {
                    "client_id": client_id,
                    "response_type": "code",
                    "scope": "steps",
                    "redirect_uri": redirect_uri,
                    "channel": "1",
                    "transaction_id": TRANSACTION_ID,
                    "state": STATE,
                }
            )
            email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
            # Selenium blocks; the server and the gateway run on this event loop, so it gets a thread.
            seen = await asyncio.to_thread(
                connect_in_browser, f"{stack.base_url}/oauth/authorize?{query}", redirect_uri, email
            )

            assert seen["max_width"] == "832px"  # 52rem: pages.css applied
            assert "Step Counter" in str(seen["consent_text"])
            assert seen["script_cookies"] == ""
            assert not [line for line in seen["console"] if "Content Security Policy" in line], seen[
                "console"
            ]
            landed = {
                name: values[0] for name, values in parse_qs(urlsplit(str(seen["landed_url"])).query).items()
            }
            assert landed.keys() == {"code", "scope", "transaction_id", "state"}
            assert (landed["scope"], landed["transaction_id"], landed["state"]) == (
                "steps",
                TRANSACTION_ID,
                STATE,
            )

            # The partner's side, over HTTP: the seed's "Request OAuth Access Token" ...
            token = await stack.http.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "act": "getOAuthToken",
                    "client_id": client_id,
                    "client_secret": secret,
                    "code": landed["code"],
                    "redirect_uri": redirect_uri,
                    "channel": "1",
                    "transaction_id": TRANSACTION_ID,
                    "state": STATE,
                },
            )
            assert token.status_code == 200, token.text
            tokens = token.json()
            assert tokens["token_type"] == "BEARER"
            assert tokens["scope"] == "steps"
            assert tokens["transaction_id"] == TRANSACTION_ID
            for name in (
                "access_token",
                "refresh_token",
                "access_token_expires_in",
                "refresh_token_expires_in",
            ):
                assert tokens[name], name

            # ... "Request Post Activity Data" ...
            posted = await stack.http.post(
                "/api/activities", json=activity_batch(tokens["access_token"], client_id)
            )
            assert posted.status_code == 200, posted.text
            assert posted.json() == {"success_code": "2000", "transaction_id": TRANSACTION_ID}

            # ... and "Request Balance Rewards Points Totals": the connection bonus and the steps.
            points = await stack.http.post(
                "/api/points",
                json={
                    "access_token": tokens["access_token"],
                    "affiliate_id": client_id,
                    "act": "getBRPoints",
                    "transaction_id": TRANSACTION_ID,
                },
            )
            assert points.status_code == 200, points.text
            totals = points.json()
            assert totals["transaction_id"] == TRANSACTION_ID
            assert isinstance(totals["total_rewards_points"], str)
            assert int(totals["total_rewards_points"]) > 0
            assert isinstance(totals["healthy_choice_points"], str)
