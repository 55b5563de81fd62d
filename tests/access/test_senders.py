"""One person, one key: however a number is written, sessions and access see the same sender."""

from __future__ import annotations

import pytest

from bot.access.senders import sender_key, user_key


@pytest.mark.parametrize(
    "raw",
    [
        "whatsapp:+15551234567",
        "whatsapp:+1 555 123 4567",
        "WhatsApp:+1 (555) 123-4567",
        "+1 (555) 123-4567",
        "+1.555.123.4567",
        " +15551234567 ",
    ],
)
def test_every_way_of_writing_a_number_is_one_key(raw: str) -> None:
    assert sender_key(raw) == "+15551234567"
    assert user_key(raw) == "+15551234567"


@pytest.mark.parametrize("raw", ["slack:T1:U2", "console:ana", "teams:29:1abc"])
def test_channel_ids_are_kept_as_they_are(raw: str) -> None:
    assert sender_key(raw) == raw
    assert user_key(raw) == raw


def test_a_teams_id_is_one_key_whatever_its_case() -> None:
    raw = "Teams:72F988BF-86F1-41AF-91AB-2D7CD011DB47:6C3B1A32-4C4A-4B8E-9D1E-1F0C2B3A4D5E"
    assert user_key(raw) == sender_key(raw) == raw.lower()
    assert sender_key("slack:T1:U2") == "slack:T1:U2"  # Slack's ids are case-sensitive


def test_a_sender_key_never_fails_and_keeps_what_it_cannot_read() -> None:
    assert sender_key("first-search") == "first-search"
    assert sender_key("+12") == "+12"  # too short for a number: not rewritten
    assert sender_key("+１５５５１２３４５６７") == "+１５５５１２３４５６７"  # not ASCII digits


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("5551234567", "not a phone number in international form"),
        ("+1555", "not a phone number in international form"),
        ("+1555123456789012345", "not a phone number in international form"),
        ("(555) 123-4567", "not a phone number in international form"),
        ("alice", "neither a phone number"),
        ("", "neither a phone number"),
    ],
)
def test_a_user_named_by_a_person_must_be_a_number_or_a_channel_id(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        user_key(raw)
