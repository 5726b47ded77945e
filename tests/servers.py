"""Start real local servers for tests on free loopback ports, and stop them."""

from __future__ import annotations

import contextlib
import functools
import os
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


class ServerExited(RuntimeError):
    """The server process ended before it answered (e.g. its port was taken meanwhile)."""


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` itself (not some other server) listens on `port`."""
    import psutil

    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
               for c in psutil.Process(pid).net_connections(kind="inet"))


@contextlib.contextmanager
def process(args: list[str], ready, what: str, env: dict | None = None, timeout: float = 60) -> Iterator[subprocess.Popen]:
    """Run a server process until the block ends; `ready()` says when it answers."""
    with open(Path("/tmp") / f"{what.replace(' ', '_')}-{free_port()}.log", "w") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)

        def up() -> bool:
            if proc.poll() is not None:
                raise ServerExited(f"{what} exited with code {proc.returncode} before it answered")
            return ready(proc)

        try:
            wait_for(up, timeout, what)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def serve(args_for, ready_for, what: str, env: dict | None = None, timeout: float = 60,
          attempts: int = 3) -> Iterator[int]:
    """A server on a free port, yielded once it listens there itself and `ready_for(port)`; started again on
    another port if the chosen one was taken between choosing and binding (parallel test workers)."""
    for attempt in range(attempts):
        port = free_port()
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(process(args_for(port), functools.partial(_up, port=port, ready_for=ready_for),
                                        what, env, timeout))
        except ServerExited:
            if attempt == attempts - 1:
                raise
            continue
        with stack:
            yield port
        return


def _up(proc: subprocess.Popen, port: int, ready_for) -> bool:
    return listens(proc.pid, port) and ready_for(port)


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


@contextlib.contextmanager
def fakesnow_server() -> Iterator[int]:
    """A `fakesnow -s` Snowflake emulator on a free port; yields the port."""
    with serve(lambda port: [sys.executable, "-m", "fakesnow", "-s", "-p", str(port)], port_open, "fakesnow") as port:
        yield port


@contextlib.contextmanager
def streamlit_server(env: dict, extra_args: list[str] | tuple[str, ...] = ()) -> Iterator[str]:
    """`python -m streamlit run app/main.py` on a free port (with `extra_args`, e.g. `--secrets.files F`);
    yields its URL once healthy."""

    def healthy(port: int) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
            return response.status == 200

    def args(port: int) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.headless", "true",
                "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                *extra_args]

    with serve(args, healthy, "streamlit", env=env, timeout=90) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def oidc_provider() -> Iterator[str]:
    """`oidc-provider-mock`, a real OpenID Connect provider (discovery, authorization form, token, userinfo
    and end-session endpoints), on a free loopback port; yields its URL. Register users with
    `PUT {url}/users/{sub}` and a JSON body of their claims; its form signs in whoever's `sub` is typed."""

    def answers(port: int) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1) as r:
            return r.status == 200

    with serve(lambda port: [sys.executable, "-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", str(port)],
               answers, "oidc provider") as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def moto_s3_server(unchecked_requests: int | None = None) -> Iterator[str]:
    """`moto_server` (moto in server mode: S3 and the other AWS APIs) on a free port; yields its endpoint URL.

    With `unchecked_requests`, moto checks IAM permissions after that many requests (to set things up first).
    """

    def answers(port: int) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1) as response:
            return response.status == 200

    moto = str(Path(sys.executable).with_name("moto_server"))
    env = dict(os.environ) | ({"INITIAL_NO_AUTH_ACTION_COUNT": str(unchecked_requests)} if unchecked_requests else {})
    with serve(lambda port: [moto, "-H", "127.0.0.1", "-p", str(port)], answers, "moto", env=env) as port:
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def dropping_proxy(upstream: str, marker: str) -> Iterator[str]:
    """An HTTP proxy on a free loopback port in front of `upstream` that drops the connection halfway through
    the body of every GET whose path holds `marker` (a connection lost mid-file); yields its URL."""
    import http.client
    import http.server
    import threading
    from urllib.parse import urlsplit

    target = urlsplit(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            connection.request(self.command, self.path, body, dict(self.headers))
            response = connection.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "GET" and marker in self.path and len(data) > 1:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Received(list):
    """What a test server received, in order; `port` is where it listens."""

    port: int = 0


@contextlib.contextmanager
def webhook_receiver(status: int = 200) -> Iterator[Received]:
    """A real HTTP server on a free loopback port that answers every POST with `status` and keeps
    (path, JSON body) of each in the yielded list."""
    import http.server
    import json
    import threading

    received = Received()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((self.path, json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def smtp_receiver(refuse: tuple[str, ...] = (), login: tuple[str, str] | None = None) -> Iterator[Received]:
    """A real SMTP server (aiosmtpd) on a free loopback port keeping each accepted message as
    (recipient, email.message.EmailMessage); it refuses the addresses in `refuse` (550) and, with `login`,
    accepts only that user and password (AUTH without TLS, on loopback only)."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    received = Received()

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.casefold() in refuse:
                return "550 5.1.1 no such user here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            received.extend((to, message) for to in envelope.rcpt_tos)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == login
        return AuthResult(success=ok, handled=False)

    options = {"auth_require_tls": False, "authenticator": authenticator} if login else {}
    for attempt in range(3):
        controller = Controller(Handler(), hostname="127.0.0.1", port=free_port(), **options)
        try:
            controller.start()
            break
        except Exception:
            if attempt == 2:
                raise
    received.port = controller.port
    try:
        yield received
    finally:
        controller.stop()
