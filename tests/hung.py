"""A TCP server that accepts connections and never answers: a hung broker or SMTP server."""

import contextlib
import socket
import threading


class HungServer:
    """Accepts every connection, reads what comes, answers nothing. Counts the connections
    accepted and those the client gave up on (closed from its side)."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self.gave_up = 0
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self._stopped:
                    sock.close()
                    return
                self.accepted += 1
                self._open.append(sock)
            threading.Thread(target=self._swallow, args=(sock,), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        try:
            while sock.recv(65536):
                pass
        except OSError:
            return
        with self._lock:
            if not self._stopped:
                self.gave_up += 1

    def close(self) -> None:
        """Stop listening first (a client reconnecting now is refused), then end every accepted
        connection: whoever waits on one sees it closed."""
        self._listener.close()
        with self._lock:
            self._stopped = True
            for sock in self._open:
                with contextlib.suppress(OSError):  # already gone
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def __enter__(self) -> "HungServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
