"""One object that knows where things are: paths, the store, the secret store.

The CLI and the GUI both build one ``AppContext`` and pass it down; nothing else reads
environment variables for paths or opens the database on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from streamdesk.core.paths import Paths, api_base_from_env, get_paths
from streamdesk.core.store import Store

if TYPE_CHECKING:
    from streamdesk.core.secrets import SecretStore


@dataclass
class AppContext:
    paths: Paths = field(default_factory=get_paths)

    @cached_property
    def store(self) -> Store:
        return Store.open(self.paths.database)

    @cached_property
    def secrets(self) -> SecretStore:
        from streamdesk.core.secrets import SecretStore  # lazy: keyring costs ~100 ms at start-up

        return SecretStore()

    def api_base(self) -> str:
        """GetStream base URL: ``STREAMDESK_API_BASE`` wins, then the saved one, then the default."""
        from streamdesk.core.paths import DEFAULT_API_BASE

        return api_base_from_env() or self.store.channel().api_base or DEFAULT_API_BASE
