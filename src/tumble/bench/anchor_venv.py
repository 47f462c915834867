"""Isolated virtual environments for the benchmark's anchor engines.

The reference engine (jax2d inside ``kinetix-env``) pins its own jax and pulls in a large
dependency tree, and Box2D is a compiled extension; neither may be installed into tumble's
environment. Each anchor therefore gets its own virtual environment, created on demand
under ``$XDG_CACHE_HOME/tumble/anchors/<name>`` (default ``~/.cache/tumble/anchors``), and
is driven through standalone scripts in :mod:`tumble.bench.anchor_scripts` that print
their results as JSON lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

__all__ = [
    "AnchorError",
    "anchor_root",
    "ensure_venv",
    "run_anchor_script",
    "script_path",
]

_MARKER = "tumble-requirements.json"
_SCRIPTS_DIR = Path(__file__).resolve().parent / "anchor_scripts"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class AnchorError(RuntimeError):
    """Creating an anchor environment or running an anchor script failed."""


def _tail(text: str | bytes | None, n_lines: int = 40) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lines = text.strip().splitlines()
    return "\n".join(lines[-n_lines:])


def anchor_root() -> Path:
    """Directory that holds all anchor environments (respects ``XDG_CACHE_HOME``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tumble" / "anchors"


def _venv_python(env_dir: Path) -> Path:
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def _marker_payload(requirements: list[str]) -> dict:
    return {
        "requirements": list(requirements),
        "base_python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


@contextmanager
def _locked(lock_path: Path):
    """Serialise concurrent builders of the same environment (POSIX only)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _is_current(python: Path, marker: Path, wanted: dict) -> bool:
    if not (marker.is_file() and python.exists()):
        return False
    try:
        return json.loads(marker.read_text()) == wanted
    except (OSError, json.JSONDecodeError):
        return False


def ensure_venv(name: str, requirements: list[str]) -> Path:
    """Create (once) a virtual environment ``name`` holding ``requirements``; return its python.

    The environment lives in ``anchor_root() / name``. A marker file records the
    requirement list after a successful install, so a later call with the same list
    returns at once. A different list, or a half-built environment, is rebuilt from
    scratch. Raises :class:`AnchorError` with the tail of pip's output on failure.
    """
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid anchor environment name {name!r}")
    requirements = [str(r) for r in requirements]
    env_dir = anchor_root() / name
    python = _venv_python(env_dir)
    marker = env_dir / _MARKER
    wanted = _marker_payload(requirements)

    if _is_current(python, marker, wanted):
        return python
    with _locked(env_dir.parent / f".{name}.lock"):
        if _is_current(python, marker, wanted):  # built by a concurrent caller
            return python
        _build(env_dir, python, name, requirements)
        marker.write_text(json.dumps(wanted, indent=1) + "\n")
    return python


def _build(env_dir: Path, python: Path, name: str, requirements: list[str]) -> None:
    if env_dir.exists():
        shutil.rmtree(env_dir)
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    except Exception as exc:  # venv raises CalledProcessError, OSError, ...
        out = getattr(exc, "output", None) or getattr(exc, "stderr", None)
        raise AnchorError(
            f"could not create virtual environment {env_dir} with {sys.executable}: {exc}"
            + (f"\n{_tail(out)}" if out else "")
            + "\n(on Debian/Ubuntu the 'python3-venv' package may be missing)"
        ) from exc
    if not python.exists():
        raise AnchorError(f"virtual environment {env_dir} was created without {python}")

    if requirements:
        cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check",
               "--no-input", *requirements]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            raise AnchorError(
                f"pip install of {requirements} into anchor environment {name!r} "
                f"({env_dir}) failed with exit code {proc.returncode}. "
                f"Last lines of pip's output:\n{_tail(proc.stdout)}"
            )


def script_path(script_name: str) -> Path:
    """Path of one of the bundled anchor scripts (``.py`` suffix optional)."""
    if not script_name.endswith(".py"):
        script_name += ".py"
    path = _SCRIPTS_DIR / script_name
    if not path.is_file():
        available = sorted(p.name for p in _SCRIPTS_DIR.glob("*.py"))
        raise AnchorError(f"no anchor script {script_name!r}; available: {available}")
    return path


def run_anchor_script(python: Path, script_name: str, args: list[str],
                      timeout: float) -> list[dict]:
    """Run an anchor script with ``python`` and return the JSON objects it printed.

    Every stdout line that parses as a JSON object becomes one dict; other lines are
    ignored. Raises :class:`AnchorError` (with the tail of stderr) on a non-zero exit
    or when ``timeout`` seconds pass.
    """
    script = script_path(script_name)
    cmd = [str(python), str(script), *[str(a) for a in args]]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AnchorError(
            f"anchor script {script.name} timed out after {timeout:g} s: {' '.join(cmd)}\n"
            f"stderr tail:\n{_tail(exc.stderr)}"
        ) from exc
    except OSError as exc:
        raise AnchorError(f"could not start {python} for anchor script {script.name}: {exc}") from exc
    if proc.returncode != 0:
        raise AnchorError(
            f"anchor script {script.name} exited with code {proc.returncode}: "
            f"{' '.join(cmd)}\nstderr tail:\n{_tail(proc.stderr)}"
            + (f"\nstdout tail:\n{_tail(proc.stdout, 10)}" if proc.stdout.strip() else "")
        )
    results: list[dict] = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            results.append(obj)
    return results
