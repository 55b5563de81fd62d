"""Local mode: useful answers built from search results when no language model is used.

Used when no provider is configured, the user's daily budget is spent, or every provider failed.
Why a turn was answered locally is recorded with the turn and shown on /health; the user is only
told when it concerns them (their daily budget is spent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REASONS: Mapping[str, str] = {
    "no_provider": "no language model is configured",
    "budget": "today's language-model budget for you is used up",
    "failed": "the language models did not answer in time",
    "prompt_error": "a prompt template is broken (see the logs)",
}

_DEF = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+\w+")
_OTHER_DEF = re.compile(
    r"^(\s*)(?:export\s+)?(?:(?:public|private|protected|static|async)\s+)*"
    r"(?:function\s+\w+|class\s+\w+|interface\s+\w+|func\s+\w+|fn\s+\w+)"
)
_DOC_QUOTES = ('"""', "'''")


def honest_note(reason: str) -> str:
    """Said under a local answer when the reason is the user's own; operators' reasons (no
    provider configured, providers down, a broken prompt) belong in /health, not in a chat."""
    if reason != "budget":
        return ""
    return f"_({REASONS['budget']}, so this answer is built from search results.)_"


def with_note(text: str, reason: str) -> str:
    note = honest_note(reason)
    return f"{text}\n\n{note}" if note else text


def location(hit: Mapping[str, Any]) -> str:
    return f"{hit.get('path')}:{hit.get('line')}"


def answer_from_hits(
    question: str, repo: str, hits: Sequence[Mapping[str, Any]], excerpt: str = ""
) -> str:
    """The best matches for a question, each with its location and matching line, and the code
    around the best one."""
    if not hits:
        return (
            f"I found nothing in *{repo}* that matches “{_short(question, 80)}”. "
            "Try a function or class name, or fewer words."
        )
    lines = [f"Best matches in *{repo}* for “{_short(question, 80)}”:"]
    for n, hit in enumerate(hits, start=1):
        symbol = f" (`{hit['symbol']}`)" if hit.get("symbol") else ""
        text = _short(str(hit.get("text", "")), 100)
        lines.append(f"*{n}.* `{location(hit)}`{symbol}\n`{text}`")
        if n == 1 and excerpt:
            lines.append(f"```\n{excerpt}\n```")
    return "\n\n".join(lines)  # what to send next is the flow's to say


@dataclass(frozen=True, slots=True)
class Outline:
    """The definition that encloses a line: its signature, where it starts, its docstring."""

    signature: str
    line: int
    docstring: str


def enclosing_definition(lines: Sequence[str], start: int, target: int) -> Outline | None:
    """The innermost def/class (or function/class/func/fn) around line ``target``.

    ``lines`` are the file's lines from line number ``start``. Python is read by indentation;
    other languages get the nearest definition-looking line above.
    """
    index = target - start
    if not 0 <= index < len(lines):
        return None
    limit = _indent(lines[index]) if lines[index].strip() else 10_000
    for i in range(index, -1, -1):
        text = lines[i]
        match = _DEF.match(text) or _OTHER_DEF.match(text)
        if match and (len(match.group(1)) <= limit or i == index):
            signature, end = _signature(lines, i)
            return Outline(signature, start + i, _docstring(lines, end + 1))
        if text.strip() and i != index:
            limit = min(limit, _indent(text))
    return None


def explain_from_code(
    number: int,
    hit: Mapping[str, Any],
    outline: Outline | None,
    code: str,
    uses: Sequence[Mapping[str, Any]] = (),
) -> str:
    parts = [f"*Result {number}*: `{location(hit)}`"]
    if outline is not None:
        parts.append(f"It is inside this definition ({hit.get('path')}:{outline.line}):")
        parts.append(f"```\n{outline.signature}\n```")
        parts.append(
            f"Its docstring says: {_short(outline.docstring, 600)}"
            if outline.docstring
            else "It has no docstring."
        )
    elif hit.get("symbol"):
        parts.append(f"It belongs to `{hit['symbol']}`.")
    else:
        parts.append("It is at the top level of the file, outside any function or class.")
    if code:
        parts.append(f"The matching code:\n```\n{code}\n```")
    if uses:
        where = ", ".join(f"`{location(u)}`" for u in uses[:3])
        more = f" and {len(uses) - 3} more" if len(uses) > 3 else ""
        parts.append(f"Used or called from {where}{more}.")
    return "\n\n".join(parts)


def defined_name(outline: Outline | None) -> str | None:
    """The name an outline defines: `def render(...)` -> render."""
    if outline is None:
        return None
    found = re.search(r"(?:def|class|function|func|fn|interface)\s+(\w+)", outline.signature)
    return found.group(1) if found else None


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _signature(lines: Sequence[str], first: int) -> tuple[str, int]:
    """The definition's header, joined over its lines until the brackets close; and its end."""
    depth, collected = 0, list[str]()
    for i in range(first, min(first + 15, len(lines))):
        text = lines[i]
        collected.append(text.strip() if collected else text.rstrip())
        depth += text.count("(") + text.count("[") - text.count(")") - text.count("]")
        if depth <= 0:
            return _tidy(" ".join(collected)), i
    return _tidy(" ".join(collected)), first


def _tidy(signature: str) -> str:
    """One line from a signature written over several: no space inside the brackets, no
    trailing comma."""
    signature = re.sub(r"([(\[])\s+", r"\1", signature.strip())
    return re.sub(r",?\s+([)\]])", r"\1", signature)


def _docstring(lines: Sequence[str], after: int) -> str:
    i = after
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return ""
    head = lines[i].strip()
    quote = next((q for q in _DOC_QUOTES if head.lstrip("rbuRBU").startswith(q)), None)
    if quote is None:
        return ""
    body = head.lstrip("rbuRBU")[3:]
    if quote in body:
        return body.split(quote)[0].strip()
    collected = [body]
    for text in lines[i + 1 : i + 40]:
        if quote in text or (not text.strip() and any(c.strip() for c in collected)):
            collected.append(text.split(quote)[0])
            break  # the closing quotes, or the end of the first paragraph
        collected.append(text)
    return " ".join(" ".join(collected).split())


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
