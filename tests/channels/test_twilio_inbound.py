from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.channels.twilio import (
    SignatureChecker,
    inbound_message,
    parse_form,
    split_reply,
    status_callback,
    twiml,
)
from bot.errors import MalformedRequestError

FORM = "application/x-www-form-urlencoded"
TOKEN = "secret-token"
PUBLIC = "https://bot.example.com"


def _form(**fields: str) -> MultiDict[str]:
    return parse_form(urlencode(fields).encode(), FORM)


def test_inbound_message_reads_twilio_fields_and_ignores_unknown_ones() -> None:
    form = _form(
        MessageSid="SM1",
        From="whatsapp:+15551234567",
        To="whatsapp:+14155238886",
        Body="find the router",
        ProfileName="Ada",
        WaId="15551234567",
        NumMedia="0",
        SomethingNew="ignored",
    )
    msg = inbound_message(form)
    assert (msg.message_sid, msg.sender, msg.text, msg.profile_name) == (
        "SM1",
        "+15551234567",
        "find the router",
        "Ada",
    )


def test_a_tapped_button_counts_as_the_text() -> None:
    form = _form(MessageSid="SM1", From="whatsapp:+1", Body="", ButtonPayload="repo:jinja2")
    assert inbound_message(form).text == "repo:jinja2"


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"MessageSid=SM1", "application/json", "expected application/x-www-form-urlencoded"),
        (b"\xff\xfe=1", FORM, "cannot be read"),
        (b"justtext", FORM, "cannot be read"),
    ],
)
def test_malformed_forms_are_refused_with_the_reason(
    body: bytes, content_type: str, problem: str
) -> None:
    with pytest.raises(MalformedRequestError, match=problem):
        parse_form(body, content_type)


def test_a_message_without_sender_or_sid_is_malformed() -> None:
    with pytest.raises(MalformedRequestError, match="no From"):
        inbound_message(_form(MessageSid="SM1", Body="hi"))
    with pytest.raises(MalformedRequestError, match="no MessageSid"):
        inbound_message(_form(From="whatsapp:+1", Body="hi"))
    with pytest.raises(MalformedRequestError, match="NumMedia"):
        inbound_message(_form(MessageSid="SM1", From="whatsapp:+1", NumMedia="x"))


def test_status_callback_needs_sid_and_status() -> None:
    cb = status_callback(_form(MessageSid="SM9", MessageStatus="Delivered"))
    assert (cb.message_sid, cb.status, cb.error_code) == ("SM9", "delivered", None)
    with pytest.raises(MalformedRequestError):
        status_callback(_form(MessageSid="SM9"))


def _check(checker: SignatureChecker, raw_path: str, form: MultiDict[str], sig: str) -> bool:
    return checker.valid(
        raw_path=raw_path,
        seen_origin="http://10.0.0.5:8080",
        form=form,
        signature=sig,
        settings_header="",
    )


def test_signature_uses_the_public_url_and_the_raw_path() -> None:
    form = _form(MessageSid="SM1", From="whatsapp:+1", Body="a b&c")
    raw_path = "/webhook?tenant=a%2Fb"
    sig = RequestValidator(TOKEN).compute_signature(PUBLIC + raw_path, form)
    checker = SignatureChecker(auth_token=TOKEN, public_base_url=PUBLIC + "/")
    assert _check(checker, raw_path, form, sig)
    # The decoded path, or the URL the proxy forwarded to, is not what Twilio signed.
    assert not _check(checker, "/webhook?tenant=a/b", form, sig)
    assert not _check(SignatureChecker(auth_token=TOKEN), raw_path, form, sig)


def test_forged_or_missing_signatures_fail() -> None:
    form = _form(MessageSid="SM1", From="whatsapp:+1", Body="hi")
    checker = SignatureChecker(auth_token=TOKEN, public_base_url=PUBLIC)
    forged = RequestValidator("other-token").compute_signature(PUBLIC + "/webhook", form)
    assert not _check(checker, "/webhook", form, forged)
    assert not _check(checker, "/webhook", form, "")
    assert not _check(checker, "/webhook", form, "ünïcode-signature")
    tampered = _form(MessageSid="SM1", From="whatsapp:+1", Body="hi!")
    good = RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhook", form)
    assert not _check(checker, "/webhook", tampered, good)


def test_without_a_token_verification_is_off() -> None:
    checker = SignatureChecker(auth_token="")
    assert not checker.enabled
    assert _check(checker, "/webhook", _form(MessageSid="SM1"), "")


def test_twiml_escapes_text_and_keeps_part_order() -> None:
    doc = ET.fromstring(twiml(["a < b & c", "second\x00 part"]))
    assert doc.tag == "Response"
    assert [m.text for m in doc.findall("Message")] == ["a < b & c", "second part"]
    assert ET.fromstring(twiml([])).findall("Message") == []


def test_short_replies_are_not_split() -> None:
    assert split_reply("  hello  ", 1600) == ["hello"]
    assert split_reply("   ", 1600) == []


def test_long_replies_split_at_lines_then_sentences_and_lose_nothing() -> None:
    lines = [f"Line {i}: the answer continues here." for i in range(120)]
    text = "\n".join(lines)
    parts = split_reply(text, 1600)
    assert len(parts) > 1
    assert all(len(p) <= 1600 for p in parts)
    assert all(p.endswith("here.") for p in parts)  # cut at line ends, never mid-line
    assert "\n".join(parts) == text

    prose = " ".join(f"Sentence number {i} says something useful." for i in range(100))
    parts = split_reply(prose, 500)
    assert all(len(p) <= 500 and p.endswith(".") for p in parts)
    assert " ".join(parts) == prose


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    parts = split_reply("x" * 25, 10)
    assert parts == ["x" * 10, "x" * 10, "x" * 5]


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"    value_{i} = compute({i})" for i in range(80))
    text = f"Here is the code:\n```\n{code}\n```\nThat is all."
    parts = split_reply(text, 600)
    assert len(parts) > 2
    assert all(len(p) <= 600 for p in parts)
    assert all(p.count("```") % 2 == 0 for p in parts)
    assert parts[1].startswith("```")


def test_a_tapped_quick_reply_is_its_value_not_the_label_shown() -> None:
    form = _form(MessageSid="SM2", From="whatsapp:+1", Body="Switch repository", ButtonPayload="2")
    assert inbound_message(form).text == "2"


def test_a_list_picker_reply_is_the_item_id() -> None:
    form = _form(MessageSid="SM3", From="whatsapp:+1", Body="jinja2", ListId="2", ListTitle="x")
    assert inbound_message(form).text == "2"
