"""Microsoft Teams activities in: parsed with the Agents SDK's Activity model into one message.

The sender is ``teams:<tenant id>:<Microsoft Entra object id>``: the same person in another
tenant, or on WhatsApp, is another conversation. A tap on an Adaptive Card button
(bot/channels/teams_render.py) arrives as a message whose ``value`` carries the choice's value,
which is then the message's text, exactly as if it had been typed. Only a personal chat
(conversationType "personal") is one-to-one; a channel or group chat is marked shared.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.engine.turn import clean_text
from bot.errors import MalformedRequestError

CHANNEL_ID = "msteams"
CHOICE_KEY = "choice"  # the key of an Action.Submit's data that holds the choice's value
MAX_CHOICE_CHARS = 200
PERSONAL = "personal"  # a one-to-one chat; "channel" and "groupChat" are shared
_MENTION = re.compile(r"<at>[^<]*</at>", re.I)
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")


@dataclass(frozen=True, slots=True)
class TeamsMessage:
    user_id: str  # teams:<tenant>:<aad object id>
    text: str
    message_key: str  # the dedupe key of this activity (its id within its conversation)
    conversation_id: str
    service_url: str
    reply_to_id: str
    user_name: str
    account_id: str  # the sender as the conversation knows them (29:...), the reply's recipient
    bot_id: str  # the bot as the conversation knows it (28:...), the reply's sender
    media: int  # attachments other than the text's own HTML copy
    tapped: bool  # the text came from a card button
    shared: bool = False  # a channel or group chat: others may read the reply (direct.py)


def parse_activity(body: bytes) -> Activity:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedRequestError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequestError("the body is not a JSON object")
    try:
        return Activity.model_validate(data)
    except ValidationError as exc:
        errors = exc.error_count()
        raise MalformedRequestError(f"not a Bot Framework activity ({errors} errors)") from None


def channel_of(activity: Activity) -> str:
    return str(activity.channel_id or "")


def teams_message(activity: Activity) -> TeamsMessage | None:
    """The message this activity carries; None for activities that ask nothing (members
    added, typing, reactions...). MalformedRequestError when a message lacks what it needs."""
    if activity.type != "message":
        return None
    if channel_of(activity) != CHANNEL_ID:
        raise MalformedRequestError(f"channel {channel_of(activity)!r} is not Microsoft Teams")
    sender = activity.from_property
    conversation = activity.conversation
    if sender is None or conversation is None or not activity.id or not activity.service_url:
        raise MalformedRequestError("a message needs id, from, conversation and serviceUrl")
    tenant = _tenant(activity)
    person = sender.aad_object_id or ""
    if not _ID.fullmatch(tenant) or not _ID.fullmatch(person):
        raise MalformedRequestError("a message needs the sender's tenant and aadObjectId")
    tapped, text = _text(activity)
    attachments = activity.attachments or []
    media = sum(1 for a in attachments if a.content_type != "text/html")
    return TeamsMessage(
        user_id=f"teams:{tenant.lower()}:{person.lower()}",
        text=text,
        message_key=_message_key(conversation.id, activity.id),
        conversation_id=conversation.id,
        service_url=activity.service_url,
        reply_to_id=activity.id,
        user_name=sender.name or "",
        account_id=sender.id,
        bot_id=activity.recipient.id if activity.recipient is not None else "",
        media=media,
        tapped=tapped,
        shared=conversation.conversation_type != PERSONAL,
    )


def _tenant(activity: Activity) -> str:
    data = activity.channel_data
    tenant = data.get("tenant") if isinstance(data, dict) else None
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return str(tenant["id"])
    conversation = activity.conversation
    return (conversation.tenant_id if conversation is not None else None) or ""


def _text(activity: Activity) -> tuple[bool, str]:
    value = activity.value
    if isinstance(value, dict) and CHOICE_KEY in value:
        choice = value[CHOICE_KEY]
        if not isinstance(choice, str) or not choice.strip() or len(choice) > MAX_CHOICE_CHARS:
            raise MalformedRequestError("a card submit's choice must be a short text")
        return True, clean_text(choice)
    return False, clean_text(_MENTION.sub("", activity.text or ""))


def _message_key(conversation_id: str, activity_id: str) -> str:
    """Teams activity ids are unique within their conversation only."""
    digest = hashlib.sha256(f"{conversation_id}\n{activity_id}".encode()).hexdigest()
    return f"teams:{digest[:40]}"
