"""One page's Studio session: the level being edited (a :class:`Level`), its undo history, play and files.

The page sends JSON messages ``{"op": ..., "id": n, ...}``; :meth:`Session.handle`
validates each one and answers with a list of replies (``reply_to`` echoes
``id``).  Every edit builds the edited level as file data and runs it through
the levels validator (:func:`tumble.levels.parse_level`), so the level on the
server is always one that :func:`tumble.levels.save_level` would write; a
refused edit leaves it unchanged and answers ``{"type": "error", "message",
"problems"}``.  See ``docs/studio.md`` for the protocol.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path
from typing import Any, Awaitable, Callable

from tumble.levels.codec import LevelError, level_to_dict, loads_level, parse_level, save_level
from tumble.levels.model import Level
from tumble.levels.sizes import SIZES
from tumble.studio.files import FileAccessError, LevelsFolder

HISTORY = 200  # undo steps kept
CANVAS = 640  # the page's canvas, pixels per side
MAX_STEPS_PER_REQUEST = 1000
DEFAULT_VIEW = (-0.1, -0.1, 5.1, 5.1)
ENTITIES = {"shape": "shapes", "joint": "joints", "thruster": "thrusters"}
EDIT_OPS = {"new", "set_level", "undo", "redo"} | {f"{verb}_{what}" for verb in ("add", "update", "delete")
                                                    for what in ENTITIES}


class MessageError(ValueError):
    """A message the session refuses; ``problems`` are shown in the page."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


def empty_level(name: str = "untitled", size: str = "m") -> Level:
    """A level with no shapes (what the editor starts from; it cannot be saved until it has one)."""
    return Level(name=name, shapes=(), size=size)


def validate_data(data: Any) -> Level:
    """The level of file data ``data``; like :func:`parse_level` but a level without shapes is allowed."""
    if isinstance(data, dict) and data.get("shapes") == [] and not data.get("joints") and not data.get("thrusters"):
        # the file format requires a shape; an editor must be able to start from none
        probe = parse_level(dict(data, shapes=[_placeholder(data.get("size", "m"))]))
        return probe.replace(shapes=())
    return parse_level(data)


def _placeholder(size: Any) -> dict:
    if isinstance(size, dict) and not size.get("circles"):
        return {"kind": "polygon", "vertices": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]}
    return {"kind": "circle", "radius": 1.0}


def level_view(level: Level) -> list[float]:
    """The world rectangle the page shows: the 5 x 5 m world, grown to hold the walls and shapes."""
    x0, y0, x1, y1 = DEFAULT_VIEW
    b = level.boundary
    xs, ys = [], []
    if b is not None:
        xs += [w.at for w in (b.left, b.right) if w is not None]
        ys += [w.at for w in (b.floor, b.ceiling) if w is not None]
    for s in level.shapes:
        if s.kind == "circle":
            xs += [s.position[0] - s.radius, s.position[0] + s.radius]
            ys += [s.position[1] - s.radius, s.position[1] + s.radius]
        else:
            c, n = math.cos(s.angle), math.sin(s.angle)
            xs += [s.position[0] + c * x - n * y for x, y in s.vertices]
            ys += [s.position[1] + n * x + c * y for x, y in s.vertices]
    if xs:
        x0, x1 = min(x0, min(xs) - 0.1), max(x1, max(xs) + 0.1)
    if ys:
        y0, y1 = min(y0, min(ys) - 0.1), max(y1, max(ys) + 0.1)
    return [x0, y0, x1, y1]


def render_style(view) -> dict:
    """How the page draws (colours and marker sizes): the renderer's palette and ``human_config`` for the canvas."""
    from tumble.render import raster as R

    cfg = R.human_config(CANVAS, view=tuple(view))
    return {
        "background": R.BACKGROUND, "role_colours": R.ROLE_COLOURS, "static_shade": R.STATIC_SHADE,
        "edge_shade": R.EDGE_SHADE, "line_colour": R.LINE_COLOUR, "joint_ring": R.JOINT_RING,
        "joint_centre": R.JOINT_CENTRE, "motor_colours": R.MOTOR_COLOURS, "nozzle_colours": R.NOZZLE_COLOURS,
        "flame": R.FLAME, "outline": cfg.outline, "line_width": cfg.line_width, "joint_radius": cfg.joint_radius,
        "thruster_size": cfg.thruster_size, "min_marker": cfg.min_marker, "canvas": CANVAS,
    }


