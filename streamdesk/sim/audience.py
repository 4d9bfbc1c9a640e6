"""A seeded, simulated livestream audience: viewers who come and go, and the chat they write.

Everything here is a pure function of (seed, live time): a ``LiveAudience`` draws its timeline
from its own random generators strictly in time order, so how often (or how far ahead) anyone
looks at it never changes what it contains. Two polls at the same live time always agree, and
two simulators with the same seed tell the same story.

Shape of a show with the defaults: a first viewer ``first_viewer_s`` after going live, a rush of
arrivals over the first minute or so (rate decaying with ``ramp_s``), then a steady state of
about ``mean_viewers`` with people leaving after ``mean_stay_s`` on average and being replaced.
Chat starts ``first_chat_s`` in and then runs at ``chat_base_per_min`` plus
``chat_per_viewer_per_min`` per registered viewer present (anonymous viewers cannot chat).
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import uuid
from dataclasses import dataclass, field

_PHRASES = (
    "hello from the chat!", "first time here, love it", "audio is great", "what game is this?",
    "gg", "let's gooo", "can you turn the music down a bit?", "greetings from Lisbon",
    "how long have you been streaming?", "that was clean", "lol", "hype", "nice setup",
    "is this live?", "good evening everyone", "what's the plan for today?", "W", "so smooth",
    "catjam", "just got here, what did I miss?", "the stream looks crisp", "hi mods",
)


@dataclass(frozen=True)
class AudienceConfig:
    """Rates of the simulated audience. ``AudienceConfig.quiet()`` has nobody show up."""

    mean_viewers: float = 40.0
    ramp_s: float = 45.0
    mean_stay_s: float = 900.0
    anonymous_share: float = 0.3
    first_viewer_s: float = 2.0
    first_chat_s: float = 6.0
    chat_base_per_min: float = 2.0
    chat_per_viewer_per_min: float = 0.4
    chat_max_per_min: float = 60.0  # a ceiling, and the candidate rate chat is drawn at: keep it modest

    @classmethod
    def quiet(cls) -> AudienceConfig:
        return cls(mean_viewers=0, chat_base_per_min=0, chat_per_viewer_per_min=0)

    def __post_init__(self) -> None:
        for name in ("mean_viewers", "chat_base_per_min", "chat_per_viewer_per_min", "chat_max_per_min"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("ramp_s", "mean_stay_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0 <= self.anonymous_share < 1:
            raise ValueError("anonymous_share must be in [0, 1)")


@dataclass(frozen=True)
class Viewer:
    number: int
    user_id: str | None  # None: an anonymous viewer (counted, not listed, cannot chat)
    arrive: float  # live seconds
    leave: float
    session_id: str


@dataclass(frozen=True)
class ChatLine:
    at: float  # live seconds
    user_id: str
    text: str
    id: str


@dataclass
class LiveAudience:
    """The audience of one live stretch (go_live → stop_live) of one call."""

    config: AudienceConfig
    seed_key: str
    viewers: list[Viewer] = field(default_factory=list)
    chat: list[ChatLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._vrng = random.Random(f"{self.seed_key}:viewers")
        self._crng = random.Random(f"{self.seed_key}:chat")
        cfg = self.config
        self._steady = cfg.mean_viewers / cfg.mean_stay_s
        self._rush = cfg.mean_viewers / cfg.ramp_s
        self._next_arrival = cfg.first_viewer_s if cfg.mean_viewers > 0 else math.inf
        self._first_arrival_pending = cfg.mean_viewers > 0
        self._chat_max = cfg.chat_max_per_min / 60.0
        chat_possible = cfg.chat_base_per_min > 0 or cfg.chat_per_viewer_per_min > 0
        self._next_chat = cfg.first_chat_s if chat_possible and self._chat_max > 0 else math.inf
        self._first_chat_pending = self._next_chat < math.inf
        self._generated_to = 0.0
        # who can chat, swept forward with the chat clock: registered viewers present at the last
        # chat candidate, in arrival order, and their leave times (keeps long shows linear)
        self._speakers: dict[int, Viewer] = {}
        self._leaving: list[tuple[float, int]] = []
        self._swept = 0  # viewers[:_swept] have been considered for _speakers

    # -- queries (all take live seconds) --------------------------------------------------------
    def present(self, t: float) -> list[Viewer]:
        self.extend(t)
        return [v for v in self.viewers if v.arrive <= t < v.leave]

    def peak(self, t: float) -> int:
        """Most viewers present at once during [0, t]."""
        self.extend(t)
        events = sorted([(v.arrive, 1) for v in self.viewers if v.arrive <= t]
                        + [(v.leave, -1) for v in self.viewers if v.leave <= t])
        best = current = 0
        for _, delta in events:  # leaves sort before arrivals at the same instant
            current += delta
            best = max(best, current)
        return best

    def messages(self, t: float) -> list[ChatLine]:
        self.extend(t)
        return self.chat[: bisect.bisect_right([m.at for m in self.chat], t)]

    # -- generation ------------------------------------------------------------------------------
    def extend(self, t: float) -> None:
        """Draw the timeline up to live time ``t`` (never shortens it, never redraws it)."""
        if t <= self._generated_to:
            return
        while self._next_arrival <= t:
            self._arrive(self._next_arrival)
        while self._next_chat <= t:
            self._maybe_chat(self._next_chat)
        self._generated_to = t

    def _arrival_rate(self, t: float) -> float:
        return self._steady + self._rush * math.exp(-t / self.config.ramp_s)

    def _arrive(self, at: float) -> None:
        rng, cfg = self._vrng, self.config
        number = len(self.viewers) + 1
        anonymous = not self._first_arrival_pending and rng.random() < cfg.anonymous_share
        self._first_arrival_pending = False
        user_id = None if anonymous else f"viewer-{rng.randrange(10_000, 99_999)}-{number}"
        stay = rng.expovariate(1.0 / cfg.mean_stay_s)
        session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.viewers.append(Viewer(number, user_id, at, at + stay, session))
        # the next arrival: a non-homogeneous Poisson process by thinning; the rate only decreases,
        # so the rate at the current candidate bounds everything after it (few wasted draws)
        candidate = at
        while True:
            bound = self._arrival_rate(candidate)
            candidate += rng.expovariate(bound)
            if rng.random() * bound <= self._arrival_rate(candidate):
                break
        self._next_arrival = candidate

    def _sweep_speakers(self, t: float) -> None:
        while self._swept < len(self.viewers) and self.viewers[self._swept].arrive <= t:
            v = self.viewers[self._swept]
            self._swept += 1
            if v.user_id and v.leave > t:
                self._speakers[v.number] = v
                heapq.heappush(self._leaving, (v.leave, v.number))
        while self._leaving and self._leaving[0][0] <= t:
            _, number = heapq.heappop(self._leaving)
            self._speakers.pop(number, None)

    def _maybe_chat(self, at: float) -> None:
        rng, cfg = self._crng, self.config
        # arrivals up to `at` must exist before anyone present at `at` can speak
        while self._next_arrival <= at:
            self._arrive(self._next_arrival)
        self._sweep_speakers(at)
        rate = min((cfg.chat_base_per_min + cfg.chat_per_viewer_per_min * len(self._speakers)) / 60.0,
                   self._chat_max)
        accepted = self._first_chat_pending or rng.random() * self._chat_max <= rate
        if accepted and self._speakers:
            self._first_chat_pending = False
            speakers = list(self._speakers.values())
            speaker = speakers[rng.randrange(len(speakers))]
            text = _PHRASES[rng.randrange(len(_PHRASES))]
            msg_id = f"{speaker.user_id}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            self.chat.append(ChatLine(at, speaker.user_id or "", text, msg_id))
        self._next_chat = at + rng.expovariate(self._chat_max)
