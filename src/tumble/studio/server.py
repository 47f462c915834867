"""The Studio's web server: the page (static files) over HTTP and one :class:`Session` per WebSocket.

Bound to 127.0.0.1 by default.  While bound to a loopback address it answers
only requests whose ``Host`` is a loopback name (against DNS rebinding), and a
WebSocket is accepted only from a page of the same origin (another web site
open in the browser cannot drive the Studio).  A bad message gets an error
reply; nothing a page sends ends the server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from tumble.studio.files import LevelsFolder
from tumble.studio.session import Session

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE = 4 * 1024 * 1024  # bytes; an uploaded level file is far smaller
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
KEY_LEVELS = web.AppKey("levels", LevelsFolder)
KEY_RUNS = web.AppKey("runs", object)
KEY_HOSTS = web.AppKey("hosts", object)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "").lower()


@web.middleware
async def _host_guard(request: web.Request, handler):
    allowed = request.app[KEY_HOSTS]
    if allowed is not None and not is_loopback(_hostname(request.host)):
        return web.Response(status=403, text="forbidden: the Studio answers loopback host names only\n")
    return await handler(request)


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def _websocket(request: web.Request) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        return web.Response(status=403, text="forbidden: WebSocket from another origin\n")
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=30.0)
    await ws.prepare(request)
    send_lock = asyncio.Lock()

    async def send(obj: dict) -> None:
        try:
            text = json.dumps(obj, allow_nan=False)
        except (TypeError, ValueError) as exc:
            text = json.dumps({"type": "error", "message": f"internal error: reply not serialisable ({exc})",
                               "problems": []})
        async with send_lock:
            if not ws.closed:
                await ws.send_str(text)

    session = Session(request.app[KEY_LEVELS], request.app[KEY_RUNS], send)
    try:
        await send({"type": "hello", "levels_folder": str(session.levels.root)})
        await send(session.level_reply())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                replies = await session.handle(msg.data)
            elif msg.type == WSMsgType.BINARY:
                replies = [{"type": "error", "message": "binary messages are not understood; send JSON text",
                            "problems": []}]
            else:
                break
            for reply in replies:
                await send(reply)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        await session.close()
    return ws


def create_app(levels_dir: str | Path, runs_dir: str | Path | None = None, loopback_only: bool = True) -> web.Application:
    """The Studio's aiohttp application serving ``levels_dir`` (created if missing) and agents in ``runs_dir``."""
    app = web.Application(middlewares=[_host_guard], client_max_size=MAX_MESSAGE)
    app[KEY_LEVELS] = LevelsFolder(levels_dir)
    app[KEY_RUNS] = Path(runs_dir) if runs_dir is not None else None
    app[KEY_HOSTS] = LOOPBACK_NAMES if loopback_only else None
    app.router.add_get("/", _index)
    app.router.add_get("/ws", _websocket)
    app.router.add_get("/favicon.ico", _no_content)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    return app


async def start_server(host: str, port: int, levels_dir: str | Path, runs_dir: str | Path | None = None):
    """Start serving; returns ``(runner, url)`` (port 0 picks a free port)."""
    app = create_app(levels_dir, runs_dir, loopback_only=is_loopback(host))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if site._server and site._server.sockets else port
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}/"


def serve(host: str = "127.0.0.1", port: int = 8765, levels_dir: str | Path = "levels",
          runs_dir: str | Path | None = "runs", echo=print) -> None:
    """Run the Studio until interrupted, printing its address."""
    from tumble.jax_cache import enable_compilation_cache

    enable_compilation_cache()

    async def main() -> None:
        runner, url = await start_server(host, port, levels_dir, runs_dir)
        echo(f"Tumble Studio: {url}")
        echo(f"levels folder: {Path(levels_dir).resolve()}")
        if not is_loopback(host):
            echo(f"warning: listening on {host}: anyone who can reach it can read and write the levels folder")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
