"""`tui-lab serve`: the same app in a browser, through textual-serve, behind a token.

textual-serve has no authentication, and on a shared GPU server every other user can
reach its localhost too. So a random token is printed at start, in the URL; the page
answers only a request that carries it, as `?token=` or as the cookie the page sets
(the page's scripts and its websocket carry no query of ours). Anything else gets 403.
Each browser tab runs its own `python -m tui_lab` in a subprocess.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

TOKEN_BYTES = 24  # 32 URL-safe characters
# What a browser may send as Host; it becomes the page's own links, so nothing else passes.
HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
REFUSED = ("tui-lab serve: this page needs the token that was printed when the server started; "
           "open the address it printed (.../?token=...)\n")


def cookie_name(port: int) -> str:
    """One cookie per port: two servers on one host keep their tokens apart."""
    return f"tui_lab_token_{port}"


def token_guard(token: str, cookie: str) -> Any:
    """aiohttp middleware: the token as ?token= (then remembered in a cookie) or the cookie, else 403."""
    from aiohttp import web

    want = token.encode()

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        in_query = request.query.get("token", "")
        given = in_query or request.cookies.get(cookie, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), want):
            raise web.HTTPForbidden(text=REFUSED)
        response = await handler(request)
        if in_query and request.path == "/":
            response.set_cookie(cookie, token, httponly=True, samesite="Strict", path="/")
        return response

    return guard


def make_server(host: str, port: int, token: str, command: str) -> Any:
    """textual-serve's Server with the token guard in front of every route."""
    from aiohttp import web
    from textual_serve.server import Server

    tabs: set[asyncio.Task] = set()  # the websockets being served, one per open tab

    class GuardedServer(Server):
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(token_guard(token, cookie_name(port)))
            return app

        async def handle_index(self, request: web.Request) -> Any:
            # Links on the page use the address the browser used: through `ssh -L 9000:…:8000`
            # that is the person's own localhost:9000, not this server's port.
            if not HOST.fullmatch(request.host):
                raise web.HTTPBadRequest(text="tui-lab serve: a Host header it cannot use\n")
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def on_startup(self, app: web.Application) -> None:
            """`serve` has said what to open; no banner."""

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            task = asyncio.current_task()
            tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                tabs.discard(task)

        async def on_shutdown(self, app: web.Application) -> None:
            """Ctrl+C with a browser tab open: end each tab's app now (its handler closes the
            websocket and stops the app when cancelled); aiohttp would otherwise wait up to a
            minute for the websockets to close by themselves."""
            for task in list(tabs):
                task.cancel()
            if tabs:
                await asyncio.wait(list(tabs), timeout=5)

        def initialize_logging(self) -> None:
            super().initialize_logging()
            # The access log would print every URL, the token in it, for anyone reading the log.
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    return GuardedServer(command, host=host, port=port, title="tui-lab")


def app_command(device: str = "auto", seed: int | None = None) -> str:
    """The shell command each browser tab runs: this Python, this tui_lab."""
    parts = [sys.executable, "-m", "tui_lab"]
    if device != "auto":
        parts += ["--device", device]
    if seed is not None:
        parts += ["--seed", str(seed)]
    return " ".join(shlex.quote(p) for p in parts)


def check_port(host: str, port: int) -> None:
    """Fail before printing an address that will not work: the port is taken, or the host is not ours."""
    from .cli import CliError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CliError(f"--host {host}: {exc.strerror}") from None
    except UnicodeError:  # the idna codec refuses an empty label (a..b) or one over 63 characters
        raise CliError(f"--host {host}: not a valid host name (each part between dots is 1 to 63 characters)") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(host: str = "127.0.0.1", port: int = 8000, device: str = "auto", seed: int | None = None) -> int:
    from .cli import CliError, _check_seed

    _check_seed(seed)
    if not 1 <= port <= 65535:
        raise CliError(f"--port must be from 1 to 65535, got {port}")
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise CliError("serve needs textual-serve: pip install 'textual-serve>=1.1,<1.2'") from None
    check_port(host, port)
    # The tabs' subprocesses import this very tui_lab, wherever serve was started from.
    root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    here = url_host(host if host not in ("0.0.0.0", "::") else "127.0.0.1")
    if host in LOOPBACK:
        print(f"tui-lab serve: listening on {url_host(host)}:{port}, this machine only "
              "(other users of it can reach it too: hence the token)")
    else:
        print(f"tui-lab serve: listening on {url_host(host)}:{port}, reachable from the network; plain HTTP, "
              "so the token travels unencrypted: prefer the default 127.0.0.1 and ssh -L")
    print(f"open  http://{here}:{port}/?token={token}")
    print(f"from your own computer: ssh -N -L {port}:127.0.0.1:{port} you@this-server, then open that address there")
    print("Ctrl+C stops it", flush=True)
    make_server(host, port, token, app_command(device, seed)).serve()
    return 0
