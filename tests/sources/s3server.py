"""moto's S3 server on 127.0.0.1 behind a small HTTP proxy that counts requests and injects
faults (503 SlowDown, 500, 403, a connection dropped mid-body, delay). Real HTTP throughout:
the code under test talks to the proxy exactly as it talks to S3."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from moto.server import ThreadedMotoServer

_ERRORS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "denied": (403, "AccessDenied", "Access Denied"),
}
# The JSON protocol of CloudWatch Logs: errors are a JSON body with `__type`.
_JSON_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "logs-denied": (400, "AccessDeniedException", "User is not authorized"),
}


@dataclass
class Fault:
    """Answer `times` requests whose method and path match with `kind` (-1: forever)."""

    method: str
    path_contains: str
    kind: str  # slowdown, 500, denied, drop; throttle, logs-denied (CloudWatch Logs)
    times: int = 1
    query_contains: str = ""

    def matches(self, method: str, path: str, query: str) -> bool:
        return (
            self.times != 0
            and method == self.method
            and self.path_contains in path
            and self.query_contains in query
        )


@dataclass
class Proxy:
    upstream: tuple[str, int]
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def object_gets(self, bucket: str) -> list[str]:
        """Paths of GetObject requests (a GET with no query) to `bucket`."""
        with self.lock:
            return [
                p
                for m, p, q in self.requests
                if m == "GET" and not q and p.startswith(f"/{bucket}/")
            ]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.delay = 0.0

    def fault_for(self, method: str, path: str, query: str) -> Fault | None:
        with self.lock:
            self.requests.append((method, path, query))
            for fault in self.faults:
                if fault.matches(method, path, query):
                    fault.times -= 1 if fault.times > 0 else 0
                    return fault
        return None


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _error(self, status: int, content_type: str, payload: str) -> None:
            body = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if proxy.delay:
                time.sleep(proxy.delay)
            fault = proxy.fault_for(self.command, url.path, url.query)
            if fault is not None and fault.kind in _JSON_ERRORS:
                status, code, message = _JSON_ERRORS[fault.kind]
                payload = f'{{"__type": "{code}", "message": "{message}"}}'
                self._error(status, "application/x-amz-json-1.1", payload)
                return
            if fault is not None and fault.kind in _ERRORS:
                status, code, message = _ERRORS[fault.kind]
                payload = (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>{message}</Message></Error>"
                )
                self._error(status, "application/xml", payload)
                return
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = f"{proxy.upstream[0]}:{proxy.upstream[1]}"
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
            finally:
                upstream.close()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if fault is not None and fault.kind == "drop":  # half the body, then hang up
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


class S3Server:
    """Start moto and the proxy; `endpoint` is the proxy's URL."""

    def __init__(self) -> None:
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        self.proxy = Proxy(self.moto.get_host_and_port())
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.proxy))
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.http.server_address[:2]
        self.endpoint = f"http://{host!s}:{port}"
        host, port = self.moto.get_host_and_port()
        self.moto_endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.moto.stop()
        if self.moto._server is not None:  # stop() leaves the listening socket open
            self.moto._server.server_close()
