"""The language-model actions say which slots they set, so a misspelt variable after one of them
is still warned about (an action that "may set anything" would hide it)."""

from __future__ import annotations

from tests.flows.conftest import Check

CLASSIFY = """
flow: ask
states:
  question:
    say: "What is it about?"
    on:
      - {otherwise: sort}
  sort:
    do:
      - classify: {intents: [billing, bugs], slot: topic}
    say: "{{ topic }}"
    on:
      - {otherwise: question}
"""


def test_classify_sets_the_slot_its_argument_names(check: Check) -> None:
    assert check({"ask.yaml": CLASSIFY}) == []
    (problem,) = check({"ask.yaml": CLASSIFY.replace('"{{ topic }}"', '"{{ topik }}"')})
    assert problem.code == "unset_variable" and problem.line == 11
    assert "uses 'topik', which nothing sets (did you mean 'topic'?)" in problem.message


def test_classify_without_a_slot_sets_intent_and_nothing_else(check: Check) -> None:
    text = CLASSIFY.replace(", slot: topic", "")
    (problem,) = check({"ask.yaml": text})
    assert "uses 'topic', which nothing sets" in problem.message


def test_classify_into_a_slot_named_at_run_time_may_set_anything(check: Check) -> None:
    text = CLASSIFY.replace("slot: topic", "slot: \"{{ 'to' ~ 'pic' }}\"")
    assert check({"ask.yaml": text}) == []


def test_answer_question_sets_the_search_slots_and_explain_result_none(check: Check) -> None:
    text = """
    flow: ask
    states:
      question:
        say: "Ask away."
        on:
          - {otherwise: answer}
      answer:
        do: [answer_question, explain_result]
        say: "{{ total }} matches for {{ query }}; {{ explanation }}"
        on:
          - {otherwise: question}
    """
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "unset_variable" and problem.line == 10
    assert "uses 'explanation', which nothing sets" in problem.message
