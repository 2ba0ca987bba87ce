"""A faithful local 100ms policy v1 API, for tests, demos and CI without an account."""

from .faults import Faults
from .server import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator
from .store import StateFileError

__all__ = ["DEFAULT_ACCESS_KEY", "DEFAULT_SECRET", "Emulator", "Faults", "StateFileError"]
