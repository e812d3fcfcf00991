"""`tui-lab serve`: a request without the token is refused; with it, the home screen arrives.

The server runs as a person starts it (`python -m tui_lab serve --port N`), on a free port.
"""

import asyncio
import re
import socket
import time

import pytest

from serving import serving

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")
ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>NOPZ78c])")


@pytest.fixture
def server():
    with serving() as running:
        yield running


def test_serve_refuses_without_the_token_and_serves_with_it(server):
    port, url, said = server
    token = url.split("token=")[1]
    assert f"listening on 127.0.0.1:{port}, this machine only" in said
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert f"ssh -N -L {port}:127.0.0.1:{port}" in said
    asyncio.run(_talk(port, token))


async def _talk(port: int, token: str) -> None:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/?token=wrong", f"/?token={token[:-1]}", "/static/js/textual.js", "/download/x"):
            async with http.get(base + path) as r:
                assert r.status == 403, path
                assert "needs the token" in await r.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30")
        assert refused.value.status == 403
        async with http.get(f"{base}/?token={token}") as r:
            assert r.status == 200
            page = await r.text()
            cookie = r.cookies[f"tui_lab_token_{port}"]
        assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Strict"
        assert f'ws://127.0.0.1:{port}/ws' in page  # the page links back to the address the browser used
        async with http.get(f"{base}/static/js/textual.js", headers={"Cookie": f"tui_lab_token_{port}={token}"}) as r:
            assert r.status == 200
        # The page's websocket carries the cookie, not the query: so does this one.
        ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30",
                                   headers={"Cookie": f"tui_lab_token_{port}={token}"})
        screen = await _read_until(ws, ("deep networks, one operation at a time", "conv-sobel"), 60)
        await ws.close()
    assert "tui-lab" in screen


async def _read_until(ws, wanted: tuple[str, ...], seconds: float) -> str:
    """Terminal bytes from the app, escapes stripped, until every wanted text has arrived."""
    raw = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            msg = await ws.receive(timeout=deadline - time.monotonic())
        except asyncio.TimeoutError:
            break
        if msg.type == aiohttp.WSMsgType.BINARY:
            raw += msg.data
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
        text = ANSI.sub("", raw.decode("utf-8", "replace"))
        if all(w in text for w in wanted):
            return text
    raise AssertionError(f"the home screen did not arrive; got {ANSI.sub('', raw.decode('utf-8', 'replace'))[-2000:]!r}")


def test_serve_bad_port_is_one_line(cli):
    r = cli("serve", "--port", "70000")
    assert r.returncode == 2 and r.stderr.strip() == "tui-lab: --port must be from 1 to 65535, got 70000"


def test_serve_port_taken_is_one_line(cli):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("serve", "--port", str(port))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr


@pytest.mark.parametrize("host", ["no such host..", "a" * 300])
def test_serve_host_the_idna_codec_refuses_is_one_line(cli, host):
    r = cli("serve", "--host", host)
    assert r.returncode == 2 and r.stderr.strip() == \
        f"tui-lab: --host {host}: not a valid host name (each part between dots is 1 to 63 characters)"
