"""One small flow per validation rule: each problem is named, located (file:line) and explained."""

from __future__ import annotations

from tests.flows.conftest import Check, codes

GOOD = """
flow: ask
states:
  question:
    say: "Shall we?"
    on:
      - {intent: yes, to: done}
      - {otherwise: question}
  done:
    say: "Done."
    final: true
"""


def test_a_good_flow_has_no_problems(check: Check) -> None:
    assert check({"ask.yaml": GOOD}) == []


def test_yaml_syntax_error_names_the_line(check: Check) -> None:
    problems = check({"ask.yaml": GOOD, "bad.yaml": "flow: bad\nstates:\n  a: {say: [unclosed\n"})
    (problem,) = problems
    assert problem.file.endswith("bad.yaml") and problem.code == "yaml" and problem.line == 4
    assert "YAML syntax error" in problem.message


def test_unknown_state_key_lists_the_known_ones(check: Check) -> None:
    problems = check({"ask.yaml": GOOD.replace('say: "Done."', 'sya: "Done."\n    say: x')})
    (problem,) = problems
    assert problem.line == 10
    assert "unknown state key 'sya'" in problem.message and "say" in problem.message


def test_first_message_takes_welcome_or_answer(check: Check) -> None:
    (problem,) = check({"ask.yaml": "first_message: reply\n" + GOOD})
    assert problem.line == 1
    assert "'first_message' must be one of: welcome, answer" in problem.message


def test_transition_to_a_missing_state(check: Check) -> None:
    problems = check({"ask.yaml": GOOD.replace("to: done}", "to: dnoe}")})
    (problem,) = [p for p in problems if p.code == "unknown_target"]
    assert problem.line == 7
    assert "'ask.question' goes to unknown state 'ask.dnoe'" in problem.message
    assert (problem.flow, problem.state) == ("ask", "question")


def test_transition_to_a_missing_flow(check: Check) -> None:
    problems = check({"ask.yaml": GOOD.replace("to: done}", "to: other.start}")})
    assert "unknown_target" in codes(problems)


def test_unreachable_state(check: Check) -> None:
    text = GOOD + "  lost:\n    say: nobody comes here\n    final: true\n"
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "unreachable" and problem.line == 12


def test_dead_end_that_is_not_final(check: Check) -> None:
    (problem,) = check({"ask.yaml": GOOD.replace("    final: true\n", "")})
    assert problem.code == "dead_end"
    assert "has no way out" in problem.message


def test_unknown_intent(check: Check) -> None:
    (problem,) = check({"ask.yaml": GOOD.replace("intent: yes", "intent: yse")})
    assert problem.code == "unknown_intent" and "'yse'" in problem.message


def test_unknown_action_lists_the_known_ones(check: Check) -> None:
    text = GOOD.replace('say: "Shall we?"', 'say: "Shall we?"\n    do: [serch]')
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "unknown_action" and "search" in problem.message


def test_unknown_action_argument(check: Check) -> None:
    text = GOOD.replace('say: "Shall we?"', 'say: "Shall we?"\n    do: [{search: {qeury: x}}]')
    problems = [p for p in check({"ask.yaml": text}) if p.code == "unknown_argument"]
    assert len(problems) == 1 and "no argument 'qeury'" in problems[0].message


def test_a_slot_named_like_a_template_variable(check: Check) -> None:
    text = GOOD.replace('say: "Shall we?"', 'say: "Shall we?"\n    do: [{set: {text: x, ok: 1}}]')
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "reserved_slot" and problem.line == 6
    assert "'ask.question' sets slot 'text'" in problem.message


def test_jinja_syntax_error(check: Check) -> None:
    (problem,) = check({"ask.yaml": GOOD.replace('"Shall we?"', '"{{ name "')})
    assert problem.code == "jinja" and "Jinja syntax error" in problem.message


def test_condition_syntax_error(check: Check) -> None:
    text = GOOD.replace("{intent: yes, to: done}", "{intent: yes, when: 'a ==', to: done}")
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "jinja" and "condition 'a =='" in problem.message


