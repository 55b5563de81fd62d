"""YAML that remembers where each mapping and key came from (file:line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml


class LineMap(dict[str, Any]):
    """A mapping from YAML that knows the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]
    value_lines: dict[str, int]  # the line a key's value's text starts on (see text_line)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def text_line_of(self, key: str) -> int:
        """The line the text of ``key``'s value starts on (the key's line if unknown)."""
        lines: dict[str, int] = getattr(self, "value_lines", {})
        return lines.get(key, self.line_of(key))


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]  # the line each item's text starts on (see text_line)


def text_line(node: yaml.Node) -> int:
    """The line a value's text starts on: a block (`say: |` or `say: >-`) starts below its key.
    In a literal block (`|`) line N of the text is that line + N - 1 in the file."""
    below = isinstance(node, yaml.ScalarNode) and node.style in {"|", ">"}
    return node.start_mark.line + 1 + (1 if below else 0)


# libyaml's parser when PyYAML was built with it (about 5x faster); the constructors stay ours.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 booleans: only true/false, so `on:` stays the key "on"; keys
    repeated in one mapping are noted (PyYAML silently keeps the last)."""

    duplicates: list[tuple[str, int, int]]  # (key, line, line of the first)
    braced_keys: list[int]  # lines of keys that are themselves mappings: `say: {{ x }}`

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _map(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    out.value_lines = {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        line = key_node.start_mark.line + 1
        if isinstance(key_node, yaml.MappingNode | yaml.SequenceNode):
            loader.braced_keys.append(line)  # YAML read an unquoted {{ x }} as {{x: null}: null}
        if key in out.key_lines:
            loader.duplicates.append((key, line, out.key_lines[key]))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
        out.value_lines[key] = text_line(value_node)
    return out


def _seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [text_line(child) for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _seq)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A parsed YAML document and what PyYAML accepts but a flow file should not."""

    data: Any
    duplicates: list[tuple[str, int, int]]  # keys repeated in a mapping: (key, line, first line)
    braced_keys: list[int]  # lines where a mapping is used as a key (an unquoted template)


def load_yaml(text: str) -> Any:
    """Parse YAML; mappings become LineMap and sequences LineList. Raises yaml.YAMLError."""
    return load_yaml_checked(text).data


def load_yaml_checked(text: str) -> Loaded:
    """Like ``load_yaml``, with the repeated keys and the keys that are mappings."""
    loader = _Loader(text)
    loader.duplicates = []
    loader.braced_keys = []
    try:
        return Loaded(loader.get_single_data(), loader.duplicates, loader.braced_keys)
    finally:
        loader.dispose()


def line_of(value: Any, default: int = 0) -> int:
    return int(getattr(value, "line", default) or default)
