"""The benchmarks still run: ``bench/run.py --quick`` (tiny sizes) exits 0 and prints every row.

The quick run checks only that the code runs; its ratios mean little at these sizes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_runs_and_prints_every_row(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    table = [ln.split("|") for ln in lines if "|" in ln]
    assert [c.strip() for c in table[0]][:3] == ["row", "what", "engine"]
    keys = {cells[0].strip() for cells in table[1:]}
    assert set("abcdefgh") <= keys, keys
    results = [cells[-1].strip() for cells in table[1:] if cells[0].strip()]
    assert results and not any(r.startswith("ERROR") for r in results), results