def test_template_variable_nothing_sets_suggests_the_close_one(check: Check) -> None:
    text = GOOD.replace('say: "Shall we?"', 'say: "{{ qeury }}?"\n    do: [{set: {query: x}}]')
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "unset_variable" and problem.severity == "warning"
    assert "uses 'qeury', which nothing sets (did you mean 'query'?)" in problem.message


def test_template_variable_set_only_on_another_path(check: Check) -> None:
    text = """
    flow: ask
    states:
      question:
        say: "Shall we?"
        on:
          - {intent: yes, to: named}
          - {intent: no, to: done}
      named:
        do: [{set: {name: Ada}}]
        then: [{to: done}]
      other:
        say: "Hi {{ name }}"
        final: true
      done:
        say: "Bye {{ name }}"
        on: [{otherwise: other}]
    """
    problems = check({"ask.yaml": text})
    # `done` can be reached through `named`, which sets it; `other` only after `done`: fine too.
    assert problems == []
    broken = text.replace("then: [{to: done}]", "then: [{to: other}]").replace(
        "on: [{otherwise: other}]", "final: true"
    )
    (problem,) = check({"ask.yaml": broken})
    assert "'say' of 'ask.done' uses 'name', which no path into this state sets" in (
        problem.message
    )


def test_repeated_key_in_one_file(check: Check) -> None:
    text = GOOD + "  done:\n    say: again\n    final: true\n"
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "duplicate" and problem.line == 12
    assert "'done' is repeated (first at line 9)" in problem.message


def test_duplicate_ids_across_files(check: Check) -> None:
    more = "intents:\n  yes: [ok]\nglobals:\n  help: {builtin: help}\n"
    problems = check({"ask.yaml": GOOD, "again.yaml": GOOD, "more.yaml": more})
    messages = sorted(p.message for p in problems if p.code == "duplicate")
    assert len(messages) == 3
    assert any("flow 'ask' is already declared at" in m for m in messages)
    assert any("intent 'yes' is already declared at" in m for m in messages)
    assert any("global 'help' is already declared at" in m for m in messages)


def test_colliding_intent_examples(check: Check) -> None:
    intents = "intents:\n  yes: [yes please]\n  no: [yes pleas]\n  help: [help]\n"
    text = GOOD.replace("{otherwise: question}", "{intent: no, to: question}")
    (problem,) = check({"ask.yaml": text, "intents.yaml": intents})
    assert problem.code == "intent_collision" and problem.severity == "warning"
    assert "'yes please'" in problem.message and "'yes pleas'" in problem.message


def test_intents_never_matched_together_do_not_collide(check: Check) -> None:
    intents = "intents:\n  yes: [yes please]\n  no: [yes pleas]\n  help: [help]\n"
    assert check({"ask.yaml": GOOD, "intents.yaml": intents}) == []


def test_unknown_engine_message(check: Check) -> None:
    (problem,) = check({"ask.yaml": GOOD, "messages.yaml": "messages:\n  fallbak: Eh?\n"})
    assert problem.code == "unknown_message" and "fallback" in problem.message


def test_timeout_needs_a_duration_and_a_known_target(check: Check) -> None:
    bad_duration = GOOD.replace(
        "    final: true", "    final: true\n    timeout: {after: soon, to: question}"
    )
    (problem,) = check({"ask.yaml": bad_duration})
    assert "duration like 45s, 10m or 2h" in problem.message
    bad_target = GOOD.replace(
        "    final: true", "    final: true\n    timeout: {after: 5m, to: nowhere}"
    )
    (problem,) = check({"ask.yaml": bad_target})
    assert "times out to unknown state 'ask.nowhere'" in problem.message


def test_every_problem_is_reported_at_once(check: Check) -> None:
    text = GOOD.replace("to: done}", "to: dnoe}").replace(
        "{otherwise: question}", "{intent: yse, to: question}"
    )
    text = text.replace('"Shall we?"', '"{{ x "')
    found = set(codes(check({"ask.yaml": text})))
    assert {"jinja", "unknown_intent", "unknown_target", "unreachable"} <= found
