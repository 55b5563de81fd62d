"""The shipped flows' replies as each channel shows them, compared with snapshots.

One conversation (the menu, the repository list, regex results, a snippet with code, a
clarifying question, text with & < >) is run once through the real engine, flows and search;
each turn is rendered for the terminal, WhatsApp (plain and interactive), Slack and Teams. A
change in what a user sees shows as a diff against tests/channels/snapshots/<channel>.txt; after
checking that the change is meant, rewrite them with `UPDATE_SNAPSHOTS=1 pytest tests/channels`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from collections.abc import Callable
from pathlib import Path

from bot.channels import console_render, slack_render, teams_render, whatsapp_render
from bot.engine.turn import Inbound, TurnResult
from bot.search.index import RepoSnapshot
from tests.channels.fake_twilio import fill
from tests.engine.conftest import open_services, project_settings

SNAPSHOTS = Path(__file__).parent / "snapshots"
CONVERSATION = (
    "hi",
    "2",  # the repository list
    "2",  # jinja2
    r"/class \w+Loader\(/",  # a regex: the same results however busy the machine is
    "open 1",
    "back",
    "new search",
    "reset",  # asked for a search, and jinja2 defines `reset`: the command, or a search?
    "1",  # the command: start over
    "x < y & z",  # asks where to search it
)
Turns = list[tuple[str, TurnResult]]
Renderer = Callable[[TurnResult], str]


async def run_conversation(snapshots: dict[str, RepoSnapshot]) -> Turns:
    settings = project_settings()
    # A regex gets all the time it needs: a busy machine must not cut the list short.
    search = dataclasses.replace(settings.search, regex_timeout_seconds=60.0)
    async with open_services(dataclasses.replace(settings, search=search), snapshots) as services:
        out = []
        for text in CONVERSATION:
            inbound = Inbound(user_id="whatsapp:+15550009", text=text, channel="test")
            out.append((text, await services.engine.handle(inbound)))
        return out


def console(result: TurnResult) -> str:
    return console_render.render(result.replies, result.choices, prefix="bot> ")


def whatsapp(interactive: bool) -> Renderer:
    def render(result: TurnResult) -> str:
        reply = whatsapp_render.render(result.replies, result.choices, interactive=interactive)
        shown = [f"[message]\n{part}" for part in reply.parts]
        if reply.template is not None:  # the template filled as sent, its body {{1}} below
            filled = fill(reply.template.types, {**reply.variables, "1": "{{1}}"})
            types = json.dumps(filled, indent=1, ensure_ascii=False)
            body = reply.variables["1"]
            shown.append(f"[interactive {reply.template.name}]\n{types}\n{{{{1}}}} = {body}")
        return "\n".join(shown)

    return render


def slack(result: TurnResult) -> str:
    messages = slack_render.render(result.replies, result.choices)
    return json.dumps(
        [{"text": m.text, "blocks": m.blocks} for m in messages], indent=1, ensure_ascii=False
    )


def teams(result: TurnResult) -> str:
    activities = teams_render.render(result)
    wire = [a.model_dump(by_alias=True, exclude_unset=True, mode="json") for a in activities]
    return json.dumps(wire, indent=1, ensure_ascii=False)


RENDERERS: dict[str, Renderer] = {
    "console": console,
    "whatsapp": whatsapp(interactive=False),
    "whatsapp-interactive": whatsapp(interactive=True),
    "slack": slack,
    "teams": teams,
}


async def test_the_shipped_flows_as_each_channel_shows_them(
    repo_snapshots: dict[str, RepoSnapshot],
) -> None:
    turns = await run_conversation(repo_snapshots)
    states = [r.state for _t, r in turns]
    assert states[-4:] == ["search.ask_query", "search.ask_query", "greeting.menu", "repo.choose"]
    differ = []
    for channel, render in RENDERERS.items():
        shown = "".join(f"### user: {text}\n{render(result)}\n\n" for text, result in turns)
        path = SNAPSHOTS / f"{channel}.txt"
        if os.environ.get("UPDATE_SNAPSHOTS") == "1":
            path.write_text(shown, encoding="utf-8")
        assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 to write it"
        expected = path.read_text(encoding="utf-8")
        if shown != expected:
            lines = difflib.unified_diff(
                expected.splitlines(), shown.splitlines(), path.name, "now", lineterm=""
            )
            differ.append("\n".join(lines))
    assert not differ, "the replies differ from tests/channels/snapshots:\n" + "\n".join(differ)
