"""Who may use the dashboard: the password (scrypt), sessions, CSRF tokens, Host and Origin.

- A bind beyond loopback needs a password (config.json ``web.password_hash``, set with
  ``nocturne web-password``); config validation refuses one without it.
- With a password, every request but the login needs the session cookie (HttpOnly,
  SameSite=Strict) or HTTP Basic with the password (Prometheus, scripts). ``/metrics`` and
  ``/api/devices`` stay open to this machine's own loopback clients (the tray, the doctor,
  ``nocturne pair --list``).
- A state-changing request (any method but GET/HEAD, and the WebSocket) must come from the
  page's own origin (``Origin`` = ``http://`` + its Host) and, but the login, carry the CSRF
  token (``X-CSRF-Token``, from GET /api/csrf) of its session.
- The Host header must name the bound address, ``localhost``, a loopback address or this PC:
  a page whose DNS name was rebound to this address sends its own name, and is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from ..config.web_access import SCHEME, is_loopback, parse_hash

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MB, ~50 ms: OWASP's minimum for scrypt
SESSION_COOKIE = "nocturne_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 7 * 24 * 3600.0
MAX_SESSIONS = 64  # the oldest is forgotten first
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_OPEN = ("/metrics", "/api/devices")  # readable by loopback clients without a login


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$16384$8$1$<salt>$<key>`` (base64): what ``web.password_hash`` holds."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(key).decode()}"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * n * 2, dklen=32
    )


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant time)."""
    parsed = parse_hash(stored)
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p), key)


def basic_password(header: str) -> str | None:
    """The password of an HTTP Basic ``Authorization`` header (any user name), or None."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2]


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


def host_name(header: str) -> str:
    """The host of a Host header without its port, lower case (``[::1]:8095`` → ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bound: str, names: Iterable[str], addresses: Iterable[str]) -> frozenset[str]:
    """The Host names a request may carry: the bound address, ``localhost``, this PC's names
    (with ``.local``, mDNS) and, for a wildcard bind, this PC's own addresses."""
    hosts = {"localhost", bound.strip("[]").lower()}
    for name in names:
        name = name.strip().lower()
        if name:
            hosts.update((name, f"{name}.local"))
    hosts.update(a.lower() for a in addresses)
    return frozenset(hosts)


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    if not header:
        return False
    name = host_name(header)
    return name in allowed or is_loopback(name)


def origin_matches(origin: str | None, host_header: str | None) -> bool:
    """Whether ``Origin`` is the page's own: the scheme we serve and the same Host."""
    if not origin or not host_header:
        return False
    return origin.strip().lower() == f"http://{host_header.strip().lower()}"


class Sessions:
    """Logged-in sessions (random ids, in memory: a restart logs everyone out) and the CSRF
    token of each: an HMAC of the session id under a key drawn at start."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._key = secrets.token_bytes(32)
        self._until: OrderedDict[str, float] = OrderedDict()
        self._clock = clock

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        self._until[sid] = self._clock() + SESSION_SECONDS
        while len(self._until) > MAX_SESSIONS:
            self._until.popitem(last=False)
        return sid

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        until = self._until.get(sid)
        if until is None:
            return False
        if until < self._clock():
            del self._until[sid]
            return False
        return True

    def close(self, sid: str | None) -> None:
        if sid:
            self._until.pop(sid, None)

    def csrf_token(self, sid: str | None) -> str:
        """The token a page echoes in X-CSRF-Token; without a password, one per start."""
        mac = hmac.new(self._key, (sid or "").encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def csrf_valid(self, sid: str | None, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(sid), token or "")
