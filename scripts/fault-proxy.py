#!/usr/bin/env python3
"""An HTTP/1.1 proxy on 127.0.0.1 that forwards to an S3-compatible server and makes some requests fail, so tests can
prove that a client retries, and the soak (Benchmarks/soak) can play a hostile S3.

    scripts/fault-proxy.py UPSTREAM [--fail-every N | --fail-rate P] [--seed S] [--faults 500,503,drop,reset,...]
                           [--latency-max SECONDS] [--stall-seconds SECONDS] [--stall-match TEXT]
                           [--stall-after-put TEXT]

UPSTREAM is `http://host:port`. Prints one JSON line, {"endpoint": "http://127.0.0.1:PORT", "upstream": ...}, then
serves until stdin closes or SIGTERM/SIGINT; at exit it prints {"requests": n, "faults": {...}, "kinds": {"GET": n,
"LIST": n, …}, "stalls": n} on stdout. With --stall-match it also prints {"stalled": "METHOD target"} when it starts
holding a matching request, so a test knows the client is paused there.

Requests are numbered in arrival order; every N-th one (N = --fail-every, default 3), or with --fail-rate each one
with probability P, fails in a way drawn from a random generator seeded with --seed among the kinds that apply to
it, so a run is reproducible for a given arrival order:
  500          answer 500 InternalError (S3 XML body) without forwarding
  503          answer 503 SlowDown (S3 XML body) without forwarding
  unavailable  answer 503 ServiceUnavailable without forwarding
  drop         forward, then send only part of the upstream's response and close the connection
  reset        read the request, then close the connection without answering (TCP RST)
  reset-body   forward, send the response head and part of the body, then reset the connection (TCP RST)
  truncate     forward a GET, then answer with the body cut short and Content-Length cut to match, keeping the
               connection: a server that lies; only checksums can tell
  latency      forward after a pause drawn uniformly from [0, --latency-max] seconds (default 3)
  stall        hold the request --stall-seconds (default 10) before forwarding it, however long the client waits
  race412      a create (PUT with If-None-Match: *): forward it, so the object is written, then answer 412
               PreconditionFailed, as S3 does to the retry of a create whose first answer was lost
The default --faults is 500,503,drop,reset (what the retry tests expect); the soak passes every kind.
--stall-match TEXT holds the first request whose start line ("PUT /bucket/key…") contains TEXT for --stall-seconds
(a client paused at a known point), independently of the random faults.
--stall-after-put TEXT: after a successful PUT whose path contains TEXT, hold every later request unanswered until
the proxy stops (a client frozen mid-operation, for kill -9 tests).
The request bytes go upstream unchanged, Host header included: clients sign for the proxy's host:port, and servers
check the signature against the Host header they receive, so it still matches.
"""
import argparse
import json
import random
import signal
import socket
import socketserver
import sys
import threading
import time

FAULT_KINDS = ("500", "503", "unavailable", "drop", "reset", "reset-body", "truncate", "latency", "stall", "race412")
DEFAULT_KINDS = ("500", "503", "drop", "reset")


class Faults:
    def __init__(self, every, rate, seed, kinds):
        self.every = every
        self.rate = rate
        self.rng = random.Random(seed)
        self.kinds = kinds
        self.count = 0
        self.injected = {k: 0 for k in kinds}
        self.by_kind = {}
        self.stalls = 0
        self.lock = threading.Lock()

    def tally(self, kind):
        """Counts a request by kind (GET, GET-range, LIST, HEAD, PUT, …) for the report."""
        with self.lock:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def next(self, applies):
        """The fault for the next request, or None. `applies(kind)` says whether a kind can be played on it."""
        with self.lock:
            self.count += 1
            if self.rate > 0:
                if self.rng.random() >= self.rate:
                    return None
            elif self.every <= 0 or self.count % self.every != 0:
                return None
            usable = [k for k in self.kinds if applies(k)]
            if not usable:
                return None
            kind = self.rng.choice(usable)
            self.injected[kind] += 1
            return kind

    def uniform(self, high):
        with self.lock:
            return self.rng.uniform(0, high)


def request_kind(head, headers):
    """GET, GET-range (a Range header), LIST (GET with list-type), HEAD, PUT, POST or DELETE."""
    parts = head.split(b" ", 2)
    method = parts[0].upper().decode("ascii", "replace")
    target = parts[1] if len(parts) > 1 else b""
    if method == "GET" and b"list-type=" in target:
        return "LIST"
    if method == "GET" and "range" in headers:
        return "GET-range"
    return method


