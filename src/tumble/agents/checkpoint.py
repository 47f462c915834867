"""Checkpoints: the whole runner state with orbax (atomic, several kept), and the policy's weights as msgpack.

A checkpoint holds everything the run carries between updates (weights,
optimiser state, environment states, curriculum, PRNG key), so resuming from
it continues exactly as the run would have gone on.  ``params.msgpack``
(flax serialisation: no pickle) holds just the network weights, for
evaluation, fine-tuning and sharing.
"""

from __future__ import annotations

import os
from pathlib import Path

import flax.serialization
import jax
import orbax.checkpoint as ocp

PARAMS_FILE = "params.msgpack"


class Checkpoints:
    """Runner-state checkpoints under ``RUN_DIR/checkpoints/<update>``."""

    def __init__(self, directory: str | Path, keep: int = 2) -> None:
        self.directory = Path(directory).absolute()
        self.manager = ocp.CheckpointManager(self.directory, options=ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=True))

    def latest(self) -> int | None:
        """The last saved update, or ``None``."""
        return self.manager.latest_step()

    def save(self, update: int, runner) -> None:
        """Save (orbax writes to a temporary folder and renames it: a killed save leaves the last one intact)."""
        self.manager.save(int(update), args=ocp.args.StandardSave(runner), force=True)
        self.manager.wait_until_finished()

    def restore(self, update: int, like):
        """The runner saved at ``update``, with the structure and placement of ``like``."""
        return self.manager.restore(int(update), args=ocp.args.StandardRestore(like))

    def close(self) -> None:
        self.manager.close()


def save_params(params, path: str | Path) -> None:
    """Write network weights as msgpack, atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(flax.serialization.to_bytes(jax.device_get(params)))
    os.replace(tmp, path)


def load_params(path: str | Path):
    """Network weights written by :func:`save_params`, as nested dicts of arrays."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such weights file")
    try:
        return flax.serialization.msgpack_restore(path.read_bytes())
    except Exception as e:  # noqa: BLE001 - any decoding failure means a damaged file
        raise ValueError(f"{path}: not a Tumble weights file ({e})") from None
