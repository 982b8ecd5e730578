"""gunicorn with the shipped configuration, in its own process, and slow clients to throw at it."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*options: str, log: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """`gunicorn -c gunicorn.conf.py cssbuy_qc.wsgi` on a free port (options are appended, so
    they override the file); yields the port once it accepts connections, stops it after."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *options,
             "cssbuy_qc.wsgi"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_READ_DOT_ENV": "false", **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Booting worker" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the test is over: no graceful stop needed
        process.wait()


def get(port: int, path: str, *, cookie: str = "", timeout: float = 60) -> tuple[int, bytes]:
    """One plain HTTP/1.1 GET; the status code and the raw response."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if cookie:
        request += f"Cookie: {cookie}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall((request + "\r\n").encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    return int(raw.split(b" ", 2)[1]), raw


class SlowClient:
    """A client that sends the start of a request and then trickles one header byte at a time:
    it holds whatever reads its request for as long as it keeps trickling."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")

    def trickle(self) -> None:
        self.sock.sendall(b"a")

    def finish(self) -> None:
        self.sock.sendall(b"\r\nConnection: close\r\n\r\n")

    def answered(self) -> bool:
        """Whether the server has sent anything (or closed the connection) yet."""
        self.sock.setblocking(False)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return False
        finally:
            self.sock.setblocking(True)
        return True

    def close(self) -> None:
        self.sock.close()
