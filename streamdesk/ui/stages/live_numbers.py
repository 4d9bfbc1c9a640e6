"""The Live card's numbers: the metric widget, and the texts for the on-air clock, the OBS health
line, the viewers note and the end-of-show summary.

Apart from ``stages/live.py`` so the card's module stays its layout and signal handling; pure
formatting, testable without building the card.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Metric(QWidget):
    def __init__(self, label: str, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.value = QLabel("–", self)
        self.value.setProperty("role", "metric")
        self.value.setObjectName(f"metric_{name}")
        self.label = label
        self.caption = QLabel(label, self)
        self.caption.setProperty("role", "metricLabel")
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def set(self, text: str, caption: str | None = None) -> None:
        self.value.setText(text)
        self.caption.setText(self.label if caption is None else caption)


def viewers_note(hls: bool) -> str:
    """What the viewers number counts, said once under it (docs/getstream.md "Viewers")."""
    text = ("Viewers: everyone in the call as GetStream counts them, signed-in and anonymous, "
            "not counting you.")
    if hls:
        text += " HLS viewers watch the playlist without joining the call and are not in this count."
    return text


def health_text(health: Any) -> str:
    """The OBS line under the numbers, from an ``ObsHealth``-shaped reading."""
    if not getattr(health, "active", False):
        return "OBS: not streaming"
    dropped = getattr(health, "dropped_pct", None) or 0
    congestion = getattr(health, "congestion", None) or 0
    tail = f" · dropped {dropped:.1f}% · congestion {congestion * 100:.0f}%"
    if getattr(health, "measuring", False):
        # one byte count so far: the rate needs a second one (~2 s); 0 here would be a false alarm
        return "OBS: measuring bitrate…" + tail
    kbps = getattr(health, "bitrate_kbps", None) or 0
    # no bytes leaving OBS is as bad as dropping them: viewers see a frozen frame
    mood = "✔" if kbps > 0 and dropped < 1 and congestion < 0.34 else "⚠"
    return f"{mood} OBS: {kbps:,.0f} kbps" + tail


def on_air_seconds(session: Any) -> float | None:
    started: float | None = getattr(session, "started_at", None)
    ended: float | None = getattr(session, "ended_at", None)
    return ended - started if started is not None and ended is not None else None


def summary_text(session: Any) -> str:
    """The session summary shown when the stream ended."""
    on_air_s = on_air_seconds(session)
    # the same duration as the clock above (the row's total_minutes rounds up a started minute)
    minutes = round(on_air_s / 60) if on_air_s is not None else getattr(session, "total_minutes", None)
    return (f"On air {minutes if minutes is not None else '–'} min · "
            f"peak {getattr(session, 'peak_viewers', 0):,} viewers · "
            f"{getattr(session, 'total_chat', 0):,} chat messages. "
            "The call is back in backstage: you can go live again.")


def reflow(grid: QGridLayout, metrics: tuple[Metric, ...], columns: int) -> None:
    """Lay the metrics out in rows of ``columns`` (5 wide, 3 in a narrow window)."""
    for metric in metrics:
        grid.removeWidget(metric)
    for i, metric in enumerate(metrics):
        grid.addWidget(metric, i // columns, i % columns)
