"""A real HTTP server on 127.0.0.1 that speaks Twilio's Messages API, with scripted misbehaviour.

``plan`` is a queue of what the next POSTs get: ``ok`` (201), ``429`` (with ``Retry-After``),
``500``, ``slow`` (201 after ``slow_seconds``), ``drop`` (accepts the message, then closes the
connection without answering), ``hang`` (accepts, then never answers), or an error code such as
``21610``. Numbers in ``invalid`` always get 400 with 21211.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"


@dataclass
class Accepted:
    """A message Twilio accepted."""

    sid: str
    to: str
    body: str
    sender: str
    validity: str
    created: datetime
    sent: datetime | None  # None while Twilio still has it queued


@dataclass
class FakeTwilio:
    """The server's state; ``start()`` serves it in a thread, ``url`` is its base URL."""

    latency: float = 0.0
    retry_after: str = "1"
    slow_seconds: float = 0.5
    plan: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    # Messages stay queued (no date_sent), as on a busy sender: DateSent filters miss them.
    hold_in_queue: bool = False
    messages: list[Accepted] = field(default_factory=list)
    posts: int = 0
    accepted: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTwilio:
        """Serve in a daemon thread."""
        state = self

        class Handler(_Handler):
            twilio = state

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def received(self, to: str) -> list[str]:
        """The bodies accepted for ``to``, in order."""
        with self.lock:
            return [m.body for m in self.messages if m.to == to]

    def by_number(self) -> dict[str, list[str]]:
        """Every accepted body, grouped by number."""
        with self.lock:
            found: dict[str, list[str]] = {}
            for m in self.messages:
                found.setdefault(m.to, []).append(m.body)
            return found

    def next_action(self, to: str) -> str:
        """What this POST gets."""
        with self.lock:
            self.posts += 1
            if to in self.invalid:
                return "21211"
            return self.plan.pop(0) if self.plan else "ok"

    def accept(self, form: dict[str, str]) -> Accepted:
        """Record a message as accepted."""
        message = Accepted("SM" + uuid.uuid4().hex, form.get("To", ""), form.get("Body", ""),
                           form.get("From") or form.get("MessagingServiceSid", ""),
                           form.get("ValidityPeriod", ""), now := datetime.now(UTC),
                           None if self.hold_in_queue else now)
        with self.lock:
            self.messages.append(message)
        self.accepted.set()
        return message


def _resource(m: Accepted) -> dict[str, Any]:
    return {"sid": m.sid, "to": m.to, "from": m.sender, "body": m.body,
            "status": "queued" if m.sent is None else "sent",
            "num_segments": "1", "error_code": None, "error_message": None,
            "date_created": m.created.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "date_sent": m.sent.strftime("%a, %d %b %Y %H:%M:%S +0000") if m.sent else None}


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests print what matters."""

    def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, {"code": code, "message": message, "status": status,
                             "more_info": f"https://www.twilio.com/docs/errors/{code}"}, headers)

    def _authorised(self) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") == f"Basic {expected}":
            return True
        self._error(401, 20003, "Authenticate")
        return False

    def _path_ok(self, path: str) -> bool:
        if path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return True
        self._error(404, 20404, "The requested resource was not found")
        return False

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if not self._path_ok(urlsplit(self.path).path) or not self._authorised():
            return
        time.sleep(self.twilio.latency)
        action = self.twilio.next_action(form.get("To", ""))
        if action == "429":
            self._error(429, 20429, "Too Many Requests", {"Retry-After": self.twilio.retry_after})
        elif action == "500":
            self._error(500, 20500, "Internal Server Error")
        elif action == "drop":
            self.twilio.accept(form)
            self.close_connection = True  # no answer at all: the client sees the connection end
        elif action == "hang":
            self.twilio.accept(form)
            time.sleep(60)
            self.close_connection = True
        elif action.isdigit():
            self._error(400, int(action), f"The 'To' number {form.get('To')} cannot receive this message.")
        else:
            if action == "slow":
                time.sleep(self.twilio.slow_seconds)
            self._reply(201, _resource(self.twilio.accept(form)))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if not self._path_ok(parts.path) or not self._authorised():
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        since = query.get("DateSent>")
        size, page = int(query.get("PageSize", "50")), int(query.get("Page", "0"))
        with self.twilio.lock:
            found = [m for m in reversed(self.twilio.messages)  # newest first, as Twilio lists
                     if m.to == query.get("To", m.to)
                     # A date filter matches only messages with a date_sent.
                     and (since is None or (m.sent is not None and f"{m.sent:%Y-%m-%d}" >= since))]
        chunk = found[page * size : (page + 1) * size]
        more = len(found) > (page + 1) * size
        next_uri = (f"{parts.path}?To={quote(query.get('To', ''))}&PageSize={size}&Page={page + 1}"
                    if more else None)
        self._reply(200, {"messages": [_resource(m) for m in chunk], "next_page_uri": next_uri,
                          "page": page, "page_size": size})
