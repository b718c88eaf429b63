"""A TCP relay on 127.0.0.1 in front of the test database server that can play a frozen server and a
stopped one. Frozen, it accepts connections and the kernel acknowledges every byte sent, but nothing
is relayed either way: what a client sees of a SIGSTOPped or unplugged server. Stopped, every
connection is closed and new ones are closed as soon as they are accepted: a server restarting."""

import select
import socket
import threading
from types import TracebackType
from typing import Self


class FreezableProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.closed = threading.Event()
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def freeze(self) -> None:
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            relayed, self._sockets = self._sockets[1:], self._sockets[:1]
        for each in relayed:
            each.close()

    def start(self) -> None:
        self.stopped.clear()

    def close(self) -> None:
        self.closed.set()
        with self._lock:
            for each in self._sockets:
                each.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.stopped.is_set():
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        with client, server:  # one side gone: the other goes too
            while not self.closed.is_set():
                if self.frozen.is_set():
                    self.closed.wait(0.05)
                    continue
                try:
                    readable, _, _ = select.select(list(peers), [], [], 0.05)
                    for source in readable:
                        data = source.recv(65536)
                        if not data:
                            return
                        peers[source].sendall(data)
                except (OSError, ValueError):  # closed by stop() or close()
                    return