def _index(msg: dict, n: int, what: str) -> int:
    i = msg.get("index")
    if isinstance(i, bool) or not isinstance(i, int):
        raise MessageError(f"{what}: 'index' must be an integer")
    if not 0 <= i < n:
        raise MessageError(f"{what}: there is no {what} {i} (the level has {n})")
    return i


def _obj(msg: dict, key: str) -> dict:
    v = msg.get(key)
    if not isinstance(v, dict):
        raise MessageError(f"{msg.get('op')}: {key!r} must be an object")
    return v


def _rot(angle: float, v) -> tuple[float, float]:
    c, s = math.cos(angle), math.sin(angle)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1])


def _carry(data: dict, index: int, old: dict, new: dict) -> None:
    """Move the thrusters of shape ``index`` and the anchors of joints whose ``b`` it is along with its new pose."""
    op, oa = old.get("position", [0.0, 0.0]), float(old.get("angle", 0.0))
    np_, na = new.get("position", [0.0, 0.0]), float(new.get("angle", 0.0))
    if list(op) == list(np_) and oa == na:
        return

    def move(p):
        local = _rot(-oa, (p[0] - op[0], p[1] - op[1]))
        w = _rot(na, local)
        return [np_[0] + w[0], np_[1] + w[1]]

    for t in data.get("thrusters", []):
        if t.get("body") == index:
            t["point"] = move(t["point"])
            t["angle"] = float(t.get("angle", 0.0)) + na - oa
    for j in data.get("joints", []):
        if j.get("b") == index:
            j["anchor"] = move(j["anchor"])


def _renumber_after_delete(data: dict, index: int) -> None:
    """Drop joints and thrusters on shape ``index`` and shift the later shape indices down."""
    shift = lambda i: i - 1 if isinstance(i, int) and i > index else i  # noqa: E731
    data["joints"] = [dict(j, a=shift(j.get("a")), b=shift(j["b"])) for j in data.get("joints", [])
                      if index not in (j.get("a"), j.get("b"))]
    for j in data["joints"]:
        if j["a"] is None:
            del j["a"]
    data["thrusters"] = [dict(t, body=shift(t["body"])) for t in data.get("thrusters", []) if t.get("body") != index]


