"""Structured logs: one JSON line per event, a stable event name, phone numbers hashed.

Events are logged as ``log.info("webhook.turn", extra={"fields": {...}})`` or with the fields as
``extra`` keys directly; both end up as keys of the line. Message text goes into ``text``,
``reply`` or ``body`` and is dropped when BOT_ENV=production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import ConfigError

KEY_BYTES = 32
_PRIVATE_FIELDS = frozenset({"text", "reply", "body"})
# What every LogRecord carries: anything else on a record came in through `extra`.
_RECORD_ATTRS = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime", "fields"}
)


def user_hash(user_id: str, key: bytes) -> str:
    """A stable, keyed pseudonym for a phone number: the same user always gets the same hash,
    and phone numbers (few enough to enumerate) cannot be recovered without the key."""
    return hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def hash_key(settings: Settings) -> bytes:
    """The key of `user_hash`: derived from the Twilio auth token, which every instance shares;
    without one (development), a random key kept in storage.hash_key_file. A constant key would
    let anyone holding the logs hash every phone number and look the results up."""
    token = settings.twilio.auth_token.strip()
    if token:
        return ("codechat-user:" + token).encode("utf-8")
    return stored_key(settings.path(settings.storage.hash_key_file))


def stored_key(path: Path) -> bytes:
    """The 32-byte key in `path` (hex, mode 0600), created at random on first use."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(KEY_BYTES) + "\n")
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(
            "storage.hash_key_file",
            f"names {path}, which does not hold a key ({KEY_BYTES * 2} hex digits): delete it "
            "and a new one is made (log pseudonyms then change)",
        )
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key


class JsonFormatter(logging.Formatter):
    def __init__(self, *, production: bool) -> None:
        super().__init__()
        self._production = production

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        extra = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            extra.update(fields)
        for key, value in extra.items():
            if key not in entry and not (self._production and key in _PRIVATE_FIELDS):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """JSON lines on stderr for the whole process (called once, by the server entry points), and
    the same lines in ``log_file`` (LOG_FILE) when set, rotated at ``log_file_max_bytes`` with
    ``log_file_backups`` older files kept (bot.log.1, bot.log.2, ...)."""
    formatter = JsonFormatter(production=settings.production)
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stderr)]
    if settings.log_file:
        path = settings.path(settings.log_file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                RotatingFileHandler(
                    path,
                    maxBytes=settings.log_file_max_bytes,
                    backupCount=max(0, settings.log_file_backups),
                    encoding="utf-8",
                )
            )
        except OSError as exc:
            problem = f"cannot be written ({path}): {exc.strerror or exc}"
            raise ConfigError("log_file", problem) from None
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, logging.FileHandler):
            old.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # transitions narrates every state change at INFO: a line per turn that carries no news.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, root.level))
    # The twilio SDK narrates every REST call in free text (URL, headers): its warnings only.
    logging.getLogger("twilio").setLevel(max(logging.WARNING, root.level))
    # The Teams SDK writes each conversation id it posts to at INFO: `outbound.sent` is ours.
    logging.getLogger("microsoft_agents").setLevel(max(logging.WARNING, root.level))
    logging.Formatter.converter = time.gmtime
