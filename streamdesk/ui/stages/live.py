"""Live & end, as a cockpit that fills the window: the numbers on top, the charts and the show's
chat side by side under them (stacked, with the viewer chart only, in a narrow window), ending
with the ``continue_*`` options and "also stop OBS" (confirmation defaults to No); afterwards the
session summary and a way to go live again. The chat is read and moderated through
``ui/chat_poller.py`` (off the GUI thread) while the call is live."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.flow import Event, State
from streamdesk.core.options import StopOptions
from streamdesk.ui.gui_gc import freeze_long_lived
from streamdesk.ui.stages import live_numbers
from streamdesk.ui.stages.base import StageCard, button, frame_of, gate, hint_label, row
from streamdesk.ui.stages.live_chat import wire_chat
from streamdesk.ui.stages.live_numbers import Metric, clock_text, viewers_note

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller


# While live the charts follow the last 10 minutes (readable at 5 s polls); the summary shows it all.
LIVE_WINDOW_S = 600
COMPACT_WIDTH = 640  # below this the live card stacks the viewer chart over the chat
# between a page's own update and the next piece of work (the chat poller, the charts): Qt runs
# posted events back to back, with no timer or input between them, until none is left
PAUSE_MS = 30


class _Cockpit(QSplitter):
    """The charts and the chat. A small size hint on purpose: the card (a scroll area with wrapped
    labels) is laid out by height-for-width from size hints, and the charts' large hint made the
    page taller than the window; this way the cockpit takes exactly the height that is left."""

    def sizeHint(self) -> QSize:
        return QSize(480, 240)


class LiveCard(StageCard):
    stage = "live"
    title = "Live"
    subtitle = "Your call is on air. Numbers refresh every few seconds."
    enter_presses_primary = False  # End stream is never one stray Enter away

    def __init__(self, controller: Controller, parent: QWidget | None = None,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(controller, parent)
        self.confirm = confirm or (lambda _t, _x: False)
        w = self.widget()
        self.summary_shown = False
        self.reconnecting = QLabel("OBS is reconnecting to GetStream… viewers may see a frozen frame.", w)
        self.reconnecting.setObjectName("Reconnecting")
        self.reconnecting.hide()
        self.body.addWidget(self.reconnecting)

        # the cockpit fills the card: no stretch under it, the charts and chat take the height
        outer = w.layout()
        assert isinstance(outer, QVBoxLayout)  # StageCard's content layout
        outer.takeAt(outer.count() - 1)
        outer.setStretch(outer.indexOf(self.body), 1)
        outer.setContentsMargins(16, 10, 16, 10)
        outer.setSpacing(6)

        stats = self.panel()
        stats.setContentsMargins(12, 6, 12, 8)
        self.metrics_grid = QGridLayout()
        self.metrics_grid.setHorizontalSpacing(24)
        self.duration = Metric("on air", "duration", w)
        self.viewers = Metric("viewers now", "viewers", w)
        self.peak = Metric("peak viewers", "peak", w)
        self.chat_rate = Metric("chat / min", "chat_rate", w)
        self.total_chat = Metric("chat messages", "total_chat", w)
        self.metrics = (self.duration, self.viewers, self.peak, self.chat_rate, self.total_chat)
        live_numbers.reflow(self.metrics_grid, self.metrics, 5)
        stats.addLayout(self.metrics_grid)
        # what "viewers" counts (issue 12): GetStream's participants, not the streamer, not HLS players
        self.viewers_note = hint_label(w, viewers_note(False))
        self.viewers_note.setObjectName("viewers_note")
        stats.addWidget(self.viewers_note)
        controller.call_changed.connect(lambda call: self.viewers_note.setText(
            viewers_note(bool(getattr(call, "hls_playlist_url", None)))))
        self.health = QLabel("OBS: no data yet", w)
        self.health.setObjectName("obs_health")
        stats.addWidget(self.health)
        # aftershow: HLS link + start/stop and the REC indicator (ui/widgets/show_extras.py)
        from streamdesk.ui.widgets.show_extras import ShowExtras

        self.extras = ShowExtras(controller.tasks, controller.ctx, w)
        # a long playlist URL must not widen the page past a narrow window (it is selectable in full)
        self.extras.hls_url.setMinimumWidth(60)
        controller.call_changed.connect(self.extras.set_call)
        self.extras.changed.connect(controller.refresh)
        stats.addWidget(self.extras)

        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cockpit = _Cockpit(Qt.Orientation.Horizontal, w)
        self.cockpit.setObjectName("cockpit")
        self.cockpit.setChildrenCollapsible(False)
        charts_frame = QFrame(self.cockpit)
        charts_frame.setObjectName("Panel")
        self.charts_frame = charts_frame
        self.charts_layout = QVBoxLayout(charts_frame)
        self.charts_layout.setContentsMargins(8, 6, 8, 6)
        # the charts follow the last minutes; this shows the whole show instead (and back)
        self.whole_show = QCheckBox("Whole show", charts_frame)
        self.whole_show.setObjectName("charts_whole_show")
        self.whole_show.setToolTip("Show the charts from the show's start, not only the last 10 minutes")
        self.whole_show.toggled.connect(self._follow_or_whole)
        self.charts_layout.addWidget(self.whole_show)
        chat_frame = QFrame(self.cockpit)
        chat_frame.setObjectName("Panel")
        chat_box = QVBoxLayout(chat_frame)
        chat_box.setContentsMargins(8, 6, 8, 8)
        chat_title = QLabel("Chat", chat_frame)
        chat_title.setObjectName("SectionTitle")
        chat_box.addWidget(chat_title)
        from streamdesk.ui.widgets.chat_feed import ChatFeed

        self.chat_feed = ChatFeed(chat_frame)
        self.chat_feed.setMinimumWidth(260)
        self.chat_feed.input.setProperty("own_enter", True)  # Enter sends the message
        chat_box.addWidget(self.chat_feed, 1)
        self.cockpit.addWidget(charts_frame)
        self.cockpit.addWidget(chat_frame)
        self.cockpit.setStretchFactor(0, 3)
        self.cockpit.setStretchFactor(1, 2)
        self.body.addWidget(self.cockpit, 1)
        self.chat_poller: Any = None  # built on the first live session
        self.compact = False
        self._split_set = False

        end = self.panel()
        end.setContentsMargins(12, 6, 12, 6)
        self.continue_hls = QCheckBox("Keep HLS running", w)
        self.continue_recording = QCheckBox("Keep recording", w)
        self.continue_captions = QCheckBox("Keep captions", w)
        self.continue_transcription = QCheckBox("Keep transcription", w)
        self.stop_obs = QCheckBox("Also stop streaming in OBS", w)
        self.stop_obs.setObjectName("also_stop_obs")
        self.stop_obs.setChecked(True)
        self.end_button = button("End stream", w, "danger", self._end, name="end_stream")
        self.end_button.setToolTip("Stop live: viewers see the stream end, the call goes back to backstage")
        self.end_hint = hint_label(w)
        self.continue_row = row(self.continue_hls, self.continue_recording, self.continue_captions,
                                self.continue_transcription)
        end.addLayout(row(self.end_button, self.stop_obs, self.end_hint))
        end.addLayout(self.continue_row)
        self.end_panel = frame_of(end)

        self.summary_box = self.panel("Session summary")
        self.summary_frame = frame_of(self.summary_box)
        self.summary = QLabel("", w)
        self.summary.setObjectName("session_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_box.addWidget(self.summary)
        self.again = button("Stream again", w, "primary", name="go_live_again")
        self.again.setToolTip("Back to the wizard: the call is in backstage and can go live again.")
        self.summary_box.addLayout(row(self.again))
        self.summary_frame.hide()

        self.charts: Any = None  # on the page (built beforehand, hidden: _prepare_charts)
        self._built_charts: Any = None
        self._charts_building = False
        self._charts_then: list[Callable[[], None]] = []
        self._loading: list[Any] | None = None  # snapshots that land before the charts show them
        self.charts_placeholder = hint_label(w, "The charts start with the first numbers.")
        self.charts_layout.addWidget(self.charts_placeholder)
        self.charts_layout.addStretch(1)

        self.ticker = QTimer(self)  # the on-air clock only; no I/O here
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        controller.snapshot.connect(self._on_snapshot)
        controller.obs_health.connect(self._on_health)
        controller.obs_reconnecting.connect(self.reconnecting.setVisible)
        controller.session_started.connect(self._on_session_started)
        controller.session_ended.connect(self._on_session_ended)
        controller.state_changed.connect(self._on_state)

    # -- live numbers ---------------------------------------------------------------------------
    def _on_session_started(self, session: Any) -> None:
        self.title_label.setText(self.title)
        every = self.controller.live_interval_s()  # the streamer's setting (the timer follows it)
        self.subtitle_label.setText(f"Your call is on air. Viewers and chat refresh every {every:g} s "
                                    "(Settings to change).")
        self.summary_shown = False
        self.summary_frame.hide()
        self.end_panel.show()
        self.chat_feed.clear()
        self.chat_feed.set_status("Loading the chat…")
        self.peak.set(f"{getattr(session, 'peak_viewers', 0):,}")
        self.total_chat.set(f"{getattr(session, 'total_chat', 0):,}")
        for metric in (self.viewers, self.chat_rate):
            metric.set("–")
        self._tick()
        self.ticker.start()
        self._loading = []  # the polls wait for the charts (and the stored samples)
        # The chat poller and the charts start once LIVE is painted (bench/golive_latency.py: the
        # click -> LIVE time), each after a pause: queued at once, they ran in the same event-loop
        # pass as LIVE's layout and paint, one freeze. The charts were built while READY (or now,
        # in steps: _prepare_charts).
        QTimer.singleShot(PAUSE_MS, self, lambda: self._start_chat(session))
        QTimer.singleShot(2 * PAUSE_MS, self,
                          lambda: self._prepare_charts(lambda: self._start_charts(session)))

    def _prepare_charts(self, then: Callable[[], None] | None = None) -> None:
        """Build the charts, hidden and off the page, a part per event-loop turn (pyqtgraph: 20-60
        ms of GUI-thread work a plot; all three at go-live froze the window for 150-350 ms,
        bench/responsiveness.py); then run ``then``. pyqtgraph is imported by then (the window's
        warm-up), never at start-up."""
        if then is not None:
            self._charts_then.append(then)
        if self._charts_building:
            return
        if self._built_charts is not None:
            self._charts_ready(self._built_charts)
            return
        from streamdesk.ui.widgets.charts import LiveCharts

        self._charts_building = True
        LiveCharts.build_in_steps(self.charts_frame, self._charts_ready, window_s=LIVE_WINDOW_S)

    def _charts_ready(self, charts: Any) -> None:
        if self._charts_building and charts is not None:
            # the page is complete: what exists now lives until the app quits (ui/gui_gc.py)
            freeze_long_lived()
        self._charts_building = False
        self._built_charts = charts
        then, self._charts_then = self._charts_then, []
        for step in then:
            step()

    def _start_charts(self, session: Any) -> None:
        if not self._is_current(session):
            return  # ended (or replaced) before this turn came
        self._show_charts()
        if self.charts is None:
            self._loading = None  # no charts (their build failed): the numbers go on alone
            return
        # a resumed session shows what was recorded before the restart
        session_id = session.id
        self.charts.set_show_start(getattr(session, "started_at", None))
        if len(self.charts.viewers) or self.charts.window_s != LIVE_WINDOW_S:  # a show before this one
            self.charts.clear()
            self.whole_show.setChecked(False)
            self.charts.set_window(LIVE_WINDOW_S)
        if self._loading is None:
            self._loading = []
        self.controller.load_samples(session_id, self._load_samples)

    # -- chat -------------------------------------------------------------------------------------
    def _start_chat(self, session: Any) -> None:
        if self.summary_shown or not self._is_current(session):
            return  # ended (or replaced) before this turn came
        if self.chat_poller is None:
            self.chat_poller = wire_chat(self.controller.ctx, self.chat_feed, self)
        self.chat_poller.reset()
        self.chat_poller.start()

    def _is_current(self, session: Any) -> bool:
        current = self.controller.session
        return current is not None and getattr(current, "id", None) == getattr(session, "id", None)

    def close_chat(self) -> None:
        if self.chat_poller is not None:
            self.chat_poller.close()

    # -- layout -------------------------------------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        """A narrow window beside OBS: numbers in two rows, the viewer chart over the chat."""
        if compact == self.compact:
            return
        self.compact = compact
        self._apply_compact()

    def _apply_compact(self) -> None:
        compact = self.compact
        live_numbers.reflow(self.metrics_grid, self.metrics, 3 if compact else 5)
        self.metrics_grid.setHorizontalSpacing(12 if compact else 24)
        self.chat_feed.set_compact(compact)
        self.cockpit.setOrientation(Qt.Orientation.Vertical if compact else Qt.Orientation.Horizontal)
        # stacked, the chat is as tall as the (viewers-only) chart; side by side the charts get the
        # larger share. Proportions: the splitter scales them to its size. The handle still drags.
        self.cockpit.setSizes([1, 1] if compact else [3, 2])
        for box in (self.continue_hls, self.continue_recording, self.continue_captions,
                    self.continue_transcription):
            box.setVisible(not compact)
        self.subtitle_label.setVisible(not compact)
        self._compact_charts()

    def _compact_charts(self) -> None:
        compact = self.compact
        if self.charts is not None:
            self.charts.chat_plot.setVisible(not compact)
            if compact:
                self.charts.bitrate_plot.setVisible(False)
            else:
                self.charts.bitrate_plot.setVisible(self.charts.bitrate_shown)
            self.charts.chat_plot.showAxis("bottom", not compact and not self.charts.bitrate_shown)
            self.charts.viewers_plot.showAxis("bottom", compact)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.set_compact(self.width() < COMPACT_WIDTH)
        # a short window keeps its height for the charts: the note on what "viewers" counts moves
        # into the number's tooltip
        short = self.height() < 700
        self.viewers_note.setVisible(not short)
        self.viewers.value.setToolTip(self.viewers_note.text() if short else "")
        if not self.compact and not self._split_set and self.width() > 0:
            # charts get the larger share at first; the streamer can drag the handle
            total = sum(self.cockpit.sizes()) or self.width()
            self.cockpit.setSizes([int(total * 0.6), int(total * 0.4)])
            self._split_set = True

    def _load_samples(self, samples: Any) -> None:
        """Stored samples first, then the polls that landed meanwhile and were not stored yet
        when they were read (the first poll runs alongside this read)."""
        pending, self._loading = self._loading or [], None
        if self.charts is None:
            return
        if samples:
            self.charts.load(samples)
        last = samples[-1].t if samples else float("-inf")
        for snap in pending:
            if getattr(snap, "t", 0) > last:
                self.charts.append_snapshot(snap)

    def _tick(self) -> None:
        session = self.controller.session
        if session is not None:
            self.duration.set(clock_text(self.controller.clock() - session.started_at))

    def _on_snapshot(self, snap: Any) -> None:
        if self.summary_shown or self.controller.session is None:
            return  # a poll that was in flight when the stream ended: the summary stands
        viewers = getattr(snap, "viewers", None)
        self.viewers.set("–" if viewers is None else f"{viewers:,}")
        self.peak.set(f"{getattr(snap, 'peak_viewers', 0):,}")
        self.chat_rate.set(f"{getattr(snap, 'chat_per_minute', 0):,.0f}")
        self.total_chat.set(f"{getattr(snap, 'total_chat', 0):,}")
        if self._loading is not None:
            self._loading.append(snap)
        elif self.charts is not None:
            self.charts.append_snapshot(snap)
        if self.compact and self.charts is not None and self.charts.bitrate_plot.isVisible():
            self.charts.bitrate_plot.setVisible(False)  # the narrow layout keeps the viewer chart only

    def _follow_or_whole(self, whole: bool) -> None:
        if self.charts is not None:
            self.charts.set_window(None if whole else LIVE_WINDOW_S)

    def _show_charts(self) -> None:
        """Put the built charts on the page, in place of the placeholder."""
        if self.charts is not None or self._built_charts is None:
            return
        self.charts = self._built_charts
        self.charts.setMinimumHeight(160)
        self.charts.set_window(None if self.whole_show.isChecked() else LIVE_WINDOW_S)
        self._compact_charts()
        self.charts_placeholder.hide()
        self.charts_layout.takeAt(self.charts_layout.count() - 1)  # the placeholder's stretch
        self.charts_layout.addWidget(self.charts, 1)
        self.charts.show()

    def _on_health(self, health: Any) -> None:
        self.health.setText(live_numbers.health_text(health))

    # -- end ------------------------------------------------------------------------------------
    def stop_options(self) -> StopOptions:
        return StopOptions(continue_hls=self.continue_hls.isChecked(),
                           continue_recording=self.continue_recording.isChecked(),
                           continue_captions=self.continue_captions.isChecked(),
                           continue_transcription=self.continue_transcription.isChecked())

    def _end(self) -> None:
        if self.controller.reason(Event.STOP):
            return
        text = ("Stops live on GetStream: viewers see the stream end, the call goes back to backstage "
                "and the session summary is saved. You can go live again later.")
        if self.stop_obs.isChecked():
            text += " OBS stops streaming too."
        text += " (Force end, in the sidebar, is for when this does not work.)"
        if self.confirm("End the stream?", text):
            self.controller.stop_live(self.stop_options(), stop_obs=self.stop_obs.isChecked())

    def _on_session_ended(self, session: Any) -> None:
        self.ticker.stop()
        if self.chat_poller is not None and self.chat_poller.timer.isActive():
            self.chat_poller.stop()
            self.chat_poller.poll_now()  # the last messages; the feed stays readable
        self.summary_shown = True
        self.title_label.setText("Stream ended")
        self.subtitle_label.setText("Viewers no longer see the stream. Here is how the show went.")
        on_air_s = live_numbers.on_air_seconds(session)
        self.summary.setText(live_numbers.summary_text(session))
        self.summary_frame.show()
        self.end_panel.hide()
        self.reconnecting.hide()
        # the live-only numbers say they are over; the totals are the finished row's, as in History
        self.peak.set(f"{getattr(session, 'peak_viewers', 0):,}")
        self.total_chat.set(f"{getattr(session, 'total_chat', 0):,}")
        self.viewers.set("—", "viewers (ended)")
        self.chat_rate.set("—", "chat / min (ended)")
        on_air = self.duration.value.text() if on_air_s is None else clock_text(on_air_s)
        self.duration.set(on_air, "on air in total")
        if self.charts is not None:
            self.whole_show.setChecked(True)
            self.charts.set_window(None)  # the whole show
            # re-ranged after a pause: not in the same event-loop pass as the summary's layout
            QTimer.singleShot(PAUSE_MS, self.charts, self.charts.flush)

    def _on_state(self, _old: str, new: str) -> None:
        if State(new) is State.READY:
            self._prepare_charts()  # backstage: going live is the next step
        if State(new) is State.LIVE and not self.ticker.isActive() and self.controller.session is not None:
            self.ticker.start()

    def refresh(self) -> None:
        c = self.controller
        gate(self.end_button, c.reason(Event.STOP), busy="stop_live" in c.busy, hint=self.end_hint)
        self.end_button.setText("Ending…" if c.state is State.ENDING else "End stream")
        self.stop_obs.setEnabled(c.obs_info is not None)

    def primary(self) -> QPushButton | None:
        return self.again if self.summary_shown else self.end_button

