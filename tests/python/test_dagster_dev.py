"""`dagster dev` starts from the repo root with no flags, its UI answers on localhost and the asset graph lists
every mart (over GraphQL). Started in its own session and stopped by its process group id."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import OrchestrationEnv

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 180
QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_rss_mib(pgid: int) -> float:
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pgid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return total / 1024


def _graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.long
def test_dagster_dev_serves_the_asset_graph(orchestration_env: OrchestrationEnv) -> None:
    from orchestration.dbt_assets import mart_nodes

    port = _free_port()
    log = orchestration_env.base / "dagster_dev.log"
    started = time.monotonic()
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env={**os.environ},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        keys: set[str] = set()
        while time.monotonic() - started < START_TIMEOUT_SECONDS and process.poll() is None:
            try:
                payload = _graphql(port)
                nodes = (payload.get("data") or {}).get("assetNodes") or []
                keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
                if keys:
                    break
            except OSError:
                pass
            time.sleep(1)
        seconds = time.monotonic() - started
        rss = _group_rss_mib(process.pid)
        print(f"dagster dev answered after {seconds:.1f} s using {rss:.0f} MiB (process group)")
        assert keys, f"no asset graph within {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-3000:]}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
        for node in mart_nodes():
            assert f"{node['schema']}/{node['name']}" in keys, node["name"]
        assert {"serving_warehouse", "dealer_extracts", "shop/orders"} <= keys
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
