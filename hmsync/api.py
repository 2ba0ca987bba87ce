"""The names older code imports from here: the v1 backend as `Client`, and the transport's.
(The request loop is transport.py; the backends are backends/v1.py and backends/v2.py.)"""

from __future__ import annotations

from .backends import Backend, client_from_env
from .backends.transport import MAX_ANSWER_BYTES, Json, RetryPolicy, _decoded, check_base_url
from .backends.v1 import V1Client as Client

__all__ = [
    "MAX_ANSWER_BYTES",
    "Backend",
    "Client",
    "Json",
    "RetryPolicy",
    "_decoded",
    "check_base_url",
    "client_from_env",
]
