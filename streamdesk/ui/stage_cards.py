"""The stage cards, each built the first time it is asked for (start-up pays only for the card on
screen), and the builders that import each stage's module only when it is built."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QStackedWidget

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.stages.base import StageCard


class StageCards(Mapping[str, "StageCard"]):
    """The stage cards by name, each built the first time it is asked for.

    Start-up (bench/startup.py) only pays for the card on screen: the window builds the others on
    the event-loop turn after its first paint, or at once when the controller starts (cards must exist
    before the controller reports anything to them). Iterating gives the names in ``STAGES``
    order; ``values()`` builds every card."""

    def __init__(self, stack: QStackedWidget, factories: dict[str, Callable[[], StageCard]],
                 on_built: Callable[[str, StageCard], None]) -> None:
        self._stack = stack
        self._factories = factories
        self._on_built = on_built
        self._cards: dict[str, StageCard] = {}

    def __getitem__(self, stage: str) -> StageCard:
        card = self._cards.get(stage)
        if card is None:
            card = self._factories[stage]()  # KeyError for an unknown stage, like a dict
            self._cards[stage] = card
            # keep the stack in stage order whatever order the cards were built in
            before = list(self._factories)[: list(self._factories).index(stage)]
            self._stack.insertWidget(sum(1 for s in before if s in self._cards), card)
            self._on_built(stage, card)
        return card

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def is_built(self, stage: str) -> bool:
        return stage in self._cards

    def build_all(self) -> None:
        for stage in self._factories:
            self[stage]


def card_factories(controller: Controller, stack: QStackedWidget, *, confirm: Callable[[str, str], bool],
                   simulator_url: str = "") -> dict[str, Callable[[], StageCard]]:
    """One builder per stage; the stage modules are imported by their builder, so the ones
    not on screen cost nothing before the first paint."""

    def account() -> StageCard:
        from streamdesk.ui.stages.account import AccountCard

        return AccountCard(controller, stack, simulator_url=simulator_url)

    def provision() -> StageCard:
        from streamdesk.ui.stages.provision import ProvisionCard

        return ProvisionCard(controller, stack, confirm=confirm)

    def obs() -> StageCard:
        from streamdesk.ui.stages.obs import ObsCard

        return ObsCard(controller, stack, confirm=confirm)

    def golive() -> StageCard:
        from streamdesk.ui.stages.golive import GoLiveCard

        return GoLiveCard(controller, stack, confirm=confirm)

    def live() -> StageCard:
        from streamdesk.ui.stages.live import LiveCard

        return LiveCard(controller, stack, confirm=confirm)

    return {"account": account, "provision": provision, "obs": obs, "golive": golive, "live": live}
