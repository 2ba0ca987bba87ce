"""Hypothesis strategies for valid template files."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -._:"
role_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10)
template_names = st.text(NAME_CHARS, min_size=1, max_size=20).filter(lambda s: s.strip() == s)


def _some(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


tracks = st.lists(st.sampled_from(["audio", "video", "screen"]), unique=True)
roles = _some(
    priority=st.integers(1, 10),
    publishParams=_some(
        allowed=tracks,
        audio=_some(bitRate=st.integers(16, 128), codec=st.just("opus")),
        video=_some(
            bitRate=st.integers(30, 2000),
            codec=st.just("vp8"),
            frameRate=st.integers(1, 30),
            height=st.integers(50, 1080),
            width=st.integers(50, 1920),
        ),
        screen=_some(
            bitRate=st.integers(500, 8000),
            codec=st.just("vp8"),
            frameRate=st.integers(1, 30),
            height=st.integers(270, 1080),
            width=st.integers(480, 1920),
        ),
    ),
    subscribeParams=_some(
        maxSubsBitRate=st.integers(0, 10000),
        subscribeToRoles=st.lists(role_names, unique=True, max_size=3),
        subscribeDegradation=_some(
            packetLossThreshold=st.integers(1, 100),
            degradeGracePeriodSeconds=st.integers(1, 10),
            recoverGracePeriodSeconds=st.integers(1, 10),
        ),
    ),
    permissions=_some(
        endRoom=st.booleans(),
        removeOthers=st.booleans(),
        mute=st.booleans(),
        unmute=st.booleans(),
        changeRole=st.booleans(),
    ),
)
settings = _some(
    region=st.sampled_from(["in", "us", "eu", "auto"]),
    recording=_some(
        enabled=st.booleans(),
        upload=st.fixed_dictionaries(
            {
                "type": st.just("s3"),
                "location": st.text("abc-", min_size=1, max_size=8),
                "prefix": st.text("abc/", max_size=8),
            },
            optional={
                "options": _some(region=st.sampled_from(["eu-west-1", "us-east-1"])),
                "credentials": st.fixed_dictionaries(
                    {
                        # Distinctive values, so that a scan for them finds only real leaks.
                        "key": st.text("ABCDEF0123", min_size=8, max_size=12).map("AKIA".__add__),
                        "secret": st.text("abcdef0123", min_size=12, max_size=16).map(
                            "sec-".__add__
                        ),
                    }
                ),
            },
        ),
    ),
)


@st.composite
def templates(draw: st.DrawFn, name: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name or draw(template_names)}
    out["roles"] = draw(st.dictionaries(role_names, roles, max_size=4))
    if draw(st.booleans()):
        out["settings"] = draw(settings)
    if draw(st.booleans()):
        out["default"] = draw(st.booleans())
    return out


# Arbitrary YAML values over the schema's own key names, for fuzzing validate.
FUZZ_KEYS = [
    "name",
    "roles",
    "settings",
    "default",
    "host",
    "publishParams",
    "video",
    "bitRate",
    "allowed",
    "subscribeParams",
    "subscribeToRoles",
    "renamedFrom",
    "recording",
    "upload",
    "credentials",
    "key",
    "secret",
    "region",
    "permissions",
    "<<",
    "x",
]
fuzz_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FUZZ_KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)
