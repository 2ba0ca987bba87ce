"""`hmsync emulator`: serve the local 100ms API (v1 and v2) until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from ..emulator.readings import CHOICES
from ..errors import Exit, InputError
from .options import number

LOOPBACK = ("127.0.0.1", "localhost", "::1")
READING_HELP = {
    "credentials": "recording credentials in answers: as stored, masked (****), or left out",
    "writes": "role and settings writes: merged into what is stored, stored with the seed "
    "example's values for what they leave out, or stored exactly as sent",
    "start": "whether the `start` template is on the next page too",
    "out_of_range": "values outside a documented range: stored as sent (as the seed's "
    "example does), or refused with 400",
    "update_settings": "Update Settings: only region is taken (documented), or the body "
    "replaces the whole settings",
    "secret_name": "v2: the credentials' secret in answers: secretKey in templates and secret in "
    "settings (as the examples show), or one name everywhere",
    "legacy_ids": "v2: the deprecated _id and customer beside id and customerId: shown (as the "
    "examples), or left out",
    "drop_false": "v2: which answers drop false booleans: recordings (as the example), all, none",
    "hls_role": "v2: whether stored HLS destinations gain role __internal_recorder",
    "update_omitted": "v2: destinations and plugins left out of Update Template: kept, or cleared",
    "omit_empty": "answers leave out empty lists and false values (Go's omitempty), or keep them",
    "last_page": "a full page that ends the list: last is empty, or the last id and the next "
    "page has data [], null, or no data",
    "fill": "an empty role's filling: each API its own way, or one way (v1's or v2's) for both",
    "v2_region": "v2: a template that never set a region is answered in, or without a region",
    "enum": "a string outside a documented enum: stored as sent, or refused with 400",
    "names": "field names in a write's body: only the documented ones (a v2 request's storage "
    "secret is secretKey, v1's secret), or either",
    "room_create": "rooms: creating a taken name returns that room unchanged, or applies the "
    "body to it (the Create page says both)",
    "room_name_filter": "rooms: the list's name filter ignores case (as names do), or matches "
    "exactly",
    "room_region": "rooms: a room on region auto is answered auto, or with its template's region",
    "noise_cancellation": "v2: a new template's plugins.noiseCancellation: absent from answers, "
    "or {enabled: true} (on by default for new templates)",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=number(int, 0, 65535),
        default=8765,
        help="port (default 8765; 0 picks a free one)",
    )
    p.add_argument(
        "--api",
        choices=("v1", "v2"),
        default="v1",
        help="which API's base to print for HMS_API_BASE; both are always served, over one "
        "store (default v1)",
    )
    p.add_argument("--state", metavar="FILE", help="keep templates in FILE across restarts")
    p.add_argument(
        "--with-examples",
        action="store_true",
        help="start with hmsync's three example templates (classroom, telehealth, webinar)",
    )
    p.add_argument(
        "--access-key", help="app access key tokens must carry (default: a development one)"
    )
    p.add_argument(
        "--secret", help="app secret tokens must be signed with (default: a development one)"
    )
    p.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    p.add_argument(
        "--error-statuses",
        default="500,502,503",
        help="comma-separated statuses --error-rate answers (default 500,502,503)",
    )
    p.add_argument(
        "--throttle-rate", type=float, default=0.0, help="share of requests answered 429"
    )
    p.add_argument("--rate-limit", type=int, default=0, help="429 above N requests per second")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds sent with 429")
    p.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped")
    p.add_argument("--seed", type=int, default=0, help="random seed for the faults (default 0)")
    readings = p.add_argument_group(
        "readings", "where the docs leave room, which plausible answer to play (default first)"
    )
    for name, choices in CHOICES.items():
        readings.add_argument(
            "--" + name.replace("_", "-"),
            choices=choices,
            default=choices[0],
            help=READING_HELP[name],
        )
    readings.add_argument(
        "--lost-answer-rate",
        type=float,
        default=0.0,
        help="share of writes carried out whose answer is then lost (connection closed)",
    )
    p.add_argument("--log", action="store_true", help="log every request to stderr")


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    # Imported here, so that other commands do not load the emulator.
    from ..emulator import DEFAULT_ACCESS_KEY, DEFAULT_SECRET, Emulator, Faults, StateFileError
    from ..emulator.readings import Readings

    access_key = args.access_key or DEFAULT_ACCESS_KEY
    try:
        statuses = [int(s) for s in args.error_statuses.split(",") if s.strip()]
    except ValueError:
        raise InputError("--error-statuses: expected numbers such as 502,503") from None
    try:
        faults = Faults.from_dict(
            {
                "error_statuses": statuses,
                "latency_ms": args.latency_ms,
                "error_rate": args.error_rate,
                "throttle_rate": args.throttle_rate,
                "rate_limit": args.rate_limit,
                "retry_after": args.retry_after,
                "drop_rate": args.drop_rate,
            }
        )
    except ValueError as exc:
        raise InputError(f"fault options: {exc}") from None
    try:
        readings = Readings.from_dict(
            {name: getattr(args, name) for name in CHOICES}
            | {"lost_answer_rate": args.lost_answer_rate}
        )
    except ValueError as exc:
        raise InputError(f"--lost-answer-rate: {exc}") from None
    try:
        emulator = Emulator(
            args.host,
            args.port,
            access_key,
            args.secret or DEFAULT_SECRET,
            Path(args.state) if args.state else None,
            faults,
            args.seed,
            log=args.log,
            readings=readings,
            api=args.api,
        )
    except StateFileError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}; pick another --port"
        ) from None
    made: list[str] = []
    if args.with_examples:
        from ..emulator.examples import example_templates

        made = [emulator.store.create_template(t)["name"] for t in example_templates()]
    # The default secret is a published development value; one given with --secret is not shown.
    secret = "(as given with --secret)" if args.secret else DEFAULT_SECRET
    other = "v2" if args.api == "v1" else "v1"
    title = "100ms policy API" if args.api == "v1" else "100ms v2 API"
    print(f"hmsync emulator: {title} on {emulator.api_base}", flush=True)
    print(f"  export HMS_API_BASE={emulator.api_base}")
    print(f"  export HMS_ACCESS_KEY={access_key}")
    print(f"  export HMS_SECRET={secret}")
    print(f"  control endpoint: {emulator.url}/_emulator/ (reset, templates, faults, calls)")
    print(f"  the {other} API too, over the same templates: {emulator.base(other)}")
    if made:
        from ..emulator.examples import EXAMPLE_CREDENTIALS

        values = " and ".join(EXAMPLE_CREDENTIALS.values())
        print(f"  with {len(made)} example templates ({', '.join(made)}); telehealth's "
              f"recording storage holds the demo credentials {values}")  # fmt: skip
    if args.host not in LOOPBACK:
        print(f"  warning: listening on {args.host}, beyond loopback", file=sys.stderr)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly under CI runners and `timeout`
    try:
        emulator.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.server.server_close()
    return Exit.OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
