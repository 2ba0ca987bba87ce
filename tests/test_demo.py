from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_runs_end_to_end() -> None:
    """`make demo` runs this script; it must keep working from a clean checkout."""
    bin_dir = str(Path(sys.executable).parent)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("HMS_", "HMSYNC_"))}
    environ["PATH"] = bin_dir + os.pathsep + environ.get("PATH", "")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "3 files checked: no problems." in out
    assert "Plan: 3 templates to create." in out
    assert "Apply: 3 action(s) done, 0 failed, 0 not attempted, 0 not converged." in out
    assert "No changes. Live templates match the files.\n" in out
    assert '  role viewer: publishParams.allowed: live ["audio"], file []\n' in out
    assert "Drift: 1 template drifted, 1 difference.\n(exit 2)" in out
    assert "Exported 3 template(s) to " in out and "  viewer:\n    priority: 5\n" in out
    assert out.rstrip().endswith(
        "== Done. The emulator stops now; against 100ms, set HMS_ACCESS_KEY and HMS_SECRET instead."
    )
    assert "1 file checked: no problems." in out  # the v2 example
    assert "Plan: 1 template to create." in out
    assert out.count("No changes. Live templates match the files.\n") == 3
    # It ends with a room and its codes: created, planned again empty, no code ever printed.
    assert "Plan: 1 room to create, room codes of 2 roles to enable." in out
    assert "ok      room all-hands: 3 action(s) done\n" in out
    assert "room all-hands: 2 room codes enabled (host, viewer)\n" in out
    assert "demo-webhook-token-not-real" not in out + proc.stderr
    assert "demo-secret-not-real" not in out + proc.stderr
    for secret in ("demo-gs-secret-not-real", "demo-stream-key-not-real"):
        assert secret not in out + proc.stderr
    assert not (ROOT / "demo-plan.json").exists()
