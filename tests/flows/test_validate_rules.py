"""One small flow per validation rule: each problem is named, located (file:line) and explained."""

from __future__ import annotations

from pathlib import Path

from tests.flows.conftest import INTENTS, Check, codes

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


def test_yaml_syntax_error_names_the_line_where_the_problem_starts(check: Check) -> None:
    problems = check({"ask.yaml": GOOD, "bad.yaml": "flow: bad\nstates:\n  a: {say: [unclosed\n"})
    (problem,) = problems
    assert problem.file.endswith("bad.yaml") and problem.code == "yaml" and problem.line == 3
    assert "YAML syntax error" in problem.message
    assert "close the [ opened at line 3 with ]" in problem.message


def test_a_tab_in_the_indentation(check: Check) -> None:
    problems = check({"ask.yaml": GOOD.replace("    final: true", "\tfinal: true")})
    (problem,) = [p for p in problems if p.severity == "error"]
    assert problem.code == "yaml" and problem.line == 11
    assert problem.message.endswith("YAML does not allow tabs for indentation; use spaces")


def test_an_unquoted_template_value(check: Check) -> None:
    hint = 'quote a value that starts with { (a Jinja template): say: "{{ name }} is done"'
    problems = check({"ask.yaml": GOOD.replace('say: "Done."', "say: {{ name }} is done")})
    (problem,) = [p for p in problems if p.severity == "error"]
    assert problem.code == "yaml" and problem.line == 10
    assert problem.message.endswith(hint)
    # A whole value in braces is valid YAML (a mapping in a mapping), never what was meant.
    (problem,) = check({"ask.yaml": GOOD.replace('say: "Done."', "say: {{ name }}")})
    assert problem.code == "yaml" and problem.line == 10
    assert problem.message.endswith('say: "{{ name }}"')


def test_an_empty_file_is_a_warning(check: Check) -> None:
    (problem,) = check({"ask.yaml": GOOD, "later.yaml": "# to do\n"})
    assert problem.file.endswith("later.yaml") and problem.line == 1
    assert problem.code == "empty" and problem.severity == "warning"
    assert problem.message.startswith("empty file")


def test_a_file_that_is_not_text(check: Check, tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "logo.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff")
    problems = check({"ask.yaml": GOOD})
    (problem,) = [p for p in problems if p.severity == "error"]
    assert problem.file.endswith("logo.yaml") and problem.code == "not_text"
    assert "not a text (UTF-8) file" in problem.message


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
    assert "'ask.question' goes to unknown state 'ask.dnoe' (did you mean 'ask.done'?)" in (
        problem.message
    )
    assert (problem.flow, problem.state) == ("ask", "question")


def test_entry_to_a_missing_state_is_reported_where_entry_is_written(check: Check) -> None:
    intents = INTENTS + "entry: ask.questoin\n"
    (problem,) = check({"ask.yaml": GOOD, "intents.yaml": intents})
    assert problem.file.endswith("intents.yaml") and problem.line == 8
    assert problem.code == "unknown_target"
    assert "entry state 'ask.questoin' does not exist (did you mean 'ask.question'?)" in (
        problem.message
    )


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
    assert problem.code == "unknown_intent"
    assert "uses unknown intent 'yse' (did you mean 'yes'?)" in problem.message


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


def test_unknown_jinja_filter_names_the_line_and_the_close_one(check: Check) -> None:
    text = GOOD.replace('say: "Done."', "say: |\n      Done.\n      {{ text | upperr }}")
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "jinja" and problem.line == 12
    assert "'say' of 'ask.done': unknown filter 'upperr' (did you mean 'upper'?)" in (
        problem.message
    )


def test_unknown_jinja_test_in_a_condition(check: Check) -> None:
    text = GOOD.replace("{intent: yes, to: done}", "{intent: yes, when: text is nmber, to: done}")
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "jinja" and problem.line == 7
    assert "condition 'text is nmber': unknown test 'nmber' (did you mean 'number'?)" in (
        problem.message
    )


def test_unknown_filter_named_inside_map(check: Check) -> None:
    text = GOOD.replace('"Shall we?"', "\"{{ repos | map('uper') | join }}\"")
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "jinja" and "unknown filter 'uper'" in problem.message


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


def test_then_that_comes_back_to_its_own_state(check: Check) -> None:
    text = GOOD + "  route:\n    then: [{to: route}]\n"
    text = text.replace("{otherwise: question}", "{otherwise: route}")
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "then_loop" and problem.line == 13
    assert "'then' of 'ask.route' comes back without waiting for a message" in problem.message
    assert "(ask.route -> ask.route)" in problem.message


def test_a_cycle_of_then_entries(check: Check) -> None:
    text = GOOD.replace("{otherwise: question}", "{otherwise: one}") + (
        "  one:\n    then: [{when: \"text == 'x'\", to: done}, {to: two}]\n"
        "  two:\n    then: [{to: one}]\n"
    )
    (problem,) = check({"ask.yaml": text})
    assert problem.code == "then_loop"
    assert "(ask.one -> ask.two -> ask.one) when none of the 'when' entries" in problem.message
    # An action on the way may change what the conditions see: not surely a loop.
    paging = text.replace("  two:\n", "  two:\n    do: [next_page]\n")
    assert "then_loop" not in codes(check({"ask.yaml": paging}))


def test_phrasings_name_intents_or_otherwise(check: Check) -> None:
    good = "phrasings:\n  yes: [count me in]\n  otherwise: [where is the parser]\n"
    assert check({"ask.yaml": GOOD, "phrasings.yaml": good}) == []
    (problem,) = check({"ask.yaml": GOOD, "phrasings.yaml": good.replace("yes:", "yse:")})
    assert problem.code == "unknown_intent" and problem.line == 2
    assert problem.file.endswith("phrasings.yaml")
    assert "phrasings of 'yse': no intent of that name" in problem.message
    assert "(did you mean 'yes'?)" in problem.message


def test_phrasings_must_be_lists_of_messages_declared_once(check: Check) -> None:
    text = "phrasings:\n  yes: count me in\n"
    (problem,) = check({"ask.yaml": GOOD, "phrasings.yaml": text})
    assert problem.line == 2 and "phrasings of 'yes' must be a list of messages" in problem.message
    again = {"a.yaml": "phrasings:\n  no: [nah]\n", "b.yaml": "phrasings:\n  no: [not now]\n"}
    (problem,) = check({"ask.yaml": GOOD, "phrasings.yaml": "phrasings: {}\n", **again})
    assert problem.code == "duplicate" and problem.file.endswith("b.yaml")
    assert "phrasings of 'no' are declared twice" in problem.message
