"""Local mode's building blocks: Retry-After parsing, backoff, finding the enclosing definition."""

from __future__ import annotations

import email.utils

import pytest

from bot.llm.backoff import backoff_delay, retry_after_seconds
from bot.llm.local import answer_from_hits, enclosing_definition

JS = """import x from "y";

export async function loadTemplate(name, options) {
  // find it
  const path = resolve(name);
  return read(path);
}
"""


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"Retry-After": email.utils.formatdate(1_000_030, usegmt=True)}, 30.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_in_every_form_providers_send(headers: dict[str, str], expected: float | None):
    assert retry_after_seconds(headers, now=lambda: 1_000_000) == expected


def test_backoff_grows_is_capped_and_keeps_half_fixed():
    low = [backoff_delay(n, base=0.5, cap=8, rand=lambda: 0.0) for n in range(1, 8)]
    high = [backoff_delay(n, base=0.5, cap=8, rand=lambda: 1.0) for n in range(1, 8)]
    assert low == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert high == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_delay(1, base=0.5, cap=8, retry_after=3.0) == 3.0


def test_enclosing_definition_outside_python():
    lines = JS.splitlines()
    outline = enclosing_definition(lines, 1, 5)
    assert outline is not None and outline.line == 3
    assert outline.signature == "export async function loadTemplate(name, options) {"


def test_no_enclosing_definition_at_module_level():
    assert enclosing_definition(["import os", "", "X = 1"], 1, 3) is None


def test_no_matches_get_advice_instead_of_an_empty_list():
    text = answer_from_hits("zzz qqq", "demo", [])
    assert "I found nothing in *demo*" in text and "fewer words" in text
