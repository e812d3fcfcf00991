"""The HTML export and the served page in a real browser: Debian's headless Chromium.

Skipped where no Chromium is installed (`apt-get install -y chromium` gives one; nothing
is downloaded). Chromium is driven over the DevTools protocol through a websocket
(aiohttp, which textual-serve brings), with no browser-automation package.
"""

import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from serving import serving
from test_serve import ANSI

aiohttp = pytest.importorskip("aiohttp")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install -y chromium)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-port=0")


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium; yields the browser's DevTools websocket address."""
    profile = tmp_path / "profile"
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (port_file.exists() and len(port_file.read_text().split()) == 2):
            assert proc.poll() is None, "Chromium stopped at start"
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # its own process group: the browser and its helpers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Page:
    """One tab over the DevTools protocol: commands answered by id, events kept."""

    def __init__(self, ws, session: str) -> None:
        self.ws, self.session, self.ids = ws, session, itertools.count(1)
        self.events: list[dict] = []

    @classmethod
    async def open(cls, ws, url: str) -> "Page":
        browser = cls(ws, "")
        target = (await browser.send("Target.createTarget", url="about:blank"))["targetId"]
        session = (await browser.send("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
        page = cls(ws, session)
        await page.send("Network.enable")  # its websocket frames arrive as events
        await page.send("Page.navigate", url=url)
        await page.wait_for("document.readyState === 'complete'")
        return page

    async def send(self, method: str, **params):
        n = next(self.ids) + (10_000 if self.session else 0)
        msg = {"id": n, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        await self.ws.send_str(json.dumps(msg))
        while True:
            reply = json.loads((await self.ws.receive(timeout=30)).data)
            if reply.get("id") == n:
                assert "error" not in reply, reply
                return reply["result"]
            self.events.append(reply)

    def websocket_text(self) -> str:
        """What the page's websocket received, as text with the terminal escapes taken out."""
        data = b""
        for e in self.events:
            if e.get("method") == "Network.webSocketFrameReceived":
                frame = e["params"]["response"]
                data += base64.b64decode(frame["payloadData"]) if frame["opcode"] == 2 else frame["payloadData"].encode()
        return ANSI.sub("", data.decode("utf-8", "replace"))

    async def js(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await self.js(expression):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"never true: {expression}")

    async def press(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


async def browse(devtools: str, url: str, act):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(devtools, max_msg_size=0) as ws:
            return await act(await Page.open(ws, url))


def test_html_export_steps_with_the_arrow_key(chromium, tmp_path, cli):
    out = tmp_path / "sobel.html"
    r = cli("replay", "conv-sobel", "--format", "html", "--device", "cpu", "--out", str(out))
    assert r.returncode == 0, r.stderr

    async def act(page: Page):
        first = await page.js("document.body.innerText")
        for _ in range(3):
            await page.press("ArrowRight", 39)
        return first, await page.js("document.body.innerText")

    first, after = asyncio.run(browse(chromium, out.as_uri(), act))
    # innerText holds only what is rendered: the hidden frames are not in it.
    assert "step 0 / 9" in first and "step 1 / 9" not in first
    assert "step 3 / 9" in after and "step 0 / 9" not in after and "step 4 / 9" not in after


@pytest.fixture
def served():
    """`tui-lab serve` on a free port: yields the address with the token that it printed."""
    with serving() as (_, url, _said):
        yield url


# The header, and a bundled scenario's title in the home list (ids may be cut on a narrow page).
WANT = ("one operation at a time", "Sobel kernel")


def test_served_page_shows_the_app(chromium, served):
    """The page sets its cookie, its websocket gets through the token check, the app's screen arrives."""

    async def act(page: Page):
        # textual.js marks the body when the first bytes from the app arrive over the websocket.
        await page.wait_for("document.body.classList.contains('-first-byte')", 90)
        # xterm.js draws on a canvas: read what the page's own websocket received instead.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(w in page.websocket_text() for w in WANT):
            await page.js("1")  # pumps the DevTools events
            await asyncio.sleep(0.2)
        return page.websocket_text(), await page.js("document.querySelector('.textual-terminal').className")

    screen, terminal = asyncio.run(browse(chromium, served, act))
    assert "-connected" in terminal
    assert all(w in screen for w in WANT)


def test_served_page_without_the_token_is_refused(chromium, served):
    bare = served.split("?")[0]

    async def act(page: Page):
        return await page.js("document.body.innerText")

    assert "needs the token" in asyncio.run(browse(chromium, bare, act))
