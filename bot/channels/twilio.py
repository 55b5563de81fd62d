"""Twilio's WhatsApp webhook: read the form, check the signature, answer in TwiML, split replies.

The outbound REST sender lives in twilio_rest.py.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from multidict import MultiDict, MultiDictProxy
from twilio.request_validator import RequestValidator, get_signature_algorithm

from bot.access.senders import sender_key
from bot.channels.twilio_fields import check_inbound_numbers, error_code
from bot.errors import MalformedRequestError

FORM_TYPE = "application/x-www-form-urlencoded"
SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

Form = MultiDict[str] | MultiDictProxy[str]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One WhatsApp message as Twilio posts it (unknown fields are ignored)."""

    message_sid: str
    sender: str  # the sender key: Twilio's "whatsapp:+15551234567" becomes "+15551234567"
    to: str  # our number, "whatsapp:+14155238886"
    body: str
    profile_name: str = ""
    wa_id: str = ""
    num_media: int = 0
    button_payload: str = ""

    @property
    def text(self) -> str:
        """What the user said: the choice they tapped (its value: the body is only the label
        they saw), else the body."""
        return self.button_payload or self.body

    def pending(self) -> dict[str, Any]:
        """What must be kept to redo the turn and send its reply (sid and sender are kept
        beside it)."""
        return {
            "to": self.to,
            "body": self.body,
            "profile_name": self.profile_name,
            "wa_id": self.wa_id,
            "num_media": self.num_media,
            "button_payload": self.button_payload,
        }

    @classmethod
    def from_pending(cls, message_sid: str, sender: str, kept: dict[str, Any]) -> InboundMessage:
        return cls(
            message_sid=message_sid,
            sender=sender,
            to=str(kept.get("to", "")),
            body=str(kept.get("body", "")),
            profile_name=str(kept.get("profile_name", "")),
            wa_id=str(kept.get("wa_id", "")),
            num_media=int(kept.get("num_media", 0)),
            button_payload=str(kept.get("button_payload", "")),
        )


@dataclass(frozen=True, slots=True)
class StatusCallback:
    message_sid: str
    status: str
    error_code: str | None = None


def parse_form(body: bytes, content_type: str) -> MultiDict[str]:
    """The urlencoded form Twilio posts; MalformedRequestError when it is not one."""
    if content_type != FORM_TYPE:
        raise MalformedRequestError(f"expected {FORM_TYPE}, got {content_type or 'no type'}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequestError(f"the form cannot be read: {exc}") from None
    form: MultiDict[str] = MultiDict()
    if not text:
        return form
    # urllib's parse_qsl, minus its generality: this runs once per message.
    for pair in text.split("&"):
        name, eq, value = pair.partition("=")
        if not eq:
            raise MalformedRequestError(f"the form cannot be read: bad field {pair[:40]!r}")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        form.add(name, value)
    return form


def _field(form: Form, name: str) -> str:
    value = form.get(name)
    if not value:
        raise MalformedRequestError(f"the form has no {name}")
    return value


def inbound_message(form: Form) -> InboundMessage:
    num_media = check_inbound_numbers(form)
    return InboundMessage(
        message_sid=_field(form, "MessageSid"),
        sender=sender_key(_field(form, "From")),
        to=form.get("To", ""),
        body=form.get("Body", ""),
        profile_name=form.get("ProfileName", ""),
        wa_id=form.get("WaId", ""),
        num_media=num_media,
        # A quick-reply button's id, or a list-picker item's: the choice's value.
        button_payload=form.get("ButtonPayload", "") or form.get("ListId", ""),
    )


def status_callback(form: Form) -> StatusCallback:
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if not sid or not status:
        raise MalformedRequestError("a status callback needs MessageSid and MessageStatus")
    return StatusCallback(sid, status.lower(), error_code(form))


class SignatureChecker:
    """Checks X-Twilio-Signature against the public URL Twilio called.

    The URL is the configured public base URL plus the raw path and query: behind a TLS proxy the
    URL aiohttp sees is not the one Twilio signed, and a decoded path breaks the signature.
    """

    def __init__(self, *, auth_token: str, public_base_url: str = "") -> None:
        self._validator = RequestValidator(auth_token) if auth_token else None
        self._base = public_base_url.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self._validator is not None

    def url(self, raw_path: str, seen_origin: str) -> str:
        return (self._base or seen_origin.rstrip("/")) + raw_path

    def valid(
        self, *, raw_path: str, seen_origin: str, form: Form, signature: str, settings_header: str
    ) -> bool:
        if self._validator is None:
            return True
        if not signature:
            return False
        url = self.url(raw_path, seen_origin)
        if not settings_header:
            # The common case costs one HMAC; validate() below tries two URL variants (with and
            # without the default port) and the SHA-256 signatures of shared keys.
            expected = self._validator.compute_signature(url, form)
            if hmac.compare_digest(expected.encode(), signature.encode()):
                return True
        algorithm = get_signature_algorithm(settings_header)
        return bool(self._validator.validate(url, form, signature, algorithm))


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    text = _XML_INVALID.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def twiml(parts: list[str] | tuple[str, ...]) -> str:
    """A MessagingResponse with one <Message> per part, in order; no parts: <Response/>."""
    if not parts:
        return EMPTY_TWIML
    messages = "".join(f"<Message>{_xml_text(p)}</Message>" for p in parts)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{messages}</Response>'


_FENCE = "```"
# Where a part may end, best first: a paragraph, a line, a sentence, a word.
_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…](?=\s)"),
    re.compile(r"\s"),
)


def split_replies(replies: Sequence[str], limit: int) -> list[str]:
    """Every reply of a turn, each split into parts of at most ``limit`` characters, in order."""
    return [part for reply in replies for part in split_reply(reply, limit)]


def split_reply(text: str, limit: int) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters at line or sentence boundaries.

    A code fence left open at a cut is closed there and reopened in the next part, so WhatsApp
    keeps formatting the code.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    room = limit - len(_FENCE) - 1 if _FENCE in text else limit
    if room < 1:
        raise ValueError(f"limit {limit} is too small to split a reply")
    parts: list[str] = []
    carry = ""
    while text:
        text = carry + text
        if len(text) <= limit:
            parts.append(text)
            break
        cut = _cut_at(text, room)
        part, text = text[:cut].rstrip(), text[cut:].lstrip()
        carry = ""
        if part.count(_FENCE) % 2:
            part += "\n" + _FENCE
            carry = _FENCE + "\n"
        parts.append(part)
    return parts


def _cut_at(text: str, room: int) -> int:
    window = text[: room + 1]
    for pattern in _BREAKS:
        ends = [m.end() for m in pattern.finditer(window) if 0 < m.end() <= room]
        # A boundary in the first third would leave a tiny part: look for a weaker one further on.
        if ends and ends[-1] > room // 3:
            return ends[-1]
    return room
