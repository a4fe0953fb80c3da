"""Start and stop Superset (gunicorn, listening on 127.0.0.1 only); run with the BI virtualenv's Python.

    .venv-bi/bin/python bi/server.py [--port 8088]     # serves in the foreground until Ctrl-C (BI_PORT)
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from provision import superset_env  # noqa: E402

HOST = "127.0.0.1"


def command(port: int) -> list[str]:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return [gunicorn, "--workers", "1", "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
            "--bind", f"{HOST}:{port}", "--log-level", "warning", "superset.app:create_app()"]


def start(port: int, log: Path) -> subprocess.Popen:
    """Start Superset in its own process group (so it is stopped as a whole), logging into `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        return subprocess.Popen(command(port), env=superset_env(), stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_healthy(process: subprocess.Popen, port: int, timeout: float = 300) -> str:
    """Wait until /health answers; the base URL. Raises when the process dies or time runs out."""
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Superset exited with code {process.returncode} before it answered on {url}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise TimeoutError(f"Superset did not answer on {url}/health within {timeout:.0f} s")


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop the process group started by `start` (SIGTERM, then SIGKILL after `grace` seconds)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BI_PORT", "8088")))
    args = parser.parse_args(argv)
    print(f"Superset on http://{HOST}:{args.port} (Ctrl-C stops it)", flush=True)
    argv_ = command(args.port)
    os.execve(argv_[0], argv_, superset_env())  # gunicorn itself takes Ctrl-C


if __name__ == "__main__":
    raise SystemExit(main())
