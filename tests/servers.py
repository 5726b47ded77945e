"""Start real local servers for tests on free loopback ports, and stop them."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout:.0f} s")


@contextlib.contextmanager
def process(args: list[str], ready, what: str, env: dict | None = None, timeout: float = 60) -> Iterator[subprocess.Popen]:
    """Run a server process until the block ends; `ready()` says when it answers."""
    log = open(Path("/tmp") / f"{what.replace(' ', '_')}-{free_port()}.log", "w")
    proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: proc.poll() is None and ready(), timeout, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


@contextlib.contextmanager
def fakesnow_server() -> Iterator[int]:
    """A `fakesnow -s` Snowflake emulator on a free port; yields the port."""
    port = free_port()
    with process([sys.executable, "-m", "fakesnow", "-s", "-p", str(port)], lambda: port_open(port), "fakesnow"):
        yield port


@contextlib.contextmanager
def streamlit_server(env: dict) -> Iterator[str]:
    """`python -m streamlit run app/main.py` on a free port; yields its URL once healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.status == 200

    args = [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true",
            "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with process(args, healthy, "streamlit", env=env, timeout=90):
        yield url
