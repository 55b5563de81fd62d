"""`message_type` is a MessageType: the kinds the code writes are exactly the ones listed (mypy
refuses a free string where a MessageType is due)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.store.base import MessageType

BOT = Path(__file__).resolve().parents[2] / "bot"


def _named_in_code() -> set[str]:
    """Every ``MessageType.X`` the package names outside the enum itself."""
    named: set[str] = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "MessageType"
            ):
                named.add(node.attr)
    return named


def test_every_message_type_written_is_listed_and_none_listed_is_unwritten() -> None:
    assert _named_in_code() == set(MessageType.__members__)


def test_the_stored_values_are_the_columns_words() -> None:
    assert [m.value for m in MessageType] == [
        "text", "notice", "timeout", "empty", "too_long", "error", "admin", "rate_limited", "shared"
    ]  # fmt: skip
    assert MessageType("rate_limited") is MessageType.RATE_LIMITED
