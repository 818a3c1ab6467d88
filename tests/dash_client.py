#!/usr/bin/env python3
"""Clients of the overseer's dashboard for the tests (standard library only).

  dash_client.py events URL OUT [--timeout S] [--last-id N]
      reads URL (an SSE stream) until an "end" message or S seconds; writes
      one JSON line per message {"id", "at" (monotonic s), "msg"} to OUT
  dash_client.py flood URL N SECONDS OUT
      opens N event streams that read everything and one that never reads
      (its receive buffer shrunk), for SECONDS; writes {"status": {code: n},
      "refused": n} to OUT
  dash_client.py status URL [HEADER: VALUE]
      prints the HTTP status of a GET
  dash_client.py rows CSV OUT SECONDS
      watches CSV (every 20 ms, for at most SECONDS) and writes one JSON line
      per row as it appears: {"at" (monotonic s), "row"} - when the overseer
      wrote each second
"""
import json
import select
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def events(url, out, timeout, last_id=None):
    req = urllib.request.Request(url)
    if last_id is not None:
        req.add_header("Last-Event-ID", str(last_id))
    end = time.monotonic() + timeout
    n = 0
    with urllib.request.urlopen(req, timeout=timeout) as r, open(out, "w") as f:
        assert r.status == 200, r.status
        assert r.headers["Content-Type"].startswith("text/event-stream"), r.headers["Content-Type"]
        ident, data = None, []
        while time.monotonic() < end:
            line = r.readline()
            if not line:
                break
            line = line.decode("utf-8").rstrip("\n")
            if line == "":
                if data:
                    msg = json.loads("\n".join(data))
                    f.write(json.dumps({"id": ident, "at": time.monotonic(), "msg": msg}) + "\n")
                    f.flush()
                    n += 1
                    if msg.get("type") == "end":
                        break
                ident, data = None, []
            elif line.startswith(":"):
                continue
            elif line.startswith("id: "):
                ident = int(line[4:])
            elif line.startswith("data: "):
                data.append(line[6:])
            else:
                raise SystemExit("bad SSE line: %r" % line)
    print("%d messages" % n)


def flood(url, n, seconds, out):
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port
    path = u.path + ("?" + u.query if u.query else "")
    req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n\r\n" % (path, host, port)).encode()
    socks, refused = [], 0
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stalled.connect((host, port))
    stalled.sendall(req)
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((host, port))
            s.sendall(req)
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
    status, first = {}, {}
    end = time.monotonic() + seconds
    live = list(socks)
    while live and time.monotonic() < end:
        r, _, _ = select.select(live, [], [], 0.2)
        for s in r:
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            if s not in first and b:
                first[s] = b
                code = b.split(b" ", 2)[1].decode() if b.startswith(b"HTTP/") else "?"
                status[code] = status.get(code, 0) + 1
            if not b:
                live.remove(s)
                if s not in first:
                    status["closed"] = status.get("closed", 0) + 1
    for s in socks:
        s.close()
    stalled.close()
    json.dump({"status": status, "refused": refused}, open(out, "w"))
    print(json.dumps({"status": status, "refused": refused}))


def status(url, header=None):
    req = urllib.request.Request(url)
    if header:
        k, v = header.split(":", 1)
        req.add_header(k.strip(), v.strip())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            print(r.status)
    except urllib.error.HTTPError as e:
        print(e.code)


def rows(path, out, seconds):
    end = time.monotonic() + seconds
    seen, buf = 0, ""
    with open(out, "w") as f:
        while time.monotonic() < end:
            try:
                with open(path) as c:
                    c.seek(seen)
                    chunk = c.read()
            except OSError:
                chunk = ""
            now = time.monotonic()
            seen += len(chunk.encode())
            buf += chunk
            while "\n" in buf:
                line, buf = buf.split("\n", 1)
                f.write(json.dumps({"at": now, "row": line}) + "\n")
                f.flush()
            time.sleep(0.02)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "events":
        t, last = 60.0, None
        if "--timeout" in a:
            t = float(a[a.index("--timeout") + 1])
        if "--last-id" in a:
            last = int(a[a.index("--last-id") + 1])
        events(a[1], a[2], t, last)
    elif a[0] == "flood":
        flood(a[1], int(a[2]), float(a[3]), a[4])
    elif a[0] == "rows":
        rows(a[1], a[2], float(a[3]))
    elif a[0] == "status":
        status(a[1], a[2] if len(a) > 2 else None)
    else:
        raise SystemExit(__doc__)
