"""The gateway's gunicorn settings, read as gunicorn reads them, in a process of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GATEWAY = Path(__file__).resolve().parent.parent
FROZEN = (
    "import gc, runpy, types; hooks = runpy.run_path('gunicorn.conf.py');"
    " hooks['post_worker_init'](types.SimpleNamespace(pid=1)); print(gc.get_freeze_count())"
)


def _frozen_by_a_worker(tmp_path, **env: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", FROZEN],
        cwd=GATEWAY,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip())


def test_a_worker_freezes_what_its_start_up_made(tmp_path):
    """Each worker, once started, freezes its objects out of the garbage collector's full walks (svclib.heap),
    which otherwise stop all its threads for each; ``GC_FREEZE_ON_START=false`` leaves them."""
    assert _frozen_by_a_worker(tmp_path) > 1000
    assert _frozen_by_a_worker(tmp_path, GC_FREEZE_ON_START="false") == 0
