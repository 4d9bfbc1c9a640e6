"""The wizard's stages and what the window shows for each flow state (its card, badge, status
strip and Force end). Light on purpose: the window's shell paints from these before the
controller, the store and the task pool exist (bench/startup.py), so this imports neither.
"""

from __future__ import annotations

from streamdesk.core.flow import State

STAGES = ("account", "provision", "obs", "golive", "live")
STAGE_OF_STATE = {
    State.NEEDS_ACCOUNT: "account",
    State.NEEDS_PROVISION: "provision",
    State.ENDED: "provision",
    State.PROVISIONED: "obs",
    State.OBS_CONFIGURED: "obs",
    State.READY: "golive",
    State.GOING_LIVE: "golive",
    State.LIVE: "live",
    State.ENDING: "live",
}
FORCE_END_STATES = (State.READY, State.GOING_LIVE, State.LIVE, State.ENDING)
#: OBS is (or is about to be) streaming: its settings are not to be rewritten
LIVE_STATES = (State.GOING_LIVE, State.LIVE, State.ENDING)
BADGES = {
    State.NEEDS_ACCOUNT: ("SETUP", ""),
    State.NEEDS_PROVISION: ("SETUP", ""),
    State.PROVISIONED: ("OFFLINE", ""),
    State.OBS_CONFIGURED: ("OFFLINE", ""),
    State.READY: ("BACKSTAGE", "warning"),
    State.GOING_LIVE: ("GOING LIVE…", "warning"),
    State.LIVE: ("● LIVE", "live"),
    State.ENDING: ("ENDING…", "warning"),
    State.ENDED: ("ENDED", ""),
}
STATUS_OF_STATE = {State.READY: "BACKSTAGE", State.GOING_LIVE: "BACKSTAGE", State.LIVE: "LIVE",
                   State.ENDING: "LIVE", State.ENDED: "ENDED"}
#: the window's saved geometry and stage, {"geometry": hex, "stage": name}: a setting in the store
WINDOW_SETTING = "ui.window"
