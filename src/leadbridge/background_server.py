"""A uvicorn server on a daemon thread: started once the port accepts connections, stopped without hanging."""

from __future__ import annotations

import threading
import time

import uvicorn


class BackgroundServer:
    """`start()` returns when serving (or raises `error`); `stop()` waits 1 s for requests, then forces exit."""

    def __init__(self, config: uvicorn.Config, name: str):
        self.server = uvicorn.Server(config)
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def start(self, error: Exception, timeout: float = 15) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise error
            time.sleep(0.02)

    def address(self) -> tuple[str, int]:
        return tuple(self.server.servers[0].sockets[0].getsockname()[:2])  # type: ignore[return-value]

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=1.0)
        if self._thread.is_alive():
            # an idle pooled client never answers TLS close_notify: uvicorn would wait for it
            self.server.force_exit = True
            self._thread.join(timeout=10)
