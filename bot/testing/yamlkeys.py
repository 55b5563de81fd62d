"""Key checks for test files that the YAML parser itself does not make.

PyYAML keeps the last of two equal keys in a mapping without a word, so a step with `bot: x` and
then `bot: y` would check only `y`; and a misspelt key deserves the name it was meant to be.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any

import yaml

# libyaml's composer when PyYAML was built with it; only nodes are built, never Python objects.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def repeated_keys(text: str) -> list[tuple[str, int, int]]:
    """Keys repeated in one mapping: (key, line, line of the first), lines from 1.

    Raises yaml.YAMLError on a syntax error, like the parser that reads the cases."""
    root = yaml.compose(text, Loader=_Loader)
    return sorted(_repeats(root), key=lambda found: found[1]) if root is not None else []


def _repeats(root: yaml.Node) -> Iterator[tuple[str, int, int]]:
    seen: set[int] = set()  # anchors and aliases share nodes: visit each once
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                todo.extend((key_node, value_node))
                if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    yield str(key_node.value), line, first[key_node.value]
                else:
                    first[key_node.value] = line
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` is most likely a typo of, if any is close enough."""
    found = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` to append to a message, or nothing when no candidate is close."""
    found = closest(name, candidates)
    return f" (did you mean '{found}'?)" if found else ""
