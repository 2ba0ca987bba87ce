"""The example account `hmsync emulator --with-examples` starts with: the three templates of
the project's examples/templates (kept equal to them by a test), created as the API's own create
call would create them, their ${HMSYNC_*} storage credentials filled with published demo
values (EXAMPLE_CREDENTIALS: the README's guide exports the same)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLE_CREDENTIALS = {
    "HMSYNC_S3_KEY": "AKIAEXAMPLEKEY",
    "HMSYNC_S3_SECRET": "example-secret-value",
}


def example_templates() -> list[dict[str, Any]]:
    import yaml

    out = []
    for path in sorted(Path(__file__).parent.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for name, value in EXAMPLE_CREDENTIALS.items():
            text = text.replace("${" + name + "}", value)
        out.append(yaml.safe_load(text))
    return out