class ConnectionClosed(Exception):
    pass


def read_head(f):
    """Start line and header lines up to the blank line, as raw bytes; None at a clean end of stream."""
    lines = []
    while True:
        line = f.readline(65537)
        if not line:
            if lines:
                raise ConnectionClosed("end of stream inside a header")
            return None
        if len(line) > 65536:
            raise ConnectionClosed("header line too long")
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def header_values(head):
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            name, value = line.split(b":", 1)
            headers.setdefault(name.strip().lower().decode("latin-1"), []).append(value.strip().decode("latin-1"))
    return headers


def read_exactly(f, n):
    data = f.read(n)
    if len(data) != n:
        raise ConnectionClosed("end of stream inside a body")
    return data


def read_chunked(f):
    """A chunked body, returned raw (with its framing) so it can be passed on unchanged."""
    out = []
    while True:
        line = f.readline(65537)
        if not line:
            raise ConnectionClosed("end of stream inside a chunked body")
        out.append(line)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the blank line
                t = f.readline(65537)
                if not t:
                    raise ConnectionClosed("end of stream inside chunk trailers")
                out.append(t)
                if t in (b"\r\n", b"\n"):
                    return b"".join(out)
        out.append(read_exactly(f, size + 2))


def read_body(f, headers, no_body):
    """The body after a head (raw bytes) and whether the message ends only when the connection closes."""
    if no_body:
        return b"", False
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        return read_chunked(f), False
    if "content-length" in headers:
        return read_exactly(f, int(headers["content-length"][0])), False
    return None, True


LINGER_RESET = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close() sends RST


def replace_content_length(head, length):
    """The response head with its Content-Length set to `length`."""
    lines = head.split(b"\r\n")
    out = [l if not l.lower().startswith(b"content-length:") else b"Content-Length: " + str(length).encode() for l in lines]
    return b"\r\n".join(out)