class Session:
    """Editing, play and file state of one connection; ``send`` pushes replies that are not answers (frames)."""

    def __init__(self, levels: LevelsFolder, runs_dir: Path | None = None,
                 send: Callable[[dict], Awaitable[None]] | None = None) -> None:
        self.levels = levels
        self.runs_dir = runs_dir
        self.send = send
        self.level = empty_level()
        self.undo_stack: list[Level] = []
        self.redo_stack: list[Level] = []
        self.player = None
        self.agent = None
        self.runner: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.fps = 30.0

    # --- dispatch --------------------------------------------------------------------------------------------------
    async def handle(self, raw: Any) -> list[dict]:
        """Replies to one message (text or parsed); never raises for a bad message."""
        msg_id = None
        try:
            msg = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
            if not isinstance(msg, dict):
                raise MessageError("a message must be a JSON object with an 'op' field")
            msg_id = msg.get("id") if isinstance(msg.get("id"), (int, str)) else None
            op = msg.get("op")
            if not isinstance(op, str) or not re.fullmatch(r"[a-z_]{1,32}", op):
                raise MessageError("a message needs an 'op' (a short lowercase name)")
            if op in EDIT_OPS:
                await self._stop_play()
                replies = [self._edit(op, msg)]
            else:
                handler = getattr(self, f"op_{op}", None)
                if handler is None:
                    raise MessageError(f"unknown op {op!r}")
                replies = await handler(msg)
        except json.JSONDecodeError as exc:
            replies = [_error(f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})")]
        except LevelError as exc:
            replies = [_error("the level is not valid", exc.problems)]
        except (MessageError, FileAccessError) as exc:
            replies = [_error(str(exc), getattr(exc, "problems", []))]
        except ValueError as exc:  # e.g. an agent trained for another level size
            replies = [_error(str(exc))]
        except Exception as exc:  # a handler bug must not end the connection; report it
            replies = [_error(f"internal error: {exc.__class__.__name__}: {exc}")]
        if msg_id is not None:
            for r in replies:
                r.setdefault("reply_to", msg_id)
        return replies

    def level_reply(self, notice: str = "") -> dict:
        """The current level as file data plus what the page needs beside it."""
        view = level_view(self.level)
        out = {"type": "level", "level": level_to_dict(self.level), "can_undo": bool(self.undo_stack),
               "can_redo": bool(self.redo_stack), "view": view, "style": render_style(view)}
        if notice:
            out["notice"] = notice
        return out

    # --- editing ---------------------------------------------------------------------------------------------------
    def _commit(self, level: Level) -> None:
        if level != self.level:
            self.undo_stack.append(self.level)
            del self.undo_stack[:-HISTORY]
            self.redo_stack.clear()
            self.level = level

    def _edit(self, op: str, msg: dict) -> dict:
        if op == "undo" or op == "redo":
            src, dst = (self.undo_stack, self.redo_stack) if op == "undo" else (self.redo_stack, self.undo_stack)
            if not src:
                raise MessageError(f"nothing to {op}")
            dst.append(self.level)
            self.level = src.pop()
            return self.level_reply()
        if op == "new":
            size = msg.get("size", "m")
            name = msg.get("name", "untitled")
            level = validate_data(dict(level_to_dict(empty_level()), name=name, size=size))
            self._commit(level)
            return self.level_reply()
        data = level_to_dict(self.level)
        data.setdefault("joints", [])
        data.setdefault("thrusters", [])
        notice = ""
        if op == "set_level":
            changes = _obj(msg, "set")
            for key in ("format", "version", "shapes", "joints", "thrusters"):
                if key in changes:
                    raise MessageError(f"set_level: {key!r} cannot be set this way")
            data.update(changes)
        else:
            verb, what = op.split("_", 1)
            key = ENTITIES[what]
            items = data[key]
            if verb == "add":
                items.append(_obj(msg, what))
            elif verb == "update":
                i = _index(msg, len(items), what)
                changes = _obj(msg, "set")
                old = dict(items[i])
                items[i] = {k: v for k, v in {**items[i], **changes}.items() if v is not None}  # None: default
                if what == "shape":
                    _carry(data, i, old, items[i])
            else:
                i = _index(msg, len(items), what)
                del items[i]
                if what == "shape":
                    _renumber_after_delete(data, i)
            if verb == "add":
                data, notice = self._fit_size(data)
        if op != "set_level" or not set(msg["set"]) <= {"name", "description", "family"}:
            data.pop("certificate", None)  # an edited level is no longer known to be solved by it
        self._commit(validate_data(data))
        return self.level_reply(notice)

    @staticmethod
    def _fit_size(data: dict) -> tuple[dict, str]:
        """After an add: when the level no longer fits its named size, the next named size that holds it."""
        try:
            validate_data(data)
            return data, ""
        except LevelError as exc:
            size = data.get("size", "m")
            if not any("over capacity" in p for p in exc.problems) or not isinstance(size, str) or size not in SIZES:
                raise
            names = list(SIZES)
            for bigger in names[names.index(size) + 1:]:
                try:
                    validate_data(dict(data, size=bigger))
                    return dict(data, size=bigger), f"the level grew to size {bigger} to hold it"
                except LevelError:
                    continue
            raise

    async def op_get_level(self, msg: dict) -> list[dict]:
        return [self.level_reply()]

    # --- files -------------------------------------------------------------------------------------------------------
    async def op_list_files(self, msg: dict) -> list[dict]:
        from tumble.levels.library import bundled_paths

        bundled = [f"{p.parent.name}/{name}" for name, p in bundled_paths().items()]
        return [{"type": "files", "saved": self.levels.list(), "bundled": bundled}]

    def _load(self, level: Level, notice: str) -> list[dict]:
        self._commit(level)
        return [self.level_reply(notice)]

    async def op_open(self, msg: dict) -> list[dict]:
        await self._stop_play()
        source, name = msg.get("source", "saved"), msg.get("name")
        if source == "bundled":
            from tumble.levels.library import bundled_paths

            key = name.split("/")[-1] if isinstance(name, str) else None
            paths = bundled_paths()
            if key not in paths:
                raise MessageError(f"open: no bundled level named {name!r}")
            return self._load(loads_level(paths[key].read_text(encoding="utf-8"), f"bundled:{key}"),
                              f"opened bundled level {key}")
        if source != "saved":
            raise MessageError("open: 'source' must be 'saved' or 'bundled'")
        clean, text = self.levels.read_text(name)
        return self._load(loads_level(text, clean), f"opened {clean}")

    async def op_save(self, msg: dict) -> list[dict]:
        name = msg.get("name") or self.level.name
        clean, path = self.levels.path_for_writing(name)
        if path.exists() and not msg.get("overwrite", False):
            return [{"type": "confirm_overwrite", "name": clean}]
        if not self.level.shapes:
            raise MessageError("save: the level has no shapes yet (a level file needs at least one)")
        save_level(self.level, path)  # validates again and writes atomically
        return [{"type": "saved", "name": clean}, *(await self.op_list_files({}))]

    async def op_load_text(self, msg: dict) -> list[dict]:
        """A level file the user picked in the page (its text), in Tumble's format or Kinetix's."""
        await self._stop_play()
        text, filename = msg.get("text"), msg.get("filename", "upload.json")
        if not isinstance(text, str) or not isinstance(filename, str):
            raise MessageError("load_text: 'text' and 'filename' must be strings")
        stem = Path(filename.replace("\\", "/")).name.removesuffix(".json") or "imported"
        if msg.get("format", "tumble") == "kinetix":
            from tumble.levels.kinetix_import import convert_kinetix_level

            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise LevelError([f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"],
                                 filename) from None
            conversion = convert_kinetix_level(data, stem, filename)
            notes = "; ".join(getattr(conversion, "notes", ()) or ())
            return self._load(conversion.level, f"imported Kinetix level {stem}" + (f" ({notes})" if notes else ""))
        return self._load(loads_level(text, filename), f"loaded {filename}")

    async def op_generate(self, msg: dict) -> list[dict]:
        """A random level from Tumble's generator (``size`` s, m or l; ``seed`` an integer)."""
        await self._stop_play()
        size, seed = msg.get("size", "m"), msg.get("seed", 0)
        if not isinstance(size, str) or size not in SIZES:
            raise MessageError(f"generate: 'size' must be one of {', '.join(SIZES)}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise MessageError("generate: 'seed' must be an integer in [0, 2^31)")
        level = await asyncio.to_thread(_generated_level, size, seed)
        return self._load(level, f"generated level {level.name}")

    # --- play --------------------------------------------------------------------------------------------------------
    async def _ensure_player(self):
        if self.player is None or self.player.level != self.level:
            if not self.level.shapes:
                raise MessageError("play: the level has no shapes yet")
            from tumble.studio.play import Player

            if self.agent is not None:
                self.agent.check_level(self.level)
            self.player = await asyncio.to_thread(Player, self.level)
        return self.player

    async def _stop_play(self) -> None:
        if self.runner is not None:
            self.runner.cancel()
            try:
                await self.runner
            except asyncio.CancelledError:
                pass
            self.runner = None

    async def op_play_start(self, msg: dict) -> list[dict]:
        """Compile (first time per capacity: seconds) and reset; answers the geometry and the first frame."""
        await self._stop_play()
        async with self.lock:
            player = await self._ensure_player()
            player.reset()
            view = level_view(self.level)
            return [{"type": "play", "geometry": player.geometry(), "view": view, "style": render_style(view),
                     "level": level_to_dict(self.level)}, player.frame()]

    async def op_play_reset(self, msg: dict) -> list[dict]:
        return await self.op_play_start(msg)

    async def op_play_action(self, msg: dict) -> list[dict]:
        """Set the channel values used by the next steps (the keyboard's state)."""
        from tumble.studio.play import clip_action

        action = msg.get("action")
        if (not isinstance(action, list) or len(action) != 6
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in action)):
            raise MessageError("play_action: 'action' must be a list of 6 numbers")
        self.action = clip_action(action)
        return []

    async def op_play_step(self, msg: dict) -> list[dict]:
        """``n`` env steps (default 1) now; answers the last frame."""
        n = msg.get("n", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_STEPS_PER_REQUEST:
            raise MessageError(f"play_step: 'n' must be an integer in [1, {MAX_STEPS_PER_REQUEST}]")
        await self._stop_play()
        async with self.lock:
            player = await self._ensure_player()
            await asyncio.to_thread(self._steps, player, n)
            return [player.frame()]

    def _steps(self, player, n: int) -> None:
        for _ in range(n):
            if player.done:
                break
            player.step(getattr(self, "action", None), self.agent)

    async def op_play_run(self, msg: dict) -> list[dict]:
        """Step in real time (one env step per ``frame_skip * dt``), streaming frames, until paused or done."""
        await self._stop_play()
        async with self.lock:
            player = await self._ensure_player()
        if player.done:
            return [player.frame()]
        self.runner = asyncio.create_task(self._run(player))
        return [{"type": "running", "running": True}]

    async def _run(self, player) -> None:
        loop = asyncio.get_running_loop()
        period = player.level.frame_skip * player.level.dt
        next_time = loop.time()
        while not player.done:
            async with self.lock:
                await asyncio.to_thread(self._steps, player, 1)
                frame = player.frame()
            if self.send is not None:
                await self.send(frame)
            next_time += period
            await asyncio.sleep(max(0.0, next_time - loop.time()))
            next_time = max(next_time, loop.time() - period)  # never try to catch up on a backlog
        if self.send is not None:
            await self.send({"type": "running", "running": False})

    async def op_play_pause(self, msg: dict) -> list[dict]:
        await self._stop_play()
        return [{"type": "running", "running": False}]

    async def op_play_stop(self, msg: dict) -> list[dict]:
        await self._stop_play()
        return [self.level_reply()]

    # --- agents ------------------------------------------------------------------------------------------------------
    def _run_folders(self) -> list[str]:
        if self.runs_dir is None or not self.runs_dir.is_dir():
            return []
        root = self.runs_dir.resolve()
        return sorted(p.name for p in root.iterdir()
                      if p.is_dir() and p.resolve().parent == root and (p / "config.yaml").is_file()
                      and (p / "params.msgpack").is_file())

    async def op_list_agents(self, msg: dict) -> list[dict]:
        return [{"type": "agents", "agents": self._run_folders(), "current": self.agent.name if self.agent else None}]

    async def op_agent(self, msg: dict) -> list[dict]:
        """Let a trained run (a folder name under the runs folder) act in play, or ``run: null`` for the keyboard."""
        name = msg.get("run")
        if name is None:
            self.agent = None
            return [{"type": "agent", "agent": None}]
        if not isinstance(name, str) or name not in self._run_folders():
            raise MessageError(f"agent: no trained run named {name!r} in the runs folder")
        from tumble.studio.play import Agent

        agent = await asyncio.to_thread(Agent, self.runs_dir.resolve() / name, bool(msg.get("greedy", True)))
        agent.check_level(self.level)
        self.agent = agent
        return [{"type": "agent", "agent": name}]

    async def close(self) -> None:
        """Stop the real-time runner (the connection closed)."""
        await self._stop_play()


def _error(message: str, problems: list[str] | None = None) -> dict:
    return {"type": "error", "message": message, "problems": list(problems or [])}


_GENERATE_CACHE: dict = {}


def _generated_level(size: str, seed: int) -> Level:
    import jax

    from tumble.levels.from_arrays import level_from_arrays
    from tumble.levels.generator import generate

    if size not in _GENERATE_CACHE:
        _GENERATE_CACHE[size] = jax.jit(lambda key: generate(key, size))
    compiled = _GENERATE_CACHE[size](jax.random.PRNGKey(seed))
    return level_from_arrays(compiled, f"generated-{size}-{seed}", family="generated")

