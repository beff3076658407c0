"""A TCP proxy on loopback whose open connections can go silent: what either side sends is
dropped, and neither side is told. That is what a connection looks like whose peer is gone
without a word (a half-open connection: a host lost, a NAT entry expired). New connections
through it work as before."""

from __future__ import annotations

import asyncio
import contextlib


class SilentProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = upstream_host, upstream_port
        self._server: asyncio.Server | None = None
        self._silenced: set[asyncio.StreamWriter] = set()
        self._open: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def silence_open_connections(self) -> int:
        """From now on, the connections open now carry nothing; how many there are."""
        self._silenced |= self._open
        return len(self._open) // 2  # each is a pair: the client's side and Redis's

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for pump in self._pumps:
            pump.cancel()
        for writer in self._open:
            writer.close()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        self._open |= {writer, upstream_writer}
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink, {writer, upstream_writer}))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: set[asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await source.read(65536):
                if sink not in self._silenced:
                    sink.write(data)
                    await sink.drain()
        except ConnectionError:
            pass
        finally:
            if sink not in self._silenced:  # a silenced connection is never closed either
                with contextlib.suppress(ConnectionError):
                    sink.close()
                self._open -= pair
