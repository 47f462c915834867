"""``tumble levels ...``: list, show, validate, import and generate levels.

JAX is imported only by the commands that simulate or draw, so listing and
validating stay quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

levels_app = typer.Typer(help="Levels: the bundled library, level files, Kinetix import, the generator.",
                         no_args_is_help=True)

ROLE_COLOURS = {"neutral": (170, 160, 140), "green": (60, 180, 75), "blue": (50, 110, 220), "red": (220, 60, 50)}


def _resolve(name_or_file: str):
    """A bundled level by name, or a level file by path."""
    from tumble.levels import load_level
    from tumble.levels.library import load_bundled

    path = Path(name_or_file)
    if path.suffix == ".json" or path.exists():
        return load_level(path)
    return load_bundled(name_or_file)


@levels_app.command("list")
def list_levels(
    size: Annotated[Optional[str], typer.Option("--size", "-s", help="Only this size: s, m or l.")] = None,
    family: Annotated[Optional[str], typer.Option("--family", "-f", help="Only this family.")] = None,
) -> None:
    """List the bundled hand-made levels: name, size, family, description."""
    from tumble.levels.library import bundled_paths
    from tumble.levels import load_level

    try:
        paths = bundled_paths(size)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    rows = []
    for name, path in paths.items():
        level = load_level(path)
        if family and level.family != family:
            continue
        rows.append((name, str(level.size), level.family, level.description))
    if not rows:
        typer.echo("no bundled levels match", err=True)
        raise typer.Exit(1)
    width = max(len(r[0]) for r in rows)
    fam = max(len(r[2]) for r in rows)
    for name, sz, fm, desc in rows:
        typer.echo(f"{name:{width}s}  {sz}  {fm:{fam}s}  {desc}")
    typer.echo(f"{len(rows)} levels", err=True)


@levels_app.command("show")
def show(
    level: Annotated[str, typer.Argument(help="A bundled level's name or a level file.")],
    png: Annotated[Optional[Path], typer.Option("--png", help="Also draw the initial scene to this PNG file.")] = None,
    pixels: Annotated[int, typer.Option("--pixels", min=64, max=4096, help="PNG width and height.")] = 512,
) -> None:
    """Describe a level (metadata, shapes, joints, thrusters, controls); optionally draw it."""
    from tumble.levels import LevelError

    try:
        lv = _resolve(level)
    except (LevelError, KeyError) as exc:
        typer.echo(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{lv.name}  (size {lv.size}, family {lv.family or '-'})")
    if lv.description:
        typer.echo(f"  {lv.description}")
    typer.echo(f"  episode {lv.episode_length} env steps x frame skip {lv.frame_skip} x dt {lv.dt:.4g} s; "
               f"gravity {tuple(lv.gravity)}")
    if lv.boundary is not None:
        walls = [f"{w} {getattr(lv.boundary, w).at:g}" + (f" ({getattr(lv.boundary, w).role})"
                 if getattr(lv.boundary, w).role != "neutral" else "")
                 for w in ("floor", "left", "right", "ceiling") if getattr(lv.boundary, w) is not None]
        typer.echo(f"  boundary: {', '.join(walls)}")
    for i, s in enumerate(lv.shapes):
        what = f"polygon {len(s.vertices)} vertices" if s.kind == "polygon" else f"circle r={s.radius:g}"
        typer.echo(f"  shape {i}: {what} at ({s.position[0]:.3g}, {s.position[1]:.3g}) {s.role}"
                   + (" static" if s.static else "") + (f"  '{s.name}'" if s.name else ""))
    for i, j in enumerate(lv.joints):
        a = "world" if j.a is None else f"shape {j.a}"
        motor = "" if j.motor is None else f", motor {j.motor.speed:g} rad/s {j.motor.max_torque:g} N m channel {j.motor.channel}"
        typer.echo(f"  joint {i}: {j.kind} {a} - shape {j.b}{motor}" + (f", limits {j.limits}" if j.limits else ""))
    for i, t in enumerate(lv.thrusters):
        typer.echo(f"  thruster {i}: on shape {t.body}, {t.max_force:g} N, channel {t.channel}")
    if lv.certificate is not None:
        typer.echo(f"  certificate: solved in {lv.certificate.steps} env steps")
    if png is not None:
        from tumble.levels import ROLES, compile_level
        from tumble.render.preview import draw_scene
        import numpy as np

        c = compile_level(lv)
        colours = np.array([ROLE_COLOURS[ROLES[r]] for r in np.asarray(c.roles)])
        st = c.scene.state
        image = draw_scene(np.asarray(st.position), np.asarray(st.angle), c.scene, size=pixels,
                           label=lv.name, colours=colours)
        png.parent.mkdir(parents=True, exist_ok=True)
        image.save(png)
        typer.echo(f"wrote {png}")


@levels_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Level files to check.")],
) -> None:
    """Check level files: each problem on one line as FILE: PATH: REASON; exit 1 if any file is bad."""
    from tumble.levels import LevelError, compile_level, load_level
    from tumble.physics import SceneError

    bad = 0
    for path in files:
        try:
            level = load_level(path)
            compile_level(level)
        except LevelError as exc:
            bad += 1
            for problem in exc.problems:
                typer.echo(f"{path}: {problem}")
            continue
        except SceneError as exc:
            bad += 1
            typer.echo(f"{path}: {exc}")
            continue
        typer.echo(f"{path}: ok ({level.name}, size {level.size})", err=True)
    if bad:
        typer.echo(f"{bad} of {len(files)} files are invalid", err=True)
        raise typer.Exit(1)


@levels_app.command("import-kinetix")
def import_kinetix_cmd(
    src: Annotated[Path, typer.Argument(help="A Kinetix level JSON file, or a folder of them (searched recursively).")],
    dest: Annotated[Path, typer.Argument(help="Output file (for one input file) or folder.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
) -> None:
    """Convert the reference's (Kinetix) JSON levels into Tumble level files."""
    from tumble.levels.kinetix_import import run_import_cli

    raise typer.Exit(run_import_cli(src, dest, overwrite=overwrite, echo=typer.echo))


@levels_app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the level files into.")],
    size: Annotated[str, typer.Option("--size", "-s", help="Level size: s, m or l.")] = "m",
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many levels.")] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same levels).")] = 0,
    noop_filter: Annotated[bool, typer.Option("--filter/--no-filter",
                                              help="Drop levels that doing nothing solves.")] = True,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
) -> None:
    """Write procedurally generated levels as JSON files."""
    from tumble.levels.generator import generate_to_files

    if size.lower() not in ("s", "m", "l"):
        typer.echo(f"error: --size must be s, m or l, got {size!r}", err=True)
        raise typer.Exit(2)
    paths = generate_to_files(out, size=size.lower(), count=count, seed=seed, noop_filter=noop_filter,
                              overwrite=overwrite)
    typer.echo(f"wrote {len(paths)} levels to {out}")
