"""One writer of a data directory at a time, and no child process outliving the command that started it.

The data directory is the folder of the build warehouse (WAREHOUSE_PATH, default data/): the landing, the
warehouse, the serving files and the extracts of one setup live there. Whatever writes them — the whole job
(`make run`), `make build`, `make simulate`, the dbt step of a Dagster run — holds `<data dir>/.run.lock`, an
advisory file lock (flock, through `filelock`) that the kernel releases when its holder dies, even by SIGKILL.
A second writer exits at once with a message naming the holder, or waits for it when asked to.

    python -m orchestration.lock [--wait SECONDS] -- COMMAND [ARGS...]

runs COMMAND holding the lock (the Makefile wraps its writing targets in this) and exits with its status; 75
(EX_TEMPFAIL) when another writer holds the lock.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from orchestration import settings

LOCK_NAME = ".run.lock"
OWNER_SUFFIX = ".owner"
BUSY_EXIT_CODE = 75  # EX_TEMPFAIL: try again later
_PR_SET_PDEATHSIG = 1


class DataDirectoryBusy(RuntimeError):
    """Another process holds the data directory's lock."""


def data_dir() -> Path:
    """The folder whose lock a writer holds: the build warehouse's folder (default data/)."""
    return settings.warehouse_path().parent


def lock_path(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / LOCK_NAME


def holder(path: Path) -> str:
    """Who holds the lock at `path`, as its holder wrote it (pid, start time, command), or '' when unknown."""
    owner = path.with_name(path.name + OWNER_SUFFIX)
    try:
        return owner.read_text().strip()
    except OSError:
        return ""


def _command_line() -> str:
    return " ".join([Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]])[:300]


@contextlib.contextmanager
def data_lock(wait_seconds: float = 0.0, directory: Path | None = None, what: str = "") -> Iterator[Path]:
    """Hold the data directory's lock for the block. Re-entrant within a process (the whole job holds it and its
    dbt step takes it again). Raises DataDirectoryBusy when another process holds it for longer than
    `wait_seconds` (0: do not wait; negative: wait for as long as it takes)."""
    path = lock_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), is_singleton=True, thread_local=False)
    first = not lock.is_locked
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise DataDirectoryBusy(busy_message(path)) from None
    try:
        if first:
            started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            path.with_name(path.name + OWNER_SUFFIX).write_text(
                f"pid {os.getpid()} since {started}: {what or _command_line()}\n"
            )
        yield path
    finally:
        lock.release()


def busy_message(path: Path) -> str:
    owner = holder(path)
    return (
        f"Another run is writing {path.parent} (lock {path} held by "
        f"{owner or 'an unknown process'}). Wait for it to finish, or queue behind it with --wait SECONDS "
        "(make: WAIT=SECONDS)."
    )


def die_with_parent() -> None:
    """In a child process before exec (subprocess `preexec_fn`): ask Linux to send SIGTERM when the parent dies,
    even by SIGKILL, so no dbt or simulator keeps writing after its job is gone. SIGTERM is first given back its
    default action and unblocked: ignoring or blocking it is inherited across exec, and would let the child
    outlive its parent whatever process started it. A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another writer (-1: forever)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    try:
        with data_lock(args.wait, what=" ".join(command)[:300]):
            process = subprocess.Popen(command, preexec_fn=die_with_parent)
            try:
                return process.wait()
            except KeyboardInterrupt:
                process.wait()
                return 130
    except DataDirectoryBusy as error:
        print(error, file=sys.stderr)
        return BUSY_EXIT_CODE


if __name__ == "__main__":
    sys.exit(main())
