"""`validate` checks the prompt templates (prompts/*.j2) as it checks the flows' templates: a filter
or test Jinja does not have would fail every language-model call that uses the prompt."""

from __future__ import annotations

from pathlib import Path

from bot.llm.prompts import check_prompts


def test_an_unknown_filter_or_test_names_the_line_and_the_close_one(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for template in (root / "prompts").glob("*.j2"):
        (prompts / template.name).write_text(template.read_text(encoding="utf-8"))
    assert check_prompts(prompts) == []
    (prompts / "answer.j2").write_text("Question:\n{{ question | fense }}\n{{ x is strin }}\n")
    problems = [(p.line, p.message, p.code) for p in check_prompts(prompts)]
    assert problems == [
        (2, "unknown filter 'fense' (did you mean 'fence'?)", "jinja"),
        (3, "unknown test 'strin' (did you mean 'string'?)", "jinja"),
    ]
