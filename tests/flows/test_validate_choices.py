"""`choices:` on a state: each entry needs a label and a value; templates and conditions parse."""

from __future__ import annotations

from tests.flows.conftest import Check

FLOW = """
flow: ask
states:
  question:
    say: "Shall we?"
    choices:
{choices}
    on:
      - {{intent: yes, to: done}}
      - {{otherwise: question}}
  done:
    say: "Done."
    final: true
"""


def flow(*choices: str) -> dict[str, str]:
    return {"ask.yaml": FLOW.format(choices="\n".join("      - " + c for c in choices))}


def test_static_and_repeated_choices_are_fine(check: Check) -> None:
    problems = check(
        flow(
            '{label: "Yes", value: "yes"}',
            '{for: "r in repos", label: "{{ r.name }}", value: "{{ r.n }}", when: "r.n < 4"}',
        )
    )
    assert problems == []


def test_a_choice_without_a_value_is_reported_at_its_line(check: Check) -> None:
    (problem,) = check(flow('{label: "Yes"}'))
    assert problem.code == "invalid" and problem.line == 7
    assert problem.message == "a 'choices' entry needs 'label' and 'value'"
    assert problem.state == "question"


def test_an_unknown_key_is_reported(check: Check) -> None:
    (problem,) = check(flow('{label: "Yes", value: "yes", tap: "y"}'))
    assert problem.code == "invalid" and "unknown 'choices' key 'tap'" in problem.message


def test_a_for_that_is_not_name_in_list_is_reported(check: Check) -> None:
    (problem,) = check(flow('{for: "repos", label: "{{ r.name }}", value: "{{ r.n }}"}'))
    assert problem.code == "invalid"
    assert "'for' must read 'NAME in LIST'" in problem.message


def test_broken_templates_and_conditions_are_reported(check: Check) -> None:
    problems = check(
        flow(
            '{label: "{{ name | upperr }}", value: "yes"}',
            '{label: "No", value: "{{ no", when: "x =="}',
        )
    )
    messages = sorted(p.message for p in problems)
    assert {p.code for p in problems} == {"jinja"}
    assert any("'label' of a choice of 'ask.question'" in m and "upperr" in m for m in messages)
    assert any("'value' of a choice of 'ask.question'" in m for m in messages)
    assert any(m.startswith("condition 'x =='") for m in messages)


def test_choices_must_be_a_list(check: Check) -> None:
    problems = check({"ask.yaml": FLOW.format(choices="").replace("choices:\n", "choices: yes\n")})
    assert [p.message for p in problems] == ["'choices' must be a list of entries"]
