"""A Teams activity read into one message: who sent it, what they said or tapped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.teams import parse_activity, teams_message
from bot.errors import MalformedRequestError
from tests.channels.fake_teams import TENANT, activity

SERVICE = "https://smba.trafficmanager.net/amer/"


def read(body: dict[str, Any]) -> Any:
    return teams_message(parse_activity(json.dumps(body).encode()))


def test_the_sender_is_keyed_by_tenant_and_object_id_in_lower_case() -> None:
    message = read(activity("hi", service_url=SERVICE, aad_object_id="6C3B1A32-AAAA"))
    assert message.user_id == f"teams:{TENANT}:6c3b1a32-aaaa"
    assert (message.text, message.media, message.tapped) == ("hi", 0, False)
    assert message.service_url == SERVICE
    assert message.bot_id.startswith("28:") and message.account_id == "29:1abcUserId"


def test_the_tenant_comes_from_the_conversation_when_channel_data_has_none() -> None:
    body = activity("hi", service_url=SERVICE)
    body["channelData"] = {}
    assert read(body).user_id.startswith(f"teams:{TENANT}:")


def test_a_mention_of_the_bot_in_a_channel_is_not_part_of_the_text() -> None:
    body = activity("<at>codechat</at> where is make_router defined", service_url=SERVICE)
    assert read(body).text == "where is make_router defined"


def test_a_card_tap_is_the_choice_value() -> None:
    message = read(activity(service_url=SERVICE, value={"choice": "open 2"}))
    assert (message.text, message.tapped) == ("open 2", True)


def test_files_are_counted_but_not_the_texts_own_html_copy() -> None:
    body = activity("look", service_url=SERVICE)
    body["attachments"].append({"contentType": "image/png", "contentUrl": "https://x/y.png"})
    assert read(body).media == 1


def test_the_same_activity_id_in_two_conversations_is_two_messages() -> None:
    one = read(activity("a", service_url=SERVICE, activity_id="17", conversation_id="a:1"))
    two = read(activity("a", service_url=SERVICE, activity_id="17", conversation_id="a:2"))
    again = read(activity("b", service_url=SERVICE, activity_id="17", conversation_id="a:1"))
    assert one.message_key != two.message_key and one.message_key == again.message_key


def test_activities_that_ask_nothing_are_none() -> None:
    assert read(activity(kind="conversationUpdate", service_url=SERVICE)) is None
    assert read(activity(kind="typing", service_url=SERVICE)) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"from": {"id": "29:x"}}, "aadObjectId"),
        ({"from": {"id": "29:x", "aadObjectId": "../../etc"}}, "aadObjectId"),
        ({"id": None}, "needs id"),
        ({"value": {"choice": "x" * 201}}, "short text"),
        ({"value": {"choice": ""}}, "short text"),
    ],
)
def test_a_message_without_what_it_needs_is_malformed(change: dict[str, Any], reason: str) -> None:
    body = {**activity("hi", service_url=SERVICE), **change}
    if body.get("id") is None:
        body.pop("id")
    with pytest.raises(MalformedRequestError, match=reason):
        read(body)
