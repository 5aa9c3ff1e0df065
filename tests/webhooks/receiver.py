"""A real webhook receiver on 127.0.0.1 for the delivery tests: verifies signatures, records bodies."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from webhooks.signing import signature_is_valid


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    signature_ok: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str
    # Status answered to each request in turn; once used up, `default_status`.
    script: list[int] = field(default_factory=list)
    default_status: int = 200
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.default_status

    @property
    def delivered_event_ids(self) -> list[str]:
        return [r.json["event_id"] for r in self.received]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = signature_is_valid(body, receiver.secret, headers.get("x-signature", ""))
            status = receiver.next_status()
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            with receiver.lock:
                receiver.received.append(Received(body=body, headers=headers, signature_ok=ok))
            # A receiver that checks signatures refuses a bad one, whatever the script says.
            status = status if ok else 401
            reply = json.dumps({"ok": 200 <= status < 300}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    return Handler


def free_port() -> int:
    """A loopback port nobody listens on right now: a receiver that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_receiver(secret: str, port: int = 0, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(secret=secret, **options)
    # Port 0: the OS picks a free port, so parallel test workers never collide. Loopback only.
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
