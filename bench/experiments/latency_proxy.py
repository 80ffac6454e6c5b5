#!/usr/bin/env python3
"""A TCP proxy that holds every chunk for a while each way: a database on
another host, for `bench/ingest` (docs/performance.md, "Postgres ingest
on a database across a network").

Run: `python3 bench/experiments/latency_proxy.py LISTEN_PORT UPSTREAM_PORT
DELAY_MS`, then point the server's DATABASE_URL at LISTEN_PORT on
127.0.0.1. Python's event loop wakes in whole milliseconds, so a delay of
0.5 ms gives a round trip of about 2.3 ms (`\\timing` in psql), and a delay
of 0 the proxy's own 0.3-1 ms.
"""
import asyncio
import sys
import time

LISTEN, UPSTREAM, DELAY = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000


async def pump(reader, writer):
    """Copies reader to writer, each chunk DELAY after it was read, in order."""
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                writer.close()
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + DELAY, data))
    finally:
        queue.put_nowait((0, None))
        await sender


async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer), return_exceptions=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
