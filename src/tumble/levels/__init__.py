"""Levels: a scene plus shape roles, control bindings and metadata; files, import, generation, library.

Typical use::

    from tumble.levels import load_level, compile_level, save_level
    level = load_level("my_level.json")      # validated; errors name the JSON path
    arrays = compile_level(level)            # a pytree for jit/vmap
    save_level(level.replace(name="copy"), "copy.json")
"""

from tumble.levels.codec import FORMAT, VERSION, LevelError, dumps_level, load_level, loads_level, parse_level, save_level
from tumble.levels.compile import (
    AUTO_CHANNEL, NO_CHANNEL, CompiledLevel, body_indices, build_scene, compile_level, stack_levels, unstack_level,
)
from tumble.levels.model import (
    AUTO, BLUE, GREEN, NEUTRAL, RED, N_MOTOR_CHANNELS, N_THRUSTER_CHANNELS, ROLES, ActionRun, Boundary, Certificate, Circle, CustomSize, Joint,
    Level, Motor, Polygon, Thruster, Wall,
)
from tumble.levels.outcome import ACTION_SIZE, Outcome, certificate_actions, channel_controls, outcome_of, replay, role_contacts
from tumble.levels.sizes import SIZES, capacity_of, level_capacity, smallest_size

__all__ = [
    "ACTION_SIZE", "AUTO", "AUTO_CHANNEL", "BLUE", "GREEN", "NEUTRAL", "RED", "FORMAT", "NO_CHANNEL", "N_MOTOR_CHANNELS", "N_THRUSTER_CHANNELS", "ROLES",
    "SIZES", "VERSION", "ActionRun", "Boundary", "Certificate", "Circle", "CompiledLevel", "CustomSize", "Joint",
    "Level", "LevelError", "Motor", "Outcome", "Polygon", "Thruster", "Wall", "body_indices", "build_scene",
    "capacity_of", "certificate_actions", "channel_controls", "compile_level", "dumps_level", "level_capacity",
    "load_level", "loads_level", "outcome_of", "parse_level", "replay", "role_contacts", "save_level",
    "smallest_size", "stack_levels", "unstack_level",
]
