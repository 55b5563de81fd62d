"""`python -m bot graph`: states and transitions as Mermaid or dot, intents on the edges."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.flows.graph import dot, mermaid
from bot.flows.loader import load_flows
from tests.testing.conftest import FLOWS, write_flows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def flows(tmp_path: Path):  # type: ignore[no-untyped-def]
    loaded, problems = load_flows(write_flows(tmp_path / "flows", FLOWS), base=tmp_path)
    assert problems == [] and loaded is not None
    return loaded


def test_mermaid_has_every_state_and_labelled_edge(flows) -> None:  # type: ignore[no-untyped-def]
    text = mermaid(flows)
    assert text.startswith("flowchart TD\n")
    assert '    start(("start")) --> desk_welcome' in text
    assert '        desk_nudge["nudge"]' in text
    assert '    desk_welcome -->|"find"| desk_ask' in text
    assert '    desk_welcome -->|"other text"| desk_welcome' in text
    assert '    desk_ask -->|"after 10m"| desk_nudge' in text
    assert '    desk_run -->|"when results"| desk_found' in text
    assert '    any(("any state")) -.->|"restart"| desk_welcome' in text


def test_untested_edges_are_dashed(flows) -> None:  # type: ignore[no-untyped-def]
    untested = {("desk.ask", "_timeout", "desk.nudge")}
    text = mermaid(flows, untested=untested)
    assert '    desk_ask -.->|"after 10m (untested)"| desk_nudge' in text
    assert '    desk_welcome -->|"find"| desk_ask' in text
    assert (
        '"desk.ask" -> "desk.nudge" [label="after 10m", style=dashed, color=red, '
        'xlabel="untested"];'
    ) in dot(flows, untested=untested)


def test_dot_groups_states_by_flow(flows) -> None:  # type: ignore[no-untyped-def]
    text = dot(flows)
    assert text.startswith("digraph flows {")
    assert '    subgraph "cluster_desk" {' in text
    assert '    "desk.welcome" -> "desk.ask" [label="find"];' in text
    assert '    "desk.run" -> "desk.ask";' in text


def test_the_command_draws_the_shipped_flows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["graph", "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert '"search.results" -> "followup.more" [label="more"];' in out
    assert main(["graph"]) == 0
    assert '    greeting_menu -->|"search"| search_start' in capsys.readouterr().out


def test_a_broken_folder_is_refused_with_its_problems(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["graph", "tests/flows/broken"]) == 2
    assert "tests/flows/broken/shop.yaml:9: state 'shop.welcome' goes to unknown state" in (
        capsys.readouterr().err
    )
