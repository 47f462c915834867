"""``tumble``: the command-line entry point.

Only typer is imported at module level; every command imports what it needs
when it runs, so ``tumble --help`` stays fast (no JAX start-up).
"""

from __future__ import annotations

import enum
import importlib
from pathlib import Path
from typing import Annotated

import typer

from tumble.cli.levels import levels_app
from tumble.cli.render import render_command
from tumble.cli.train import register_training_commands

app = typer.Typer(
    name="tumble",
    help="Tumble: open-ended 2D physics reinforcement learning in JAX.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks (see docs/cli.md).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(levels_app, name="levels")
app.command("render")(render_command)
register_training_commands(app)

DEFAULT_BATCHES = (1, 16, 256, 1024, 4096)


@bench_app.callback()
def bench_options(
    cpu_threads: Annotated[
        int | None,
        typer.Option(
            "--cpu-threads", min=1,
            help="Threads for XLA's CPU runtime, on both sides (NPROC; default: one per core). "
                 "Batch 1 is steadier with 1: see docs/architecture.md.",
        ),
    ] = None,
    whole_loops: Annotated[
        bool | None,
        typer.Option(
            "--whole-loops/--no-whole-loops",
            help="Let XLA compile small loops as whole functions, on both sides (XLA_FLAGS; default: on, as "
                 "importing tumble sets it, unless TUMBLE_WHOLE_LOOPS=0): see docs/architecture.md, "
                 "\"Solver loops compiled whole\".",
        ),
    ] = None,
) -> None:
    """Benchmarks (see docs/cli.md)."""
    if cpu_threads is not None:
        from tumble.cpu_threads import limit_cpu_threads

        limit_cpu_threads(cpu_threads)
    if whole_loops is not None:
        from tumble.whole_loops import disable_whole_loops, enable_whole_loops, whole_loop_bytes

        if not whole_loops:
            disable_whole_loops()
        elif whole_loop_bytes() is None and not enable_whole_loops():
            typer.echo("--whole-loops: XLA_FLAGS already sets --xla_backend_extra_options; left as it is", err=True)


class Size(str, enum.Enum):
    """Kinetix level sizes."""

    s = "s"
    m = "m"
    l = "l"  # noqa: E741


@app.command()
def version() -> None:
    """Print the versions of tumble, JAX and Python."""
    import platform
    from importlib import metadata

    def ver(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    from tumble import __version__

    typer.echo(f"tumble {__version__}")
    typer.echo(f"jax {ver('jax')}, jaxlib {ver('jaxlib')}, python {platform.python_version()}")


@app.command()
def showcase(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for demo.gif and summary.json.")] = Path(
        "runs/showcase"),
    steps: Annotated[int, typer.Option("--steps", "-n", min=1, help="Physics steps of 1/60 s to simulate.")] = 240,
    size: Annotated[int, typer.Option("--size", min=64, max=2048, help="GIF width and height in pixels.")] = 400,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Keep compiled programs in ~/.cache/tumble/jax, so a second run skips compilation.",
        ),
    ] = True,
) -> None:
    """Simulate a physics showcase scene (car, stack, ball, rocket) and write a GIF and a JSON summary."""
    from tumble.cli.showcase import run_showcase

    summary = run_showcase(out=out, steps=steps, size=size, cache=cache, log=typer.echo)
    if summary["non_finite"]:
        raise typer.Exit(1)


@app.command()
def studio(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; keep the default unless you "
                                                     "mean other machines to reach it.")] = "127.0.0.1",
    levels: Annotated[Path, typer.Option("--levels", help="Folder the page opens and saves levels in "
                                                          "(created if missing).")] = Path("levels"),
    runs: Annotated[Path, typer.Option("--runs", help="Folder of training runs whose agents may play.")] = Path("runs"),
) -> None:
    """Design and play levels in the browser: start the Studio's local web server and print its address."""
    try:
        importlib.import_module("aiohttp")
    except ModuleNotFoundError:
        typer.echo("error: tumble studio needs aiohttp; install it with: pip install 'tumble[studio]'", err=True)
        raise typer.Exit(2) from None
    from tumble.studio.server import serve

    try:
        serve(host=host, port=port, levels_dir=levels, runs_dir=runs, echo=typer.echo)
    except OSError as exc:
        typer.echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


