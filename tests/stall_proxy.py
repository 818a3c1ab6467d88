#!/usr/bin/env python3
"""stall_proxy.py - a TCP proxy on loopback that stops forwarding for a while.

Usage: stall_proxy.py LISTEN_PORT TARGET_PORT STALL_AT_S STALL_FOR_S LIFETIME_S
Prints "listening on PORT" when ready. STALL_AT_S after the first connection,
every connection stops moving bytes (both ways) for STALL_FOR_S seconds, as
when a link or a node's network thread hangs, then carries on. Exits after
LIFETIME_S. For tests only (tests/test_beacon_faults.sh)."""
import asyncio
import sys
import time

listen, target = int(sys.argv[1]), int(sys.argv[2])
stall_at, stall_for, lifetime = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
first = None


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if first is not None:
                left = first + stall_at + stall_for - time.monotonic()
                if left > 0 and time.monotonic() >= first + stall_at:
                    await asyncio.sleep(left)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    global first
    if first is None:
        first = time.monotonic()
    try:
        treader, twriter = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, twriter), pipe(treader, writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("listening on", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(lifetime)


asyncio.run(main())
