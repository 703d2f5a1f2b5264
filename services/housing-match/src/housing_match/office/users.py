"""The housing officers' logins and their signed session cookie.

Logins are in a small TOML file (`HUB_OFFICE_USERS_FILE`, default `config/office-users.toml`):
each user has a user name, a display name, the municipality (HER-id) the officer works for, and
the password's scrypt hash (`hashlib.scrypt`; only the hash is stored). A file marked
`development = true` holds the embedded default's documented development logins and is refused
with a server database, as the development token is.

The session is a cookie signed with HMAC-SHA256 (`HUB_OFFICE_SECRET`, or a key derived from the
service's stay secret): user, municipality, a random session id and an expiry. Forms carry a token
derived from the session id (CSRF).

    python -m housing_match.office.users hash     # prints the hash of a password read from stdin
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import secrets
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_DUMMY_SALT = b"office-dummy-salt"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$<n>$<r>$<p>$<salt>$<hash>` (base64url), for the users file."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash. An unknown user (None) costs the same time."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        params = (int(n), int(r), int(p))
        salt_bytes, expected = _unb64(salt), _unb64(digest)
    except ValueError:
        params, salt_bytes, expected = (SCRYPT_N, SCRYPT_R, SCRYPT_P), _DUMMY_SALT, b""
    found = hashlib.scrypt(
        password.encode(),
        salt=salt_bytes,
        n=params[0],
        r=params[1],
        p=params[2],
        dklen=len(expected) or 32,
        maxmem=256 * 1024 * 1024,
    )
    return bool(expected) and hmac.compare_digest(found, expected)


@dataclass(frozen=True)
class OfficeUser:
    username: str
    name: str
    municipality_her: str
    password: str


@dataclass(frozen=True)
class OfficeUsers:
    users: dict[str, OfficeUser]
    billing_tokens: dict[str, str]
    """Per municipality (HER-id): the bearer token the office uses toward billing's API."""
    development: bool = False

    def get(self, username: str) -> OfficeUser | None:
        return self.users.get(username.strip().lower())

    def authenticate(self, username: str, password: str) -> OfficeUser | None:
        user = self.get(username)
        ok = verify_password(password, user.password if user else None)
        return user if ok and user is not None else None


def load_users(path: Path) -> OfficeUsers:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    users = {}
    for entry in data.get("user", []):
        user = OfficeUser(
            username=str(entry["username"]).strip().lower(),
            name=str(entry.get("name") or entry["username"]),
            municipality_her=str(entry["municipality_her"]),
            password=str(entry["password"]),
        )
        users[user.username] = user
    tokens = {
        str(m["her_id"]): str(m["billing_token"])
        for m in data.get("municipality", [])
        if m.get("billing_token")
    }
    return OfficeUsers(users, tokens, development=bool(data.get("development", False)))


# --- the session cookie -----------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    username: str
    municipality_her: str
    session_id: str
    expires: int


class SessionSigner:
    """Signs and reads the session cookie; derives each session's form token."""

    def __init__(self, secret: bytes, lifetime_seconds: int) -> None:
        self._key = hashlib.sha256(b"housing-office-session\x00" + secret).digest()
        self.lifetime = lifetime_seconds

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, user: OfficeUser, now: float | None = None) -> tuple[str, Session]:
        session = Session(
            username=user.username,
            municipality_her=user.municipality_her,
            session_id=secrets.token_urlsafe(16),
            expires=int((now or time.time()) + self.lifetime),
        )
        body = {
            "u": session.username,
            "m": session.municipality_her,
            "s": session.session_id,
            "e": session.expires,
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}", session

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a cookie whose signature holds and that has not expired, else None."""
        if not cookie or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(str(body["u"]), str(body["m"]), str(body["s"]), int(body["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires <= (now or time.time()):
            return None
        return session

    def form_token(self, session: Session) -> str:
        return self._sign(f"csrf|{session.session_id}")

    def check_form_token(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.form_token(session), token or "")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["hash"]:
        print("usage: python -m housing_match.office.users hash  (reads the password)")
        raise SystemExit(2)
    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline()
    print(hash_password(password.rstrip("\n")))


if __name__ == "__main__":
    main()
