"""Fault injection for the GetStream simulator, per route.

A route is GetStream's operationId (``"GetCall"``, ``"GoLive"``, …) or ``"*"`` for every route.
Each rule fires for the next ``times`` matching requests (``times=None``: forever); with
``probability`` each matching request flips a seeded coin first, so a soak sees the same faults
for the same seed and request order.

    sim.faults.rate_limit("GoLive", times=2, reset_in=1.0)   # 429 code 9, X-RateLimit-Reset
    sim.faults.server_error("*", times=None, probability=0.05)  # 500 on ~5 % of requests
    sim.faults.drop("GetCall")                              # close the connection, no response
    sim.faults.malformed("GetCall")                         # 2xx whose body is not JSON
    sim.faults.latency("GetCall", 0.3, times=None)           # every GetCall waits 300 ms first

Latency composes with the others; of the rest, the first matching rule (route rules before
``"*"`` rules, then in the order added) decides the response.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    LATENCY = "latency"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    DROP = "drop"
    MALFORMED = "malformed"


@dataclass
class FaultRule:
    route: str
    kind: FaultKind
    times: int | None = 1
    probability: float | None = None
    seconds: float = 0.0  # latency
    reset_in: float = 1.0  # rate_limit: X-RateLimit-Reset = now + reset_in (rounded up to a second)
    hold: bool = False  # rate_limit: refuse every request until the reset time, then stop
    status: int = 500  # server_error
    reset_at: float | None = None  # a holding rate limit's reset time, fixed when it first fires

    def reset_time(self, now: float) -> float:
        return self.reset_at if self.reset_at is not None else now + self.reset_in

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.times <= 0


@dataclass(frozen=True)
class Decision:
    """What the faults say about one request: a delay, then maybe a replacement response."""

    delay: float = 0.0
    rule: FaultRule | None = None


@dataclass(frozen=True)
class Injected:
    route: str
    kind: FaultKind


class Faults:
    def __init__(self, seed: int = 1, routes: Collection[str] = ()) -> None:
        """``routes``: the route names that exist, so a misspelt one fails loudly instead of never firing."""
        self._routes = frozenset(routes)
        self._rng = random.Random(f"{seed}:faults")
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        #: every fault that fired, in order (for assertions)
        self.injected: list[Injected] = []

    # -- adding rules ------------------------------------------------------------------------------
    def add(self, rule: FaultRule) -> FaultRule:
        if self._routes and rule.route != "*" and rule.route not in self._routes:
            raise ValueError(f"no route named {rule.route!r}; routes are operationIds: "
                             f"{', '.join(sorted(self._routes))} (or '*')")
        if rule.probability is not None and not 0 <= rule.probability <= 1:
            raise ValueError("probability must be in [0, 1]")
        with self._lock:
            self._rules.append(rule)
        return rule

    def latency(self, route: str, seconds: float, *, times: int | None = 1,
                probability: float | None = None) -> FaultRule:
        return self.add(FaultRule(route, FaultKind.LATENCY, times, probability, seconds=seconds))

    def rate_limit(self, route: str, *, times: int | None = 1, reset_in: float = 1.0,
                   probability: float | None = None, hold: bool = False) -> FaultRule:
        """429 code 9. ``hold=True``: like a real exhausted quota, every request is refused until the
        reset time announced by the first refusal has passed (``times`` is then ignored), so only a
        client that honours ``X-RateLimit-Reset`` gets through on its next try."""
        rule = FaultRule(route, FaultKind.RATE_LIMIT, None if hold else times, probability,
                         reset_in=reset_in, hold=hold)
        return self.add(rule)

    def server_error(self, route: str, *, times: int | None = 1, status: int = 500,
                     probability: float | None = None) -> FaultRule:
        if not 500 <= status <= 599:
            raise ValueError("server_error needs a 5xx status")
        return self.add(FaultRule(route, FaultKind.SERVER_ERROR, times, probability, status=status))

    def drop(self, route: str, *, times: int | None = 1, probability: float | None = None) -> FaultRule:
        return self.add(FaultRule(route, FaultKind.DROP, times, probability))

    def malformed(self, route: str, *, times: int | None = 1,
                  probability: float | None = None) -> FaultRule:
        return self.add(FaultRule(route, FaultKind.MALFORMED, times, probability))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def count(self, kind: FaultKind | str | None = None, route: str | None = None) -> int:
        with self._lock:
            return sum(1 for i in self.injected
                       if (kind is None or i.kind == kind) and (route is None or i.route == route))

    # -- deciding ------------------------------------------------------------------------------------
    def decide(self, route: str, now: float = 0.0) -> Decision:
        """The faults for one request on ``route`` at base-clock time ``now``."""
        with self._lock:
            ordered = [r for r in self._rules if r.route == route]
            ordered += [r for r in self._rules if r.route == "*"]
            delay, chosen = 0.0, None
            for rule in ordered:
                if rule.exhausted or (rule.kind is not FaultKind.LATENCY and chosen is not None):
                    continue
                if rule.hold and rule.reset_at is not None and now >= rule.reset_at:
                    rule.times = 0  # the quota is back: this rule is done
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                if rule.hold and rule.reset_at is None:
                    rule.reset_at = now + rule.reset_in
                self.injected.append(Injected(route, rule.kind))
                if rule.kind is FaultKind.LATENCY:
                    delay += rule.seconds
                else:
                    chosen = rule
            self._rules = [r for r in self._rules if not r.exhausted]
            return Decision(delay, chosen)
