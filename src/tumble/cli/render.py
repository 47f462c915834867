"""``tumble render LEVEL``: draw an episode of a level under a policy as a PNG, GIF or MP4.

Register with ``app.command("render")(render_command)``.  JAX is imported only
when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def render_command(
    level: Annotated[str, typer.Argument(help="A bundled level name (e.g. catapult) or a level .json file.")],
    policy: Annotated[str, typer.Option(
        "--policy", "-p",
        help="noop, random (seeded by --seed), certificate (the level's own solution), an ACTIONS.json file "
             "(rows of 6 channel values, or a certificate), or a CHECKPOINT (comes with training).")] = "noop",
    steps: Annotated[Optional[int], typer.Option(
        "--steps", "-n", min=0,
        help="Env steps to play (default: the level's episode length; for an actions file, its length). "
             "The episode stops early when it is solved, failed or its episode length runs out.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .png (last frame), .gif or .mp4.")] = Path(
        "render.gif"),
    size: Annotated[int, typer.Option("--size", min=32, max=4096, help="Image width and height in pixels.")] = 512,
    fps: Annotated[Optional[float], typer.Option(
        "--fps", min=0.1, help="Frames per second (default: real time, 1/dt = 60 for the usual dt). One frame is "
                               "drawn per physics step.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random policy.")] = 0,
    supersample: Annotated[int, typer.Option(
        "--supersample", min=1, max=4, help="Antialiasing: samples per pixel side (1 = off).")] = 3,
    hold: Annotated[float, typer.Option(
        "--hold", min=0.0, help="Seconds the last frame (with the outcome) stays on screen in a GIF/MP4.")] = 1.0,
    labels: Annotated[bool, typer.Option("--labels/--no-labels", help="Caption every frame with the level, "
                                                                      "env step and time.")] = True,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Keep compiled programs in ~/.cache/tumble/jax, so a second run skips "
                                   "compilation.")] = True,
) -> None:
    """Play a level under a policy and draw it: the outcome is written on the last frame."""
    from tumble.render.export import FORMATS, VideoDependencyError, save_frames
    from tumble.render.raster import human_config
    from tumble.render.rollout import PolicyError, draw_episode, policy_actions, resolve_level, run_episode

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        typer.echo(f"error: --out must end in {', '.join(FORMATS)}, got {out.name!r}", err=True)
        raise typer.Exit(2)
    if suffix == ".mp4":
        import importlib.util

        if importlib.util.find_spec("imageio_ffmpeg") is None:
            typer.echo("error: MP4 export needs the optional video dependencies: pip install 'tumble[video]' "
                       "(or write a .gif or .png)", err=True)
            raise typer.Exit(2)
    try:
        lv = resolve_level(level)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        actions = policy_actions(policy, lv, steps, seed)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    if cache:
        from tumble.jax_cache import enable_compilation_cache

        enable_compilation_cache()
    episode = run_episode(lv, actions)
    frames = draw_episode(episode, human_config(size, supersample=supersample), labels=labels)
    rate = fps if fps is not None else 1.0 / episode.dt
    if suffix != ".png" and hold > 0:
        import numpy as np

        frames = np.concatenate([frames, np.repeat(frames[-1:], int(round(hold * rate)), axis=0)])
    try:
        path = save_frames(frames, out, rate)
    except VideoDependencyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    what = "1 frame" if suffix == ".png" else f"{len(frames)} frames at {rate:g} fps"
    typer.echo(f"{lv.name}: {episode.outcome_text()} -> {path} ({what}, {size}x{size})")
