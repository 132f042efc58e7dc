"""The editor app in a real browser: headless Chromium (Debian's chromium, driven by Playwright)
loads ui://retouch/editor.html from a real `retouch serve --http` into a test host page, paints a
stroke, commits the mask, runs a classical edit and reads the verdict, then cuts the subject out
onto its own layer and sees each layer as a thumbnail (browser_host.py). Browser,
host page and server run in a network namespace of their own with only loopback, and Chromium's
background networking is off, so nothing leaves the machine. Skipped, with the reason, where
Chromium, Playwright, root or unshare are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

HOST = Path(__file__).with_name("browser_host.py")


def _missing() -> str | None:
    if not Path("/usr/bin/chromium").exists():
        return "needs Debian's chromium (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs playwright (pip install -e '.[test]')"
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return "needs root, unshare and ip for a loopback-only network namespace"
    return None


@pytest.mark.slow
def test_paint_commit_run_and_compare_in_chromium(tmp_path: Path, astronaut: Image.Image) -> None:
    if reason := _missing():
        pytest.skip(reason)
    astronaut.save(tmp_path / "photo.png")
    script = f"ip link set lo up; exec {sys.executable} {HOST} {tmp_path} 420"
    proc = subprocess.run(
        ["unshare", "-n", "--", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["verdict"].startswith("clean"), seen  # the classical fill: measured, unverified
    assert "mask saved: " in seen["saved"] and "/masks/" in seen["saved"]
    assert seen["calls"][:2] == ["view_image", "commit_mask"] and "run_edit" in seen["calls"]
    assert seen["theme"] == "dark"  # the host's theme reached the page
    assert seen["forged"] == "dark"  # a sibling frame's message was dropped ...
    assert seen["restyled"] == "light"  # ... while the host's next one still counts
    assert seen["pinned"] == "http://host.test"  # it posts to the host's origin, not "*"
    ids = seen["ids"]  # random request ids: 96 bits each, none repeated, not a counter
    assert len(ids) >= 4 and len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and len(i) == 25 and i.startswith("r") for i in ids), ids
    shot = Image.open(seen["shot"])
    assert shot.size[0] >= 400
    # a cut-out run with layers: each layer PNG a loaded thumbnail over a checkerboard
    assert "source unchanged by design" in seen["cutout"]
    thumbs = seen["thumbs"]
    assert [t["name"] for t in thumbs] == ["01-background", "02-subject", "03-composite"]
    assert all(t["loaded"] and t["width"] > 0 and t["inside"] for t in thumbs), thumbs
    assert all(t["src"].startswith("data:image/png") for t in thumbs)  # PNG: alpha kept
    assert all("conic-gradient" in t["checker"] for t in thumbs)
    assert [f.split(":")[0] for f in seen["layer_files"]] == ["layers.ora", "layers.psd"]
    w, h = Image.open(seen["layers_shot"]).size
    assert w >= 3 * 100 and h >= 100  # three thumbnails side by side, not just their captions
