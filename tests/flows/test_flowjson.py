"""The flow cache keeps a loaded FlowSet as JSON: it comes back equal, of the same types, with
the lines the YAML mappings and lists carry; nothing but the flow model is ever built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.flows.flowjson import NotEncodable, decode, encode
from bot.flows.loader import load_flows
from bot.flows.yamlsrc import LineList, LineMap

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [ROOT / "flows", ROOT / "tests/flows/broken"]  # the second has an unreadable file


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal, and of the same type all the way down (and the same line attributes)."""
    assert type(a) is type(b), where
    assert a == b, where
    if isinstance(a, LineMap | LineList):
        assert vars(a) == vars(b), where
    if isinstance(a, dict):
        for key in a:
            same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list | tuple):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{n}]")
    elif hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            same(getattr(a, name), getattr(b, name), f"{where}.{name}")


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_loaded_flows_round_trip(folder: Path) -> None:
    flows, problems = load_flows(folder, base=ROOT)
    assert flows is not None
    for value in (flows, problems):
        same(decode(json.loads(json.dumps(encode(value)))), value)


def test_lines_of_yaml_values_round_trip() -> None:
    mapping = LineMap({"a": LineList([1, 2.5, "x", None, True]), 3: (1, 2)})
    mapping.line, mapping.key_lines = 7, {"a": 8}
    items = mapping["a"]
    items.line, items.item_lines = 8, [8, 9, 10, 11, 12]
    same(decode(json.loads(json.dumps(encode(mapping)))), mapping)


def test_nothing_else_is_kept_or_built() -> None:
    with pytest.raises(NotEncodable):
        encode({"a": object()})
    with pytest.raises(ValueError, match="not a class"):
        decode({"c": "Popen", "f": {}})
    with pytest.raises(ValueError):
        decode({"x": 1})
