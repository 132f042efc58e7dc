"""local_path answers "not in the cache" without loading the hub client (httpx, the API: a third
of a second on every `retouch plan`), and still finds a cached snapshot through the hub."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = (
    "import sys\n"
    "from retouch.executors.diffusion.loading import local_path\n"
    "print(local_path(sys.argv[1]), 'huggingface_hub.hf_api' in sys.modules)\n"
)


def _local_path(model_id: str, cache: Path) -> list[str]:
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, model_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_model_not_in_the_cache_loads_no_hub_client(tmp_path: Path) -> None:
    assert _local_path("stable-diffusion-v1-5/stable-diffusion-inpainting", tmp_path) == [
        "None",
        "False",
    ]


def test_a_cached_snapshot_is_found(tmp_path: Path) -> None:
    repo = tmp_path / "models--org--tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (snapshot / "model_index.json").write_text("{}")
    found, _ = _local_path("org/tiny", tmp_path)
    assert Path(found) == snapshot
    # a folder without the ref is no snapshot (the hub's own rule, not a guess)
    (repo / "refs" / "main").unlink()
    assert _local_path("org/tiny", tmp_path)[0] == "None"
