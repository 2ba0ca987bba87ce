"""A faithful local 100ms API, v1 (the policy API) and v2 from one store, for tests, demos
and CI without an account.

Its names load on first use (PEP 562): `hmsync emulator --help` and the other commands read
emulator.readings without starting the server's imports (http.server, jwt, the store)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import Faults
    from .server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator
    from .store import StateFileError

__all__ = ["DEFAULT_ACCESS_KEY", "DEFAULT_SECRET", "Emulator", "Faults", "StateFileError"]
_WHERE = {
    "DEFAULT_ACCESS_KEY": ".server",
    "DEFAULT_SECRET": ".server",
    "Emulator": ".server",
    "Faults": ".faults",
    "StateFileError": ".store",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
