#!/usr/bin/env python3
"""Drives a headless Chromium over the DevTools protocol (standard library
only: a minimal websocket client) for the dashboard's slow test.

  dash_cdp.py DEVTOOLS_PORT URL OUTDIR [GAP_S]
      opens URL in the browser's page, waits 6 s, saves OUTDIR/shot1.png,
      waits GAP_S (default 4) s, saves OUTDIR/shot2.png and OUTDIR/dom.html
      (the live DOM: what the page's scripts have made of it).
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request
from urllib.parse import urlsplit


class WS:
    def __init__(self, url):
        u = urlsplit(url)
        self.s = socket.create_connection((u.hostname, u.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                        % (u.path, u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.s.recv(1)
            if not c:
                raise SystemExit("devtools: connection closed during the handshake")
            head += c
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit("devtools: handshake refused: %r" % head[:200])
        self.n = 0

    def _read(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise SystemExit("devtools: connection closed")
            b += c
        return b

    def send(self, text):
        b = text.encode()
        n, mask = len(b), os.urandom(4)
        h = bytes([0x81])
        if n < 126:
            h += bytes([0x80 | n])
        elif n < 65536:
            h += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            h += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.s.sendall(h + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(b)))

    def recv(self):
        data = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n, = struct.unpack(">H", self._read(2))
            elif n == 127:
                n, = struct.unpack(">Q", self._read(8))
            payload = self._read(n)
            if b0 & 0x0F in (0x9, 0xA):  # ping / pong: ignored
                continue
            data += payload
            if b0 & 0x80:
                return data.decode("utf-8")

    def call(self, method, **params):
        self.n += 1
        self.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise SystemExit("devtools: %s: %s" % (method, m["error"]))
                return m["result"]


def main():
    port, url, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    gap = float(sys.argv[4]) if len(sys.argv) > 4 else 4
    targets = []
    for _ in range(300):
        try:
            targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=2))
            targets = [t for t in targets if t.get("type") == "page"]
            if targets:
                break
        except OSError:
            pass
        time.sleep(0.2)
    if not targets:
        raise SystemExit("devtools: no page target")
    ws = WS(targets[0]["webSocketDebuggerUrl"])
    ws.call("Emulation.setDeviceMetricsOverride", width=1280, height=1700, deviceScaleFactor=1, mobile=False)
    ws.call("Page.navigate", url=url)
    time.sleep(6)
    shot = ws.call("Page.captureScreenshot", format="png")
    open(os.path.join(out, "shot1.png"), "wb").write(base64.b64decode(shot["data"]))
    time.sleep(gap)
    shot = ws.call("Page.captureScreenshot", format="png")
    open(os.path.join(out, "shot2.png"), "wb").write(base64.b64decode(shot["data"]))
    dom = ws.call("Runtime.evaluate", expression="document.documentElement.outerHTML", returnByValue=True)
    open(os.path.join(out, "dom.html"), "w").write(dom["result"]["value"])
    print("ok")


if __name__ == "__main__":
    main()
