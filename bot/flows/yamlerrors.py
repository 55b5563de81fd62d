"""PyYAML's errors as a flow author needs them: where the problem starts, and what to do about it.

PyYAML reports where it noticed the problem, which for an unclosed `{` or quote is the end of the
file; its context mark says where the construct began. Its wording is also terse for the two
mistakes flow authors make most: a tab in the indentation, and an unquoted Jinja template
(`say: {{ x }} ...`), which YAML reads as the start of a mapping.
"""

from __future__ import annotations

import re

import yaml

TAB_HINT = "YAML does not allow tabs for indentation; use spaces"
# PyYAML's words (libyaml's and the pure-Python parser's) when a value starting with { is not
# the mapping YAML expects there.
_BRACE_PROBLEMS = (
    "did not find expected key",
    "did not find expected '-' indicator",
    "found unhashable key",
    "expected <block end>",
    "did not find expected ',' or '}'",
    "expected ',' or '}'",
    "while constructing a mapping",
)
_STARTS_HERE = (
    "while parsing a flow",
    "while scanning a quoted scalar",
    "while scanning a simple key",
)
_VALUE_START = re.compile(r"^(?P<lead>\s*(?:-\s+)?(?:[^\s:#{\[][^:#]*:\s+)?)(?P<value>\{.*?)\s*$")


def describe(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """The line to report and the message for a YAML error in ``text``."""
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    found_at = problem_mark.line + 1 if problem_mark is not None else 1
    line = found_at
    message = f"YAML syntax error: {problem}"
    # Where an unclosed bracket or quote (or a key without its colon) began is the line to fix;
    # other contexts start where a whole mapping or block began, often far above the mistake.
    if context_mark is not None and context.startswith(_STARTS_HERE):
        started_at = context_mark.line + 1
        if started_at != found_at:
            line = started_at
            what = context.removeprefix("while parsing ").removeprefix("while scanning ")
            message += f" at line {found_at}, in {what} that starts here"
    lines = text.splitlines()
    hint = _hint(problem, context, lines, problem_mark, {line, found_at})
    return line, f"{message}: {hint}" if hint else message


def template_hint(line_text: str) -> str:
    """How to quote the value on ``line_text`` that starts with { (an unquoted template)."""
    found = _VALUE_START.match(line_text)
    if found is None:
        return 'quote a value that starts with { (a Jinja template): say: "{{ x }} ..."'
    value = found.group("value").replace("\\", "\\\\").replace('"', '\\"')
    example = f'{found.group("lead").strip()} "{value}"'.strip()
    return f"quote a value that starts with {{ (a Jinja template): {example}"


def _hint(
    problem: str, context: str, lines: list[str], mark: yaml.Mark | None, at: set[int]
) -> str:
    marked = lines[mark.line] if mark is not None and 0 <= mark.line < len(lines) else ""
    if "'\\t'" in problem or (mark is not None and marked[mark.column : mark.column + 1] == "\t"):
        return TAB_HINT
    rows = [lines[n - 1] for n in sorted(at) if 0 < n <= len(lines)]
    braced = [row for row in rows if _VALUE_START.match(row)]
    for row in braced:
        if _value(row).startswith(("{{", "{%")):
            return template_hint(row)
    if context == "while scanning a quoted scalar":
        return f"close the quote opened at line {min(at)}"
    if context == "while scanning a simple key":
        return "write a key with a colon after it (key: value)"
    unclosed = context.startswith("while parsing a flow")
    closer = {"mapping": "}", "sequence": "]"}.get(context.rpartition(" ")[2])
    if unclosed and closer and f"'{closer}'" in problem:
        return f"close the {'{' if closer == '}' else '['} opened at line {min(at)} with {closer}"
    if braced and not unclosed and any(p in problem or p in context for p in _BRACE_PROBLEMS):
        return template_hint(braced[0])
    return ""


def _value(row: str) -> str:
    found = _VALUE_START.match(row)
    return found.group("value") if found else ""
