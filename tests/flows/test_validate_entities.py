"""Flows read entities they declare; a misspelt entity is reported at its line."""

from __future__ import annotations

from pathlib import Path

from bot.flows.loader import load_flows
from bot.flows.validate import validate

FLOW = """\
flow: main
start: ask
states:
  ask:
    say: "Result {{ entities.numbr }}?"
    on:
      - {intent: pick, when: "entities.number > 1", to: ask}
"""
INTENTS = """\
entities:
  number: {kind: number}
intents:
  pick: ["{n}"]
"""


def test_an_undeclared_entity_is_a_problem_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(FLOW)
    (tmp_path / "intents.yaml").write_text(INTENTS)
    flows, problems = load_flows(tmp_path)
    assert flows is not None and not problems
    found = [p for p in validate(flows, actions=set()) if p.code == "unknown_entity"]
    assert len(found) == 1
    assert found[0].line == 5
    assert "unknown entity 'numbr'" in found[0].message and "'number'" in found[0].message


def test_an_entity_without_a_known_kind_is_refused(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(FLOW.replace("numbr", "number"))
    (tmp_path / "intents.yaml").write_text(INTENTS.replace("kind: number", "kind: digits"))
    _flows, problems = load_flows(tmp_path)
    assert any("entity 'number' needs a kind" in p.message for p in problems)


def test_an_intent_about_something_unknown_is_refused_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "main.yaml").write_text(FLOW.replace("numbr", "number"))
    about = '  pick:\n    about: results\n    examples: ["{n}"]'
    intents = INTENTS.replace('  pick: ["{n}"]', about)
    (tmp_path / "intents.yaml").write_text(intents)
    _flows, problems = load_flows(tmp_path)
    found = [p for p in problems if "about must be one of ['page', 'result']" in p.message]
    assert len(found) == 1 and found[0].line == 5
