"""Slack's Events API and interactivity requests: the signature, and what a request says.

Every request carries ``X-Slack-Signature`` (``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<body>``
with the app's Signing Secret) and ``X-Slack-Request-Timestamp``; one older than five minutes is
refused, so a captured request cannot be replayed. The check is slack-sdk's own
``SignatureVerifier``. The bot answers DMs (with a file or not) and @mentions in channels (in the
mention's thread; a mention, or a button tapped outside a DM, is marked shared: it gets no
repository content, bot/channels/direct.py); it ignores its own messages and every other bot's.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from bot.errors import MalformedRequestError

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
RETRY_HEADER = "X-Slack-Retry-Num"
REPLAY_WINDOW_SECONDS = 300
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
_SPACES = re.compile(r"[ \t]+")
_SPECIAL = re.compile(r"<[!#@][^>|]*(?:\|([^>]*))?>")
_READ_SUBTYPES = {"file_share", "thread_broadcast"}  # messages still; other subtypes are not
DM_PREFIX = "D"  # the ids of direct-message channels (C... channels, G... private ones)


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class SlackSignature:
    def __init__(self, *, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))

    def valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Signed with our secret within the last five minutes (slack-sdk's check); a
        timestamp that is not a number is refused, not raised."""
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        if not timestamp.strip().isdigit():
            return False
        return self._verifier.is_valid(body, timestamp, headers.get(SIGNATURE_HEADER, ""))


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One thing a person said to the bot: a DM, an @mention, or a button they tapped."""

    claim_id: str  # what dedupe claims: the event's id, or the tap's trigger
    team: str
    user: str
    channel: str
    text: str
    thread_ts: str | None  # where the reply goes: the mention's thread; None in a DM
    shared: bool = False  # a channel (or a tap outside a DM): others may read the reply
    media: int = 0  # files attached to the message

    @property
    def user_id(self) -> str:
        """The key of sessions, history, rate limits and access: slack:<team>:<user>."""
        return f"slack:{self.team}:{self.user}"


def load_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequestError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedRequestError("the body is not a JSON object")
    return data


def event_message(envelope: Mapping[str, Any]) -> SlackMessage | None:
    """The message of an ``event_callback`` that is for the bot, else None (another bot's, our
    own, an edit or a join, a channel message without a mention, an event type not used)."""
    event = envelope.get("event")
    if not isinstance(event, dict):
        raise MalformedRequestError("an event_callback without an event")
    kind = event.get("type")
    if event.get("bot_id") or event.get("bot_profile"):
        return None  # bots, ours included
    if event.get("subtype") and event.get("subtype") not in _READ_SUBTYPES:
        return None  # edits, joins, deletions
    if event.get("user") in _bot_users(envelope):
        return None
    if kind == "message" and event.get("channel_type") == "im":
        thread = event.get("thread_ts")  # a DM answered in the thread it was written in
    elif kind == "app_mention":
        thread = event.get("thread_ts") or event.get("ts")
    else:
        return None
    files = event.get("files")
    return SlackMessage(
        claim_id=f"slack:{_text(envelope, 'event_id')}",
        team=_team(envelope, event),
        user=_text(event, "user"),
        channel=_text(event, "channel"),
        text=plain_text(str(event.get("text") or "")),
        thread_ts=str(thread) if thread else None,
        shared=kind != "message",
        media=len(files) if isinstance(files, list) else 0,
    )


def action_message(form: bytes) -> SlackMessage | None:
    """The choice tapped in a ``block_actions`` payload (its value, as if typed); None for
    other interactions."""
    try:
        fields = parse_qs(form.decode("utf-8"), strict_parsing=True)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequestError(f"the form cannot be read: {exc}") from None
    raw = fields.get("payload")
    if not raw:
        raise MalformedRequestError("the form has no payload")
    payload = load_json(raw[0].encode())
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise MalformedRequestError("block_actions without actions")
    value = actions[0].get("value")
    if not isinstance(value, str) or not value.strip():
        return None  # not one of our choice buttons
    user, channel = _object(payload, "user"), _object(payload, "channel")
    container, team = _object(payload, "container"), _object(payload, "team")
    thread = container.get("thread_ts")
    where = _text(channel, "id") if channel else _text(container, "channel_id")
    return SlackMessage(
        claim_id=f"slack-tap:{_text(payload, 'trigger_id')}",
        team=str(team.get("id") or user.get("team_id") or ""),
        user=_text(user, "id"),
        channel=where,
        text=value.strip(),
        thread_ts=str(thread) if thread else None,
        shared=not where.startswith(DM_PREFIX),
    )


def plain_text(text: str) -> str:
    """What the person typed, from Slack's markup: mentions dropped, links as their address,
    &amp; &lt; &gt; unescaped."""
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: m.group(1) or "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _SPACES.sub(" ", text).strip()


def _bot_users(envelope: Mapping[str, Any]) -> set[str]:
    authorizations = envelope.get("authorizations")
    if not isinstance(authorizations, list):
        return set()
    return {
        str(a["user_id"])
        for a in authorizations
        if isinstance(a, dict) and a.get("is_bot") and a.get("user_id")
    }


def _object(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _team(envelope: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    team = event.get("team") or envelope.get("team_id")
    if not isinstance(team, str) or not team:
        raise MalformedRequestError("the event names no team")
    return team


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedRequestError(f"the request has no {name}")
    return value
