"""`python -m bot validate` on a deliberately broken folder lists every problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = """\
tests/flows/broken/syntax.yaml:3: YAML syntax error: ...
tests/flows/broken/intents.yaml:12: global 'menu' goes to unknown state 'shop.nowhere' \
(did you mean 'shop.welcome'?)
tests/flows/broken/intents.yaml:12: global 'menu' has no intent with examples of that name
tests/flows/broken/intents.yaml:15: unknown message 'fallbak' (the engine uses: also_code, \
clarify, empty, error, fallback, flows_changed, help, inactive, media, no_back, not_here, \
offer, too_long)
tests/flows/broken/shop.yaml:4: warning: 'say' of 'shop.welcome' uses 'nmae', which nothing sets
tests/flows/broken/shop.yaml:7: state 'shop.welcome' uses unknown intent 'sell'
tests/flows/broken/shop.yaml:9: state 'shop.welcome' goes to unknown state 'shop.welcom' \
(did you mean 'shop.welcome'?)
tests/flows/broken/shop.yaml:13: 'say' of 'shop.basket': Jinja syntax error: Expected an \
expression, got 'end of statement block'
tests/flows/broken/shop.yaml:12: state 'shop.basket' calls unknown action 'add_to_basket' \
(known: answer_question, classify, clear, explain_result, next_page, open_result, search, \
select_repo, set)
tests/flows/broken/shop.yaml:14: state 'shop.basket': unknown state key 'colour' \
(expected one of: choices, description, do, final, help, on, say, then, timeout)
tests/flows/broken/shop.yaml:18: state 'shop.paid' has no way out: add 'on' or 'then' entries, \
or 'final: true'
tests/flows/broken/shop.yaml:21: state 'shop.orphan' cannot be reached from the entry state \
'shop.welcome'
"""


# intents.yaml's `by: [buy it, purchase it]` is no longer reported as colliding with `buy`:
# "it" is now the reference entity ({ref}), and the collision check only compares examples
# with the same placeholders (the matcher tells "buy" and "buy it" apart). Collisions are
# still checked in tests/flows/test_validate_rules.py::test_colliding_intent_examples.


def normalized(lines: list[str]) -> list[str]:
    """The YAML parser's own wording differs between libyaml and pure-Python PyYAML. Files that
    could not be read come first (they explain other problems); then by file and line."""
    shortened = [
        line[: line.index("YAML syntax error: ") + 19] + "..."
        if "YAML syntax error" in line
        else line
        for line in lines
    ]
    unreadable = [line for line in shortened if "YAML syntax error" in line]
    return unreadable + sorted(line for line in shortened if line not in unreadable)


@pytest.fixture(autouse=True)
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_every_problem_is_listed_with_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/flows/broken"]) == 1
    out, err = capsys.readouterr()
    assert normalized(out.splitlines()) == normalized(EXPECTED.splitlines())
    assert "expected ',' or ']'" in out and "close the [ opened at line 3 with ]" in out
    assert out.splitlines()[0].startswith("tests/flows/broken/syntax.yaml:3: YAML syntax error")
    assert "12 problem(s) in tests/flows/broken" in err


def test_json_format_for_editors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tests/flows/broken", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["count"] == 12
    first, second = report["problems"][:2]
    assert first["file"] == "tests/flows/broken/syntax.yaml" and first["line"] == 3
    assert first["code"] == "yaml" and first["severity"] == "error"
    assert second["file"] == "tests/flows/broken/intents.yaml" and second["line"] == 12
    assert second["code"] == "unknown_target" and second["severity"] == "error"
    (unset,) = [p for p in report["problems"] if p["severity"] == "warning"]
    assert unset["file"] == "tests/flows/broken/shop.yaml" and unset["line"] == 4
    assert unset["code"] == "unset_variable" and unset["state"] == "welcome"
    shop = [p for p in report["problems"] if p["state"] == "basket"]
    assert {p["code"] for p in shop} >= {"jinja", "unknown_action"}


def test_the_shipped_flows_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.strip().endswith(": ok")


def test_a_missing_folder_is_a_clear_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "no/such/folder"]) == 1
    assert "no/such/folder:0: does not exist: give the folder that holds the flow files" in (
        capsys.readouterr().out
    )


def test_a_file_instead_of_the_folder_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "flows/search.yaml"]) == 1
    assert (
        "flows/search.yaml:0: is a file, not a folder: give the folder of flow files (flows,"
        in (capsys.readouterr().out)
    )
