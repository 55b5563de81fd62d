"""docs/flows.schema.json: every shipped flow file validates; typical mistakes do not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.flows.loader import flow_files
from bot.flows.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "flows.schema.json").read_text(encoding="utf-8"))


def plain(value: Any) -> Any:
    """LineMap/LineList as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "path",
    [*flow_files(ROOT / "flows"), *flow_files(ROOT / "docs" / "examples" / "flows")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_shipped_and_documented_flow_file_validates(path: Path) -> None:
    data = plain(load_yaml(path.read_text(encoding="utf-8")))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


@pytest.mark.parametrize(
    "text",
    [
        "flow: a\nstates:\n  s: {sya: hi}\n",  # misspelt key
        "flow: a\nstates:\n  s: {on: [{intent: x}]}\n",  # intent without `to`
        "flow: a\nstates:\n  s: {timeout: {after: soon, to: t}}\n",  # not a duration
        "globals:\n  help: {builtin: hlep}\n",  # unknown builtin
        "messages:\n  fallbak: Eh?\n",  # unknown message
        "flow: a b\nstates:\n  s: {}\n",  # not a name
        "entities:\n  number: {kind: digits}\n",  # unknown entity kind
        "entities:\n  number: number\n",  # not {kind: ...}
        "intents:\n  more: {examples: [more], lable: more results}\n",  # misspelt intent key
    ],
)
def test_typical_mistakes_are_caught(text: str) -> None:
    data = plain(load_yaml(text))
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
