"""A Redis of the test's own on a free port, so that it can be stopped and started."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from network import free_port


class RedisServer:
    """A Redis of the test's own on a free port, so that it can be stopped and started."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            reason = "redis-server is needed for the multi-process test"
            if os.environ.get("HERALD_REQUIRE_SERVICES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        self.executable, self.port = executable, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket_probe(self.port) as reachable:
                if reachable:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class socket_probe:
    def __init__(self, port: int) -> None:
        self._socket = socket.socket()
        self._socket.settimeout(0.2)
        self._port = port

    def __enter__(self) -> bool:
        return self._socket.connect_ex(("127.0.0.1", self._port)) == 0

    def __exit__(self, *_: object) -> None:
        self._socket.close()


@pytest.fixture(name="redis_server")
def own_redis_server() -> Iterator[RedisServer]:
    """Import it into a test module to have the `redis_server` fixture there."""
    redis = RedisServer()
    redis.start()
    yield redis
    redis.stop()