def s3_error(status, reason, code, message):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>").encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\n\r\n").encode()
    return head + body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        client = self.request
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cin = client.makefile("rb")
        upstream = None
        uin = None
        try:
            while True:
                head = read_head(cin)
                if head is None:
                    return
                method = head.split(b" ", 1)[0].upper()
                req_headers = header_values(head)
                body, _ = read_body(cin, req_headers, no_body=False)
                body = body or b""
                if server.stalled.is_set():
                    # Hold the request unanswered until the proxy stops: the client is frozen mid-operation.
                    server.stop_event.wait()
                    return
                start_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                if server.stall_match and server.take_match(start_line):
                    print(json.dumps({"stalled": start_line}), flush=True)
                    with server.faults.lock:
                        server.faults.stalls += 1
                    if server.stop_event.wait(server.stall_seconds):
                        return
                kind = request_kind(head, req_headers)
                server.faults.tally(kind)
                conditional = method == b"PUT" and "*" in ",".join(req_headers.get("if-none-match", []))

                def applies(k):
                    if k == "race412":
                        return conditional
                    if k == "truncate":
                        return method == b"GET"
                    return True

                fault = server.faults.next(applies)
                if fault == "500":
                    client.sendall(s3_error(500, "Internal Server Error", "InternalError",
                                            "We encountered an internal error. Please try again."))
                    continue
                if fault == "503":
                    client.sendall(s3_error(503, "Slow Down", "SlowDown", "Please reduce your request rate."))
                    continue
                if fault == "unavailable":
                    client.sendall(s3_error(503, "Service Unavailable", "ServiceUnavailable", "Service is unable to handle request."))
                    continue
                if fault == "reset":
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                    return
                if fault == "latency":
                    if server.stop_event.wait(server.faults.uniform(server.latency_max)):
                        return
                if fault == "stall":
                    if server.stop_event.wait(server.stall_seconds):
                        return
                if upstream is None:
                    upstream = socket.create_connection(server.upstream, timeout=120)
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    uin = upstream.makefile("rb")
                upstream.sendall(head + body)
                resp_head = read_head(uin)
                if resp_head is None:
                    return
                status = int(resp_head.split(b" ", 2)[1])
                resp_headers = header_values(resp_head)
                no_body = method == b"HEAD" or status in (204, 304) or 100 <= status < 200
                resp_body, until_close = read_body(uin, resp_headers, no_body)
                if until_close:
                    resp_body = uin.read()
                whole = resp_head + resp_body
                if fault == "drop":
                    client.sendall(whole[: max(1, len(whole) // 2)])
                    return
                if fault == "reset-body":
                    client.sendall(resp_head + resp_body[: len(resp_body) // 2])
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
                    return
                if fault == "truncate" and not until_close and "content-length" in resp_headers and len(resp_body) > 1:
                    cut = resp_body[: len(resp_body) // 2]
                    client.sendall(replace_content_length(resp_head, len(cut)) + cut)
                    continue
                if fault == "race412" and 200 <= status < 300:
                    client.sendall(s3_error(412, "Precondition Failed", "PreconditionFailed",
                                            "At least one of the pre-conditions you specified did not hold"))
                    continue
                client.sendall(whole)
                if server.stall_prefix and method == b"PUT" and 200 <= status < 300 \
                        and server.stall_prefix.encode() in head.split(b" ", 2)[1]:
                    server.stalled.set()
                if until_close or "close" in ",".join(resp_headers.get("connection", [])).lower():
                    return
        except (ConnectionClosed, OSError, ValueError):
            return
        finally:
            for s in (uin, upstream, cin):
                try:
                    if s is not None:
                        s.close()
                except OSError:
                    pass


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    # A parent may have blocked signals (the Swift test runner does); children inherit the mask, and a server that
    # cannot see SIGTERM only dies to SIGKILL after a long wait.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("upstream", help="http://host:port of the real server")
    parser.add_argument("--fail-every", type=int, default=3, help="fail every N-th request (0: never)")
    parser.add_argument("--fail-rate", type=float, default=0.0,
                        help="fail each request with this probability instead of every N-th (0 < P ≤ 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stall-after-put", default="",
                        help="after a successful PUT whose path contains this text, hold every later request unanswered "
                             "(a client frozen mid-operation, for kill -9 tests)")
    parser.add_argument("--faults", default=",".join(DEFAULT_KINDS), help="comma-separated subset of " + ",".join(FAULT_KINDS))
    parser.add_argument("--latency-max", type=float, default=3.0, help="longest pause of a latency fault, seconds")
    parser.add_argument("--stall-seconds", type=float, default=10.0, help="how long a stall holds a request, seconds")
    parser.add_argument("--stall-match", default="",
                        help="hold the first request whose start line contains this text for --stall-seconds")
    args = parser.parse_args()

    up = args.upstream
    if not up.startswith("http://"):
        parser.error("UPSTREAM must be http://host:port")
    hostport = up[len("http://"):].rstrip("/")
    host, _, port = hostport.rpartition(":")
    kinds = tuple(k for k in args.faults.split(",") if k)
    if not kinds or any(k not in FAULT_KINDS for k in kinds):
        parser.error("--faults takes a comma-separated subset of " + ",".join(FAULT_KINDS))

    proxy = Proxy(("127.0.0.1", 0), Handler)
    proxy.upstream = (host or "127.0.0.1", int(port))
    if not 0 <= args.fail_rate <= 1:
        parser.error("--fail-rate takes a probability between 0 and 1")
    proxy.faults = Faults(args.fail_every, args.fail_rate, args.seed, kinds)
    proxy.latency_max = args.latency_max
    proxy.stall_seconds = args.stall_seconds
    proxy.stall_match = args.stall_match
    match_lock = threading.Lock()
    matched = []

    def take_match(start_line):
        """Whether this request is the first one matching --stall-match."""
        with match_lock:
            if matched or args.stall_match not in start_line:
                return False
            matched.append(start_line)
            return True

    proxy.take_match = take_match
    proxy.stall_prefix = args.stall_after_put
    proxy.stalled = threading.Event()
    stop = threading.Event()
    proxy.stop_event = stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(65536):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"endpoint": f"http://127.0.0.1:{proxy.server_address[1]}", "upstream": up}), flush=True)
    stop.wait()
    proxy.shutdown()
    proxy.server_close()
    f = proxy.faults
    print(json.dumps({"requests": f.count, "faults": f.injected, "kinds": f.by_kind, "stalls": f.stalls}), flush=True)


if __name__ == "__main__":
    main()
