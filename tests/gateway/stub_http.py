"""A stub HTTP/1.1 keep-alive server for the benchmark's load-generator tests: answers every POST or
GET with a 200, one request at a time after ``pause`` seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer


def handler(pause: float) -> type[BaseHTTPRequestHandler]:
    one_at_a_time = threading.Lock()

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the generators expect

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with one_at_a_time:  # every connection is served, but the work is serial
                time.sleep(pause)
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    return Answer


def serving(server: HTTPServer) -> Iterator[int]:
    """Serve ``server`` on a thread while the caller uses its port (a fixture body)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
