"""The strip along the bottom of every page: is the show on air, and is it healthy.

On-air clock · OFFLINE / BACKSTAGE / LIVE · viewers · chat/min · OBS kbps and dropped % · whether
GetStream receives the stream. Every value has a setter; a value nobody reported yet shows "—"
(never a made-up 0). No I/O here: the window feeds it from the controller's signals.

Built before the window's first paint, so it stays off ``QtCore.Qt`` and ``style()`` (both cost
start-up time, see main_window): its texts are our own, and re-styling goes through repolish.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from streamdesk.ui.style import repolish

DASH = "—"
STATES = {"OFFLINE": "", "BACKSTAGE": "warning", "LIVE": "live", "ENDED": ""}
STREAM_EXPECTED = ("BACKSTAGE", "LIVE")  # OBS streams to the call: GetStream should receive it


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class CockpitStatus(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CockpitStatus")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = self._layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setSpacing(14)
        self.state = self._label("status_state", "OFFLINE",
                                 "Where the show is: offline, in backstage, or live")
        self.state.setObjectName("Badge")
        self.state.setProperty("statusName", "status_state")
        self.clock = self._label("status_clock", f"on air {DASH}", "Time on air in this show")
        self.viewers = self._label("status_viewers", f"viewers {DASH}", "People watching now (GetStream)")
        self.chat = self._label("status_chat", f"chat/min {DASH}", "Chat messages in the last minute")
        self.obs = self._label("status_obs", f"OBS {DASH}",
                               "What OBS sends: bitrate and the share of frames it dropped")
        self.ingest = self._label("status_ingest", f"GetStream {DASH}",
                                  "Whether GetStream receives the stream from OBS")
        for w in (self.state, self.clock, self.viewers, self.chat, self.obs, self.ingest):
            layout.addWidget(w)
        self._compact = False
        self._stream_expected = False
        self._receiving: bool | None = None
        self._obs: tuple[float | None, float | None, bool | None] = (None, None, None)
        layout.addStretch(1)

    def _label(self, name: str, text: str, tip: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setToolTip(tip)
        return label

    def set_compact(self, compact: bool) -> None:
        """A narrow window: tighter, the clock and chat/min left to the page's own numbers, and OBS's
        figures without their lead word, so what is left is never cut off
        (tests/ui/test_cockpit_layout.py)."""
        self._compact = compact
        self._layout.setSpacing(6 if compact else 14)
        self.clock.setVisible(not compact)
        self.chat.setVisible(not compact)
        self.set_obs(*self._obs)

    # -- setters ------------------------------------------------------------------------------------
    def set_state(self, state: str, *, polished: bool = True) -> None:
        """OFFLINE, BACKSTAGE, LIVE or ENDED (anything else reads as OFFLINE). ``polished=False``
        before the first paint: repolish looks up ``QtCore.Qt`` (tests/ui/test_startup.py)."""
        state = state if state in STATES else "OFFLINE"
        self.state.setText("● LIVE" if state == "LIVE" else state)
        self.state.setProperty("level", STATES[state])
        self._stream_expected = state in STREAM_EXPECTED
        if polished:
            repolish(self.state)
            self.set_ingest(self._receiving)

    def set_on_air(self, seconds: float | None) -> None:
        self.clock.setText(f"on air {DASH if seconds is None else clock_text(seconds)}")
        self.clock.setToolTip("Time on air in this show")

    def set_last_show(self, seconds: float) -> None:
        """After the end: the show's length, never read as a clock still running beside BACKSTAGE."""
        self.clock.setText(f"last show {clock_text(seconds)}")
        self.clock.setToolTip("How long the last show was on air")

    def set_viewers(self, viewers: int | None) -> None:
        self.viewers.setText(f"viewers {DASH if viewers is None else f'{viewers:,}'}")

    def set_chat_rate(self, per_minute: float | None) -> None:
        self.chat.setText(f"chat/min {DASH if per_minute is None else f'{per_minute:,.0f}'}")

    def set_obs(self, kbps: float | None, dropped_pct: float | None, streaming: bool | None = None) -> None:
        self._obs = (kbps, dropped_pct, streaming)
        if streaming is False:
            self.obs.setText("OBS not streaming")
            return
        if kbps is None:
            self.obs.setText(f"OBS {DASH}")
            return
        if self._compact:  # the figures alone (the tooltip says they are OBS's)
            dropped = "" if dropped_pct is None else f" · {dropped_pct:.1f}% drop"
            self.obs.setText(f"{kbps:,.0f} kbps{dropped}")
            return
        dropped = "" if dropped_pct is None else f" · dropped {dropped_pct:.1f}%"
        self.obs.setText(f"OBS {kbps:,.0f} kbps{dropped}")

    def set_ingest(self, receiving: bool | None) -> None:
        """What GetStream says about the incoming stream: True, False, or None (not known yet)."""
        self._receiving = receiving
        text = {None: DASH, True: "receiving", False: "no stream"}[receiving]
        self.ingest.setText(f"GetStream {text}")
        # no stream is a warning only where one should arrive; offline or ended, it is just so
        missing = "warning" if self._stream_expected else ""
        self.ingest.setProperty("level", {None: "", True: "ok", False: missing}[receiving])
        repolish(self.ingest)
