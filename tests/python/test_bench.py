"""`make bench`'s housekeeping: it refuses to start on a disk too small for the profile, and removes the run's
databases when it ends (unless `--keep`)."""

from __future__ import annotations

import os
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from orchestration import bench

Usage = namedtuple("Usage", "total used free")


def test_a_disk_too_small_stops_the_bench_before_it_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _: Usage(100 * 10**9, 90 * 10**9, 10 * 10**9))
    with pytest.raises(SystemExit) as stopped:
        bench.check_disk(tmp_path, "large", tmp_path / "run-large-42")
    message = str(stopped.value)
    assert str(tmp_path) in message and "10.0 GB free" in message and "needs about 26 GB" in message
    bench.check_disk(tmp_path, "demo", tmp_path / "run-demo-42")  # 10 GB is enough for demo


def test_the_previous_run_counts_as_free_but_its_hard_linked_landing_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _: Usage(10**6, 0, 400))
    run_dir = tmp_path / "run-ci-42"
    (run_dir / "raw").mkdir(parents=True)
    (tmp_path / "cached.csv").write_bytes(b"x" * 10**6)
    os.link(tmp_path / "cached.csv", run_dir / "raw" / "cached.csv")  # the cache keeps these bytes
    monkeypatch.setitem(bench.DISK_NEEDED, "ci", 1000)
    with pytest.raises(SystemExit):
        bench.check_disk(tmp_path, "ci", run_dir)
    (run_dir / "warehouse.duckdb").write_bytes(b"x" * 600)  # replaced by the next run: reclaimable
    bench.check_disk(tmp_path, "ci", run_dir)


def test_the_run_s_databases_are_removed_and_its_logs_and_landing_kept(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "full_build.log").write_text("built")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "orders.csv").write_text("order_id\n1\n")
    (tmp_path / "warehouse.duckdb").write_bytes(b"w" * 3000)
    (tmp_path / "warehouse.duckdb.wal").write_bytes(b"l" * 100)
    (tmp_path / "warehouse.duckdb.tmp").mkdir()
    (tmp_path / "warehouse.duckdb.tmp" / "spill.block").write_bytes(b"s" * 50)
    (tmp_path / "floor.duckdb").write_bytes(b"f" * 1000)
    assert bench.remove_databases(tmp_path) == 4150
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "logs", "logs/full_build.log", "raw", "raw/orders.csv"]
    assert bench.remove_databases(tmp_path) == 0  # nothing left to remove: no error
