"""No dashboard page can show a whole number: senders and numbers in texts are masked."""

from __future__ import annotations

import pytest

from bot.analytics.masking import mask_text, mask_user


@pytest.mark.parametrize(
    ("user", "shown"),
    [
        ("+15551234567", "…4567"),
        ("whatsapp:+15551234567", "…4567"),
        ("slack:U0123ABCDEF", "…CDEF"),
        ("1234", "…"),  # its last four would be all of it
        ("", "…"),
        ("  +447700900123  ", "…0123"),
    ],
)
def test_senders_show_their_last_four(user: str, shown: str) -> None:
    assert mask_user(user) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("call me on +1 (555) 123-4567 please", "call me on …4567 please"),
        ("07700 900123 or 07700-900124", "…0123 or …0124"),
        ("card 4111 1111 1111 1111", "card …1111"),
        ("+15551234567,+15557654321", "…4567,…4321"),
        ("line 42 of 2024, result 3", "line 42 of 2024, result 3"),  # short numbers are kept
        ("open 12345", "open 12345"),
    ],
)
def test_numbers_in_texts_are_masked(text: str, shown: str) -> None:
    assert mask_text(text) == shown