@bench_app.command("physics")
def bench_physics(
    size: Annotated[
        list[Size] | None,
        typer.Option(
            "--size", "-s", case_sensitive=False, help="Level size to run (repeat for several; default: s, m and l)."
        ),
    ] = None,
    batch: Annotated[
        list[int] | None,
        typer.Option(
            "--batch", "-b", min=1, help="Number of scenes stepped in parallel (repeat; default: 1 16 256 1024 4096)."
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON instead of a table.")] = False,
    anchor: Annotated[
        bool, typer.Option("--anchor/--no-anchor", help="Also time the reference engine (--no-anchor skips it).")
    ] = True,
    steps: Annotated[int | None, typer.Option("--steps", "-k", min=1, help="Physics steps per timed rollout.")] = None,
) -> None:
    """Physics steps per second of Tumble (and the reference engine) by level size and batch size."""
    try:
        module = importlib.import_module("tumble.bench.physics")
    except ModuleNotFoundError as exc:
        if exc.name in ("tumble.bench.physics", "tumble.bench"):
            typer.echo(
                "error: the physics benchmark (tumble.bench.physics) is not part of this installation yet", err=True
            )
        else:
            typer.echo(f"error: the physics benchmark needs the module {exc.name!r}, which is not installed", err=True)
        raise typer.Exit(2) from None
    kwargs = {
        "sizes": list(dict.fromkeys(s.value for s in size or Size)),  # in the order given, without repeats
        "batches": list(dict.fromkeys(batch or DEFAULT_BATCHES)),
        "json_out": json_out,
        "anchor": anchor,
    }
    if steps is not None:
        kwargs["steps"] = steps  # otherwise the benchmark's own default
    result = module.main(**kwargs)
    if isinstance(result, int) and not isinstance(result, bool) and result != 0:
        raise typer.Exit(result)


@bench_app.command("load")
def bench_load(
    files: Annotated[int, typer.Option("--files", "-n", min=1, help="Level files to load.")] = 1000,
    anchor_files: Annotated[int, typer.Option("--anchor-files", min=1, help="Files the reference loads.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line only.")] = False,
    anchor: Annotated[bool, typer.Option("--anchor/--no-anchor", help="Also time the reference's loader.")] = True,
) -> None:
    """Seconds to load (and compile and stack) level files, against the reference's loader."""
    from tumble.bench.levels_load import main as load_main

    raise typer.Exit(load_main(n_files=files, anchor=anchor, anchor_files=anchor_files, json_out=json_out))


@bench_app.command("generate")
def bench_generate(
    size: Annotated[list[Size] | None, typer.Option("--size", "-s", case_sensitive=False,
                                                     help="Level size (repeat; default m).")] = None,
    batch: Annotated[list[int] | None, typer.Option("--batch", "-b", min=1,
                                                     help="Levels per call (repeat; default 1 256 4096).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON lines only.")] = False,
    anchor: Annotated[bool, typer.Option("--anchor/--no-anchor", help="Also time the reference's generator.")] = True,
) -> None:
    """Generated levels per second and compile time, raw and no-op filtered, against the reference's generator."""
    from tumble.bench.generate import main as generate_main

    generate_main(sizes=[s.value for s in size or [Size.m]], batches=batch or [1, 256, 4096], json_out=json_out,
                  anchor=anchor)


@bench_app.command("render")
def bench_render(
    size: Annotated[list[Size] | None, typer.Option("--size", "-s", case_sensitive=False,
                                                     help="Level size (repeat; default m).")] = None,
    resolution: Annotated[list[int] | None, typer.Option("--resolution", "-r", min=8,
                                                          help="Square image side (repeat; default 64 128).")] = None,
    batch: Annotated[list[int] | None, typer.Option("--batch", "-b", min=1,
                                                     help="Rasteriser batch (repeat; default 1 256).")] = None,
    env_batch: Annotated[list[int] | None, typer.Option("--env-batch", min=1,
                                                         help="Pixel-env batch (repeat; default 1 256).")] = None,
    frames: Annotated[int, typer.Option("--frames", min=1, help="Frames per timed call.")] = 16,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Env steps per timed call.")] = 16,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON lines only.")] = False,
    anchor: Annotated[bool, typer.Option("--anchor/--no-anchor", help="Also time kinetix-env's pixels.")] = True,
) -> None:
    """Frames/s of the JAX rasteriser and pixel-observation env steps/s, against kinetix-env."""
    from tumble.bench.render import main as render_main

    raise typer.Exit(render_main(sizes=[s.value for s in size or [Size.m]], resolutions=resolution or [64, 128],
                                 batches=batch or [1, 256], env_batches=env_batch or [1, 256], frames=frames,
                                 steps=steps, anchor=anchor, json_out=json_out))


@bench_app.command("env")
def bench_env(
    size: Annotated[list[Size] | None, typer.Option("--size", "-s", case_sensitive=False,
                                                     help="Level size (repeat; default s m l).")] = None,
    batch: Annotated[list[int] | None, typer.Option("--batch", "-b", min=1,
                                                     help="Envs stepped together (repeat; default 1 16 256 1024).")] = None,
    obs: Annotated[list[str] | None, typer.Option("--obs", help="flat and/or entity (repeat; default both).")] = None,
    reset: Annotated[list[str] | None, typer.Option("--reset", help="kinetix and/or generator (default both).")] = None,
    steps: Annotated[int, typer.Option("--steps", "-k", min=1, help="Env steps per timed call.")] = 64,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON lines only.")] = False,
    anchor: Annotated[bool, typer.Option("--anchor/--no-anchor", help="Also time kinetix-env.")] = True,
) -> None:
    """Env steps/s (random actions, auto-reset) of Tumble and kinetix-env by size, batch, observation, reset."""
    from tumble.bench.env import main as env_main

    raise typer.Exit(env_main(sizes=[s.value for s in size or Size], batches=batch or [1, 16, 256, 1024],
                              obs_types=obs or ["flat", "entity"], resets=reset or ["kinetix", "generator"],
                              steps=steps, anchor=anchor, json_out=json_out))


if __name__ == "__main__":
    app()
