"""`python -m bot validate` on a copy of the shipped flows with one typical mistake in it: the
author sees the real cause first, at its line, and not a pile of consequences."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def flows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)  # config.yaml: the shipped prompts are checked too
    return Path(shutil.copytree(ROOT / "flows", tmp_path / "flows"))


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (found once) and return the line it is on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def validate(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    return [line.removeprefix(f"{folder}/") for line in out.splitlines()]


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        (
            "- {when: search_error, to: failed}\n      - {when: not results, to: no_results}\n"
            "      - {to: results}\n\n  ask_query:",
            "- {when: search_error, to: failed\n      - {when: not results, to: no_results}\n"
            "      - {to: results}\n\n  ask_query:",
            "close the { opened at line {line} with }",
        ),
        (
            "      - {otherwise: route}\n\n  # A question",
            "\t- {otherwise: route}\n\n  # A question",
            "YAML does not allow tabs for indentation; use spaces",
        ),
        (
            'say: "⚠️ {{ search_error }} Try another search, or send *help*."',
            "say: {{ search_error }} Try another search, or send *help*.",
            "quote a value that starts with { (a Jinja template): "
            'say: "{{ search_error }} Try another search, or send *help*."',
        ),
    ],
    ids=["unclosed-brace", "tab", "unquoted-template"],
)
def test_a_yaml_error_comes_first_without_consequences(
    flows: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, hint: str
) -> None:
    line = edit(flows / "search.yaml", old, new)
    first, *rest = validate(flows, capsys)
    assert first.startswith(f"search.yaml:{line}: YAML syntax error: ")
    assert first.endswith(hint.replace("{line}", str(line)))
    # The transitions into flow 'search' from the other files are not blamed, one by one.
    assert not any("unknown state" in problem for problem in rest), rest
    (note,) = rest
    assert note.startswith(f"search.yaml:{line}: warning: not checked while this file does not")
    assert "transition(s) into flow 'search'" in note


def test_an_unknown_filter_is_caught_before_it_breaks_every_turn(
    flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(
        flows / "search.yaml", "No matches for “{{ query |", "No matches for “{{ query | upperr |"
    )
    assert validate(flows, capsys) == [
        f"search.yaml:{line}: 'say' of 'search.no_results': unknown filter 'upperr' "
        "(did you mean 'upper'?)"
    ]


def test_a_misspelt_variable_after_any_action_is_warned_about(
    flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # qa.answer (answer_question) leads into the search flow: its slots are now known, so a typo
    # there no longer hides behind "an action may set anything".
    line = edit(flows / "search.yaml", "No matches for “{{ query |", "No matches for “{{ qurey |")
    assert validate(flows, capsys) == [
        f"search.yaml:{line}: warning: 'say' of 'search.no_results' uses 'qurey', "
        "which nothing sets (did you mean 'query'?)"
    ]


def test_a_misspelt_entry_is_reported_where_it_is_written(
    flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(flows / "intents.yaml", "entry: greeting.welcome", "entry: greeting.welcom")
    assert validate(flows, capsys) == [
        f"intents.yaml:{line}: entry state 'greeting.welcom' does not exist "
        "(did you mean 'greeting.welcome'?)"
    ]
