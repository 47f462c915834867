"""Tumble Studio: safe file access, the session's message handlers, play to an outcome, the web server, the page.

Session tests drive :class:`tumble.studio.session.Session` directly (no aiohttp
needed).  Server tests use aiohttp's test client (skipped without aiohttp).
The browser test drives the real page in headless Chromium with Playwright
(skipped without Playwright or a Chromium binary; see docs/studio.md).  Play
compiles the env step for size S once per process; every test shares it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tumble.levels import Circle, Level, Polygon, Thruster, load_level, parse_level
from tumble.levels.codec import level_to_dict
from tumble.studio.files import FileAccessError, LevelsFolder, check_name
from tumble.studio.session import Session

GROUND = {"kind": "polygon", "vertices": [[-2.0, -0.1], [2.0, -0.1], [2.0, 0.1], [-2.0, 0.1]], "position": [2.5, 0.6],
          "static": True}
BALL = {"kind": "circle", "radius": 0.2, "position": [1.0, 0.9], "role": "green"}
TARGET = {"kind": "circle", "radius": 0.2, "position": [1.0, 2.0], "role": "blue", "static": True}
THRUSTER = {"body": 1, "point": [1.0, 0.9], "angle": math.pi / 2, "max_force": 3.0}

# what the browser test builds with clicks, and the session tests with messages
BUILT = Level(
    name="built", size="s",
    shapes=(Polygon(vertices=((-2.0, -0.1), (2.0, -0.1), (2.0, 0.1), (-2.0, 0.1)), position=(2.5, 0.6), static=True),
            Circle(radius=0.2, position=(1.0, 0.9), role="green"),
            Circle(radius=0.2, position=(1.0, 2.0), role="blue", static=True)),
    thrusters=(Thruster(body=1, point=(1.0, 0.9), angle=math.pi / 2, max_force=3.0),),
)


def run(coro):
    return asyncio.run(coro)


def session(tmp_path, **kw) -> Session:
    return Session(LevelsFolder(tmp_path / "levels"), **kw)


async def ask(s: Session, op: str, **fields) -> dict:
    """The one reply to a message (asserting there is exactly one)."""
    replies = await s.handle({"op": op, "id": 7, **fields})
    assert len(replies) == 1, replies
    assert replies[0]["reply_to"] == 7
    return replies[0]


async def build(s: Session) -> None:
    for op, fields in [("set_level", {"set": {"name": "built", "size": "s"}}), ("add_shape", {"shape": GROUND}),
                       ("add_shape", {"shape": BALL}), ("add_shape", {"shape": TARGET}),
                       ("add_thruster", {"thruster": THRUSTER})]:
        reply = await ask(s, op, **fields)
        assert reply["type"] == "level", reply


# --- files -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../x.json", "/etc/passwd", "a/../../b.json", "..", "a\\..\\b.json", "", ".hidden.json",
                                  "a//b.json", "C:/x.json", "x\x00.json", 5, None, "a/./b.json", "x" * 300])
def test_unsafe_names_are_refused(tmp_path, name):
    with pytest.raises(FileAccessError):
        LevelsFolder(tmp_path).resolve(name)


def test_names_resolve_inside_the_folder_and_symlinks_may_not_escape(tmp_path):
    root = tmp_path / "levels"
    folder = LevelsFolder(root)
    assert check_name("my level") == "my level.json"
    assert folder.resolve("sub/a.json") == (root / "sub" / "a.json").resolve()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("{}")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "file.json").symlink_to(outside / "secret.json")
    for name in ("link/secret.json", "file.json"):
        with pytest.raises(FileAccessError, match="outside"):
            folder.resolve(name)
    assert folder.list() == []


# --- editing -----------------------------------------------------------------------------------------------------------
def test_edit_ops_build_the_level_and_undo_redo_walk_the_history(tmp_path):
    async def main():
        s = session(tmp_path)
        await build(s)
        assert s.level == BUILT
        reply = await ask(s, "get_level")
        assert parse_level(reply["level"]) == BUILT and reply["can_undo"] and not reply["can_redo"]
        assert reply["view"] == [-0.1, -0.1, 5.1, 5.1] and tuple(reply["style"]["role_colours"][1]) == (52, 186, 82)
        for _ in range(5):
            await ask(s, "undo")
        assert s.level.shapes == () and s.level.size == "m"
        assert (await ask(s, "undo"))["type"] == "error"  # nothing to undo
        for _ in range(5):
            await ask(s, "redo")
        assert s.level == BUILT
        await ask(s, "undo")
        await ask(s, "update_shape", index=0, set={"friction": 0.9})  # a new edit clears the redo history
        assert not s.redo_stack and (await ask(s, "redo"))["type"] == "error"

    run(main())


def test_moving_a_shape_carries_its_thrusters_and_deleting_renumbers(tmp_path):
    async def main():
        s = session(tmp_path)
        await build(s)
        await ask(s, "update_shape", index=1, set={"position": [2.0, 0.9], "angle": math.pi / 2})
        t = s.level.thrusters[0]
        assert t.point == pytest.approx((2.0, 0.9)) and t.angle == pytest.approx(math.pi)
        await ask(s, "update_shape", index=2, set={"role": None})  # None restores the default
        assert s.level.shapes[2].role == "neutral"
        await ask(s, "delete_shape", index=0)
        assert len(s.level.shapes) == 2 and s.level.thrusters[0].body == 0
        await ask(s, "delete_shape", index=0)
        assert s.level.thrusters == ()

    run(main())


def test_adding_beyond_a_named_size_grows_it(tmp_path):
    async def main():
        s = session(tmp_path)
        await build(s)
        reply = await ask(s, "add_shape", shape={"kind": "polygon", "vertices": [[0, 0], [1, 0], [0, 1]],
                                                 "position": [3.0, 3.0]})
        assert reply["type"] == "level" and s.level.size == "m" and "grew to size m" in reply["notice"]
        custom = {"polygons": 2, "circles": 2, "joints": 0, "thrusters": 1}
        await ask(s, "set_level", set={"size": custom})
        reply = await ask(s, "add_shape", shape=BALL)  # a custom size never grows
        assert reply["type"] == "error" and any("over capacity" in p for p in reply["problems"])

    run(main())


@pytest.mark.parametrize("message, expect", [
    ("not json {", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"op": 5}', "needs an 'op'"),
    ('{"op": "explode"}', "unknown op"),
    ('{"op": "add_shape", "shape": {"kind": "circle", "radius": -1}}', "shapes[3].radius: must be > 0"),
    ('{"op": "add_shape", "shape": {"kind": "blob"}}', "shapes[3].kind"),
    ('{"op": "add_shape", "shape": {"kind": "circle", "radius": 0.1, "role": "purple"}}', "shapes[3].role"),
    ('{"op": "add_shape", "shape": [1]}', "'shape' must be an object"),
    ('{"op": "update_shape", "index": 9, "set": {}}', "no shape 9"),
    ('{"op": "update_shape", "index": 1e309, "set": {}}', "'index' must be an integer"),
    ('{"op": "update_shape", "index": 0, "set": {"vertices": [[0, 0], [1, 1], [2, 2]]}}', "shapes[0].vertices"),
    ('{"op": "update_shape", "index": 0, "set": {"frcition": 1}}', "shapes[0].frcition: unknown field"),
    ('{"op": "add_joint", "joint": {"b": 7, "anchor": [0, 0]}}', "joints[0].b"),
    ('{"op": "add_thruster", "thruster": {"body": 0, "point": [0, 0], "max_force": 1, "channel": 5}}', "thrusters[1]"),
    ('{"op": "set_level", "set": {"shapes": []}}', "cannot be set"),
    ('{"op": "set_level", "set": {"episode_length": 0}}', "episode_length"),
    ('{"op": "play_action", "action": [1, 2]}', "6 numbers"),
    ('{"op": "play_step", "n": 100000}', "'n' must be"),
    ('{"op": "open", "source": "saved", "name": "../../etc/passwd"}', "not allowed"),
    ('{"op": "open", "source": "saved", "name": "missing.json"}', "no such level file"),
    ('{"op": "save", "name": "/tmp/x.json"}', "absolute paths"),
    ('{"op": "load_text", "text": "{\\"format\\": \\"tumble-level\\"}", "filename": "a.json"}', "missing field"),
    ('{"op": "load_text", "text": "{}", "filename": "k.json", "format": "kinetix"}', "env_state"),
    ('{"op": "generate", "size": "xl"}', "'size' must be"),
    ('{"op": "generate", "size": {"a": 1}}', "'size' must be"),
    ('{"op": "agent", "run": "../x"}', "no trained run"),
    ("[" * 100000, "error"),  # too deep for the JSON parser: still only an error reply
])
def test_bad_messages_get_an_error_and_change_nothing(tmp_path, message, expect):
    async def main():
        s = session(tmp_path)
        await build(s)
        before = s.level
        replies = await s.handle(message)
        assert len(replies) == 1 and replies[0]["type"] == "error", replies
        text = replies[0]["message"] + " " + " ".join(replies[0]["problems"])
        assert expect in text, text
        assert s.level == before

    run(main())


# --- files through the session -----------------------------------------------------------------------------------------
def test_save_then_open_gives_the_same_level_and_overwrite_asks_first(tmp_path):
    async def main():
        s = session(tmp_path)
        await build(s)
        replies = await s.handle({"op": "save", "name": "mine/built"})
        assert [r["type"] for r in replies] == ["saved", "files"]
        assert replies[0]["name"] == "mine/built.json" and "mine/built.json" in replies[1]["saved"]
        path = tmp_path / "levels" / "mine" / "built.json"
        assert load_level(path) == BUILT
        assert (await ask(s, "save", name="mine/built.json"))["type"] == "confirm_overwrite"
        await ask(s, "update_shape", index=1, set={"friction": 0.1})
        assert (await s.handle({"op": "save", "name": "mine/built.json", "overwrite": True}))[0]["type"] == "saved"
        assert load_level(path).shapes[1].friction == 0.1
        other = session(tmp_path)
        reply = await ask(other, "open", source="saved", name="mine/built.json")
        assert reply["type"] == "level" and other.level == load_level(path)
        assert parse_level(reply["level"]) == other.level
        reply = await ask(other, "open", source="bundled", name="s/" + "ball_and_beam")
        assert reply["type"] == "level" and other.level.name

    run(main())


def test_an_empty_level_cannot_be_saved_and_uploaded_files_are_validated(tmp_path):
    async def main():
        s = session(tmp_path)
        assert "no shapes" in (await ask(s, "save", name="empty"))["message"]
        reply = await ask(s, "load_text", text=json.dumps(level_to_dict(BUILT)), filename="built.json")
        assert reply["type"] == "level" and s.level == BUILT
        bad = dict(level_to_dict(BUILT), shapes=[dict(BALL, radius="big")])
        reply = await ask(s, "load_text", text=json.dumps(bad), filename="bad.json")
        assert reply["type"] == "error" and any("shapes[0].radius" in p for p in reply["problems"])
        assert s.level == BUILT

    run(main())


def test_a_kinetix_file_is_imported(tmp_path):
    from test_kinetix_import import disc, kinetix_doc

    async def main():
        s = session(tmp_path)
        doc = kinetix_doc(circles=[disc((2.0, 1.0), 0.2, role=1)], floor_role=2)
        reply = await ask(s, "load_text", text=json.dumps(doc), filename="k1.json", format="kinetix")
        assert reply["type"] == "level", reply
        assert s.level.name == "k1" and s.level.shapes[0].role == "green" and s.level.boundary.floor.role == "blue"

    run(main())


# --- play ----------------------------------------------------------------------------------------------------------------
def test_a_dropped_green_ball_lands_on_the_blue_target_and_solves(tmp_path):
    async def main():
        s = session(tmp_path)
        await build(s)
        await ask(s, "update_shape", index=1, set={"position": [1.0, 3.0]})  # above the target
        await ask(s, "delete_thruster", index=0)
        replies = await s.handle({"op": "play_start"})
        assert [r["type"] for r in replies] == ["play", "frame"]
        geometry, frame = replies[0]["geometry"], replies[1]
        assert [g["kind"] for g in geometry["shapes"]] == ["polygon", "circle", "circle"]
        assert frame["t"] == 0 and frame["outcome"] == "running" and frame["poses"][1][:2] == pytest.approx([1, 3])
        frame = (await s.handle({"op": "play_step", "n": 200}))[0]
        assert frame["outcome"] == "solved" and frame["return"] == 1.0 and frame["t"] < 60
        assert frame["poses"][1][1] == pytest.approx(2.4, abs=0.05)  # resting on the target's top
        again = (await s.handle({"op": "play_step"}))[0]
        assert again["t"] == frame["t"]  # the episode is over until reset
        frame = (await s.handle({"op": "play_reset"}))[1]
        assert frame["t"] == 0 and frame["outcome"] == "running"

    run(main())


def test_the_thruster_lifts_the_ball_in_real_time_play_with_streamed_frames(tmp_path):
    async def main():
        frames = []

        async def send(msg):
            frames.append(msg)

        s = session(tmp_path, send=send)
        await build(s)
        await s.handle({"op": "play_start"})
        await s.handle({"op": "play_action", "action": [0, 0, 0, 0, 1, 0]})
        assert (await s.handle({"op": "play_run"}))[0] == {"type": "running", "running": True}
        for _ in range(200):
            if frames and frames[-1].get("type") == "running":
                break
            await asyncio.sleep(0.05)
        assert frames[-1] == {"type": "running", "running": False}
        last = frames[-2]
        assert last["outcome"] == "solved" and last["action"] == [0, 0, 0, 0, 1, 0]
        assert last["thrusters"][0][3] == 1.0 and [f["t"] for f in frames[:-1]] == list(range(1, last["t"] + 1))
        # pausing stops the stream; an edit returns to editing
        await s.handle({"op": "play_reset"})
        await s.handle({"op": "play_run"})
        await s.handle({"op": "play_pause"})
        n = len(frames)
        await asyncio.sleep(0.2)
        assert len(frames) == n and s.runner is None

    run(main())


def test_a_trained_checkpoint_acts(tmp_path):
    import jax
    import jax.numpy as jnp

    from tumble.agents.checkpoint import save_params
    from tumble.agents.config import make_config, save_config
    from tumble.agents.networks import make_network
    from tumble.env.observations import observation_space

    run_dir = tmp_path / "runs" / "tiny"
    run_dir.mkdir(parents=True)
    cfg = make_config({}, ["env.size=s", "env.observation=flat", "env.action=multi_discrete", "network.kind=mlp",
                           "network.mlp_widths=8", "network.head_width=8"])
    network = make_network(cfg.network, "flat", "multi_discrete")
    from tumble.levels import capacity_of

    shape = observation_space("flat", capacity_of("s"), None).shape
    save_params(network.init(jax.random.PRNGKey(0), jnp.zeros((1,) + tuple(shape))), run_dir / "params.msgpack")
    save_config(cfg, run_dir / "config.yaml")

    async def main():
        s = session(tmp_path, runs_dir=tmp_path / "runs")
        await build(s)
        assert (await ask(s, "list_agents"))["agents"] == ["tiny"]
        assert (await ask(s, "agent", run="tiny"))["agent"] == "tiny"
        frame = (await s.handle({"op": "play_step", "n": 5}))[0]
        assert frame["t"] == 5 and all(v in (-1.0, 0.0, 1.0) for v in frame["action"])
        await ask(s, "set_level", set={"size": "m"})
        assert "trained on size s" in (await s.handle({"op": "play_start"}))[0]["message"]
        assert (await ask(s, "agent", run=None))["agent"] is None

    run(main())


# --- server --------------------------------------------------------------------------------------------------------------
try:
    import aiohttp
except ModuleNotFoundError:
    aiohttp = None
needs_aiohttp = pytest.mark.skipif(aiohttp is None, reason="aiohttp is not installed (pip install 'tumble[studio]')")


@contextlib.asynccontextmanager
async def _client(tmp_path):
    """A test client of a studio server on ``tmp_path/levels``, closed on exit."""
    from aiohttp.test_utils import TestClient, TestServer

    from tumble.studio.server import create_app

    client = TestClient(TestServer(create_app(tmp_path / "levels")))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@needs_aiohttp
def test_malformed_socket_messages_never_kill_the_server(tmp_path):
    async def main():
        async with _client(tmp_path) as client:
            ws = await client.ws_connect("/ws")
            assert (await ws.receive_json())["type"] == "hello"
            assert (await ws.receive_json())["type"] == "level"
            for bad in ["nonsense", "{}", '{"op": "update_shape", "index": -1, "set": 3}', "[" * 50000, '{"op": "\\ud800"}']:
                await ws.send_str(bad)
                assert (await ws.receive_json())["type"] == "error"
            await ws.send_bytes(b"\x00\xff")
            assert "binary" in (await ws.receive_json())["message"]
            await ws.send_str(json.dumps({"op": "add_shape", "id": 3, "shape": BALL}))
            reply = await ws.receive_json()
            assert reply["type"] == "level" and reply["reply_to"] == 3 and len(reply["level"]["shapes"]) == 1
            try:  # over the size limit: this connection closes (perhaps while the client still sends) ...
                await ws.send_str("x" * (5 * 1024 * 1024))
                msg = await ws.receive()
                assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING,
                                    aiohttp.WSMsgType.ERROR)
            except (ConnectionError, aiohttp.ClientError):
                pass
            await ws.close()
            ws = await client.ws_connect("/ws")  # ... and the server goes on
            assert (await ws.receive_json())["type"] == "hello"
            await ws.close()
            assert (await client.get("/")).status == 200

    run(main())


@needs_aiohttp
def test_other_origins_hosts_and_paths_are_refused(tmp_path):
    async def main():
        async with _client(tmp_path) as client:
            page = await client.get("/")
            assert page.status == 200 and "Tumble Studio" in await page.text()
            assert (await client.get("/static/app.js")).status == 200
            assert (await client.get("/", headers={"Host": "evil.example"})).status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await client.ws_connect("/ws", headers={"Origin": "http://evil.example"})
            ws = await client.ws_connect("/ws", headers={"Origin": str(client.make_url("")).rstrip("/")})
            assert (await ws.receive_json())["type"] == "hello"
            await ws.close()
            import yarl

            root = str(client.make_url("")).rstrip("/")
            for path in ("/static/../session.py", "/static/%2e%2e/session.py", "/static/..%2fsession.py"):
                r = await client.session.get(yarl.URL(root + path, encoded=True))
                assert r.status in (403, 404) and "class Session" not in await r.text()

    run(main())


def test_cli_studio_help_and_missing_aiohttp(monkeypatch):
    from typer.testing import CliRunner

    from tumble.cli.main import app

    result = CliRunner().invoke(app, ["studio", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--levels" in result.output
    assert "--host" in result.output
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    result = CliRunner().invoke(app, ["studio"])
    assert result.exit_code == 2 and "pip install 'tumble[studio]'" in result.output


@needs_aiohttp
def test_cli_studio_prints_its_loopback_address(tmp_path):
    code = ("import sys; from tumble.cli.main import app; "
            "sys.argv = ['tumble', 'studio', '--port', '0', '--levels', sys.argv[1]]; app()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "lv")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Tumble Studio: http://127.0.0.1:"), line
        assert (tmp_path / "lv").is_dir()
    finally:
        proc.terminate()
        proc.wait(10)


# --- the page in a real browser -------------------------------------------------------------------------------------------
def _chromium() -> str | None:
    for name in (os.environ.get("TUMBLE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _install_chromium() -> None:
    """The test setup: install Debian's chromium when running as root on a Debian-like system.

    Set TUMBLE_NO_BROWSER_INSTALL=1 to skip (the browser test then skips); any failure also skips.
    """
    if os.environ.get("TUMBLE_NO_BROWSER_INSTALL") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    if not shutil.which("apt-get"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", "chromium"], ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "chromium"]):
        try:
            subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return
        if _chromium():
            return


class _ServerThread:
    """The Studio on a free loopback port, in a thread with its own event loop."""

    def __init__(self, levels: Path, runs: Path | None = None) -> None:
        from tumble.studio.server import start_server

        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve():
            asyncio.set_event_loop(self.loop)
            self.runner, self.url = self.loop.run_until_complete(start_server("127.0.0.1", 0, levels, runs))
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.runner.cleanup())

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        assert ready.wait(60), "the Studio did not start"

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


@pytest.fixture(scope="module")
def browser():
    if aiohttp is None:
        pytest.skip("aiohttp is not installed (pip install 'tumble[studio]')")
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        pytest.skip("Playwright is not installed (pip install playwright; see docs/studio.md)")
    exe = _chromium()
    if exe is None:
        _install_chromium()
        exe = _chromium()
    if exe is None:
        pytest.skip("no chromium binary (apt-get install chromium, or set TUMBLE_CHROMIUM; see docs/studio.md)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


TOLERANCE = 0.004  # fraction of pixels that may differ (edges); measured 0.0012; one missing ball is 0.0046


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(fraction of pixels off by more than 48 in some channel, mean absolute difference)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(np.mean(d.max(-1) > 48)), float(d.mean())


def _assert_alike(page_image: np.ndarray, rendered: np.ndarray, folder: Path, name: str) -> None:
    """The page's drawing matches the renderer's but for antialiasing at edges (images kept on failure)."""
    from PIL import Image

    bad, mean = _diff(page_image, rendered)
    if not (bad < TOLERANCE and mean < 0.6):
        Image.fromarray(page_image).save(folder / f"{name}-page.png")
        Image.fromarray(rendered).save(folder / f"{name}-renderer.png")
        raise AssertionError(f"{name}: {bad:.2%} of pixels differ, mean difference {mean:.2f}; see {folder}")


def test_build_play_save_reload_in_the_browser(browser, tmp_path):
    from PIL import Image

    from tumble.levels import compile_level
    from tumble.render.raster import human_config, render_level, to_uint8

    server = _ServerThread(tmp_path / "levels")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    idle = "window.studio.pending.size === 0"
    try:
        page.goto(server.url)
        page.wait_for_function("window.studio && window.studio.connected && window.studio.level !== null")
        page.fill("#l-name", "built")
        page.press("#l-name", "Tab")
        page.wait_for_function(f"window.studio.level.name === 'built' && {idle}")
        page.select_option("#l-size", "s")
        page.wait_for_function(f"window.studio.level.size === 's' && {idle}")
        box = page.locator("#canvas").bounding_box()
        scale = 640 / 5.2  # the default view, (-0.1, -0.1) to (5.1, 5.1)

        def at(x, y):
            return box["x"] + 1 + (x + 0.1) * scale, box["y"] + 1 + (5.1 - y) * scale

        def shapes(n):
            page.wait_for_function(f"window.studio.level.shapes.length === {n} && {idle}")

        page.click("[data-tool=rect]")  # the ground: drag a rectangle, make it static
        page.mouse.move(*at(0.5, 0.5))
        page.mouse.down()
        page.mouse.move(*at(2.5, 0.6), steps=5)
        page.mouse.move(*at(4.5, 0.7), steps=5)
        page.mouse.up()
        shapes(1)
        page.check("#f-static")
        page.wait_for_function(f"window.studio.level.shapes[0].static === true && {idle}")
        page.keyboard.press("c")  # the green ball
        page.mouse.click(*at(1.0, 0.9))
        shapes(2)
        page.select_option("#f-role", "green")
        page.wait_for_function(f"window.studio.level.shapes[1].role === 'green' && {idle}")
        page.mouse.click(*at(1.0, 2.0))  # the blue target
        shapes(3)
        page.select_option("#f-role", "blue")
        page.wait_for_function(f"window.studio.level.shapes[2].role === 'blue' && {idle}")
        page.check("#f-static")
        page.wait_for_function(f"window.studio.level.shapes[2].static === true && {idle}")
        page.click("[data-tool=thruster]")  # a thruster on the ball, pointing up
        page.mouse.click(*at(1.0, 0.9))
        page.wait_for_function(f"(window.studio.level.thrusters || []).length === 1 && {idle}")
        assert parse_level(page.evaluate("window.studio.level")) == BUILT
        page.keyboard.press("Control+z")
        page.wait_for_function(f"!window.studio.level.thrusters && {idle}")
        page.keyboard.press("Control+Shift+z")
        page.wait_for_function(f"(window.studio.level.thrusters || []).length === 1 && {idle}")

        # play: the first frame as the page draws it against the renderer
        page.click("#mode-play")
        page.wait_for_function("window.studio.play.frame !== null && window.studio.play.frame.t === 0",
                               timeout=180_000)
        view = page.evaluate("window.studio.view")
        config = human_config(640, view=tuple(view))
        clip = {"x": box["x"] + 1, "y": box["y"] + 1, "width": 640, "height": 640}

        def shot():
            return np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"))

        compiled = compile_level(BUILT)
        start = to_uint8(render_level(compiled, config))
        _assert_alike(shot(), start, tmp_path, "start")

        page.keyboard.down("w")  # fire the thruster and run until green touches blue
        page.keyboard.press(" ")
        page.wait_for_function("window.studio.play.frame.outcome !== 'running'", timeout=60_000)
        page.keyboard.up("w")
        frame = page.evaluate("window.studio.play.frame")
        assert frame["outcome"] == "solved" and frame["return"] == 1.0
        assert page.inner_text("#outcome") == "solved"

        # the last state as the renderer draws it: the streamed poses put into the compiled level
        import jax.numpy as jnp

        from tumble.levels import body_indices, level_capacity

        st = compiled.scene.state
        slots = body_indices(BUILT, level_capacity(BUILT))
        pos, ang = np.asarray(st.position).copy(), np.asarray(st.angle).copy()
        for slot, (x, y, a) in zip(slots, frame["poses"]):
            pos[slot], ang[slot] = (x, y), a
        moved = compiled.replace(scene=compiled.scene.replace(state=st.replace(position=jnp.asarray(pos),
                                                                               angle=jnp.asarray(ang))))
        end = to_uint8(render_level(moved, config, jnp.asarray(frame["action"], jnp.float32)))
        _assert_alike(shot(), end, tmp_path, "end")
        assert _diff(start, end)[0] > TOLERANCE  # the ball moved and the flame is lit: the comparison can fail

        # save, reload the page, open the file: what was built
        page.click("#mode-edit")
        page.fill("#save-name", "built")
        page.click("#save")
        page.wait_for_function("document.getElementById('notice').textContent.includes('saved built.json')")
        saved = tmp_path / "levels" / "built.json"
        assert load_level(saved) == BUILT
        page.reload()
        page.wait_for_function("window.studio && window.studio.connected && window.studio.level !== null")
        page.wait_for_function("document.querySelector('#open-list option[value=\"saved:built.json\"]') !== null")
        page.select_option("#open-list", "saved:built.json")
        page.click("#open")
        page.wait_for_function(f"window.studio.level.name === 'built' && {idle}")
        assert parse_level(page.evaluate("window.studio.level")) == BUILT

        # a bad upload is reported in the page
        page.set_input_files("#upload", files=[{"name": "bad.json", "mimeType": "application/json",
                                                "buffer": b'{"format": "tumble-level", "version": 1, "name": "x", '
                                                          b'"shapes": [{"kind": "circle", "radius": -1}]}'}])
        page.wait_for_function("document.getElementById('errors').textContent.includes('shapes[0].radius')")
        assert parse_level(page.evaluate("window.studio.level")) == BUILT
        assert errors == []
    finally:
        page.close()
        server.stop()
