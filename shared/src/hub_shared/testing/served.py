"""An ASGI app served by uvicorn on a loopback port, in a thread of its own: the hospitals'
endpoints that tests deliver answers to."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn


class ServedInThread:
    """`start()` returns once the server listens; `stop()` lets it finish and joins the thread."""

    def __init__(self, app: Any, port: int, name: str = "server") -> None:
        self.app, self.port, self.name = app, port, name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, f"the {self.name} did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
