"""Injected faults: latency, 5xx, 429 (random or above a request rate) and dropped connections."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Verdict = Literal["ok", "drop", "error", "throttle"]
ERROR_STATUSES = (500, 502, 503)


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0  # share of requests answered 500/502/503
    throttle_rate: float = 0.0  # share of requests answered 429
    rate_limit: int = 0  # requests per second above which 429 is answered; 0: no limit
    drop_rate: float = 0.0  # share of connections closed with no answer
    retry_after: int = 1  # seconds, sent with every 429
    error_statuses: tuple[int, ...] = ERROR_STATUSES  # what error_rate answers, at random

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Faults | None = None) -> Faults:
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(unknown)}")
        merged = {**(base or cls()).as_dict(), **data}
        statuses = merged.pop("error_statuses")
        if (
            not isinstance(statuses, list | tuple)
            or not statuses
            or not all(isinstance(s, int) and 500 <= s <= 599 for s in statuses)
        ):
            raise ValueError("error_statuses: must be a non-empty list of 5xx statuses")
        for name, value in merged.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(f"{name}: must be a number >= 0")
        for name in ("error_rate", "throttle_rate", "drop_rate"):
            if merged[name] > 1:
                raise ValueError(f"{name}: must be between 0 and 1")
        if merged["error_rate"] + merged["throttle_rate"] + merged["drop_rate"] > 1:
            raise ValueError("error_rate + throttle_rate + drop_rate must not exceed 1")
        return cls(**merged, error_statuses=tuple(statuses))


class FaultInjector:
    """Decides each request's fate. With a seed, the same request order meets the same faults."""

    def __init__(self, faults: Faults, seed: int | None = None) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.recent: deque[float] = deque()

    def lose_answer(self, rate: float) -> bool:
        """Whether the answer to a write just carried out is lost (the connection closed)."""
        if not rate:
            return False
        with self.lock:
            return self.rng.random() < rate

    def decide(self) -> tuple[Verdict, int]:
        """The verdict and, for an error, its status."""
        with self.lock:
            f = self.faults
            if f.rate_limit:
                now = time.monotonic()
                while self.recent and now - self.recent[0] >= 1.0:
                    self.recent.popleft()
                if len(self.recent) >= f.rate_limit:
                    return "throttle", 429
                self.recent.append(now)
            draw = self.rng.random()
            if draw < f.drop_rate:
                return "drop", 0
            if draw < f.drop_rate + f.error_rate:
                return "error", self.rng.choice(f.error_statuses)
            if draw < f.drop_rate + f.error_rate + f.throttle_rate:
                return "throttle", 429
            return "ok", 200
