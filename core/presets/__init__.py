"""Industry presets (``jxc init --preset``): warehouse policies, categories, alert rules and
schedules, and which commands ``帮助`` shows, chosen for a kind of shop.
"""

from core.presets.profiles import PRESETS, Preset
from core.presets.service import Profile, apply_preset, current_profile, preset_named

__all__ = [
    "PRESETS",
    "Preset",
    "Profile",
    "apply_preset",
    "current_profile",
    "preset_named",
]
