"""The flow-check cache: an unchanged flows folder is not validated again at start-up, and any
change (a flow file, the actions, the threshold, the checking code) checks it in full again.
A cached check gives the same problems as a full one; an edit is always picked up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import NluConfig
from bot.engine.actions import ActionRegistry
from bot.engine.registry import FlowRegistry, check_flows
from bot.errors import FlowError, Problem
from bot.flows import checkcache
from bot.flows import validate as validate_module
from bot.flows.checkcache import CheckCache
from bot.services import default_actions
from tests.testing.conftest import FLOWS, write_flows

# An example of a global intent too like one of `find` (score 83): the check warns, and the
# warning must come back from the cache too.
COLLIDING = "help: [help, searhc]"


class Counted:
    """Counts the full validations (bot.flows.validate.validate, as the registry calls it)."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = validate_module.validate

    def __call__(self, *args: object, **kwargs: object) -> list[Problem]:
        self.calls += 1
        return self.real(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    counted = Counted()
    monkeypatch.setattr(validate_module, "validate", counted)
    yield counted


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    write_flows(folder, FLOWS)
    return folder


def check(
    folder: Path,
    cache: Path | None,
    *,
    actions: ActionRegistry | None = None,
    nlu: NluConfig | None = None,
) -> list[Problem]:
    _flows, problems, _templates = check_flows(
        folder,
        actions=actions or default_actions(),
        nlu=nlu or NluConfig(),
        base=folder.parent,
        cache=CheckCache(cache) if cache else None,
    )
    return problems


def edit_intents(folder: Path, new: str, old: str = "help: [help]") -> None:
    path = folder / "intents.yaml"
    body = path.read_text(encoding="utf-8")
    assert body.count(old) == 1
    path.write_text(body.replace(old, new), encoding="utf-8")


def test_unchanged_flows_are_not_checked_again(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    cache = tmp_path / "data" / "flows-checked.json"
    first = check(flows, cache)
    assert validations.calls == 1 and cache.exists()
    assert check(flows, cache) == first
    assert validations.calls == 1


def test_cached_problems_are_those_of_a_full_check(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    edit_intents(flows, COLLIDING)
    full = check(flows, None)
    assert any(p.code == "intent_collision" for p in full)
    cache = tmp_path / "checked.json"
    assert check(flows, cache) == full  # checked, then kept
    assert check(flows, cache) == full  # read back
    assert validations.calls == 2  # without the cache, then the first with it


def test_an_edited_flow_is_checked_again(flows: Path, tmp_path: Path, validations: Counted) -> None:
    cache = tmp_path / "checked.json"
    assert not any(p.code == "intent_collision" for p in check(flows, cache))
    edit_intents(flows, COLLIDING)
    problems = check(flows, cache)
    assert validations.calls == 2
    assert any(p.code == "intent_collision" for p in problems)


def test_an_edit_of_the_same_size_and_time_is_checked_again(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    """Flow files are keyed by their content, not by their size and modification time."""
    edit_intents(flows, "help: [help, zzzzzz]")
    cache = tmp_path / "checked.json"
    assert not any(p.code == "intent_collision" for p in check(flows, cache))
    path = flows / "intents.yaml"
    stat = path.stat()
    edit_intents(flows, COLLIDING, "help: [help, zzzzzz]")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert any(p.code == "intent_collision" for p in check(flows, cache))
    assert validations.calls == 2


def test_another_threshold_is_checked_again(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    edit_intents(flows, COLLIDING)
    cache = tmp_path / "checked.json"
    strict = check(flows, cache, nlu=NluConfig(threshold=95))
    loose = check(flows, cache, nlu=NluConfig(threshold=40))
    assert validations.calls == 2
    assert not any(p.code == "intent_collision" for p in strict)
    assert any(p.code == "intent_collision" for p in loose)
    assert loose == check(flows, None, nlu=NluConfig(threshold=40))
    assert strict == check(flows, None, nlu=NluConfig(threshold=95))


def test_other_actions_are_checked_again(flows: Path, tmp_path: Path, validations: Counted) -> None:
    cache = tmp_path / "checked.json"
    assert check(flows, cache) == []
    fewer = ActionRegistry()  # the flows' actions are no longer registered
    problems = check(flows, cache, actions=fewer)
    assert validations.calls == 2
    assert problems == check(flows, None, actions=fewer)


def test_changed_code_is_checked_again(
    flows: Path, tmp_path: Path, validations: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that takes part in the check, edited (a new size or modification time)."""
    module = tmp_path / "checker.py"
    module.write_text("# one\n")
    real = checkcache.code_stamps
    monkeypatch.setattr(checkcache, "code_stamps", lambda: [*real(), checkcache._stamp(module)])
    cache = tmp_path / "checked.json"
    check(flows, cache)
    check(flows, cache)
    assert validations.calls == 1
    module.write_text("# two, longer\n")
    check(flows, cache)
    assert validations.calls == 2


def test_the_stamped_code_is_the_checking_code() -> None:
    files = {Path(name).as_posix() for name, _size, _mtime in checkcache.code_stamps()}
    for module in ("bot/flows/validate.py", "bot/flows/collisions.py", "bot/nlu/text.py"):
        assert any(f.endswith(module) for f in files), module
    assert any("/jinja2/" in f for f in files) and any("/rapidfuzz/" in f for f in files)


def test_an_unreadable_or_unwritable_cache_only_costs_a_check(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    assert check(flows, garbled) == []
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert check(flows, blocked / "checked.json") == []  # its folder is a file
    assert validations.calls == 2


def test_the_registry_picks_up_an_edit_with_the_cache(
    flows: Path, tmp_path: Path, validations: Counted
) -> None:
    cache = tmp_path / "checked.json"
    kwargs = {"actions": default_actions(), "nlu": NluConfig(), "base": tmp_path}
    first = FlowRegistry(flows, check_cache=cache, **kwargs)  # type: ignore[arg-type]
    again = FlowRegistry(flows, check_cache=cache, **kwargs)  # type: ignore[arg-type]
    assert validations.calls == 1 and again.current.version == first.current.version
    edit_intents(flows, COLLIDING)
    assert first.reload() == []
    assert first.current.version != again.current.version
    assert any(p.code == "intent_collision" for p in first.last_problems)
    assert validations.calls == 2
    # An edit that breaks the flows is refused whatever the cache holds.
    path = next(p for p in flows.glob("*.yaml") if "states:" in p.read_text())
    path.write_text(path.read_text() + "\n  broken: {say: hi, on: [{intent: nowhere, to: x}]}\n")
    assert [p for p in first.reload() if p.severity == "error"]
    with pytest.raises(FlowError):
        FlowRegistry(flows, check_cache=cache, **kwargs)  # type: ignore[arg-type]


def test_the_example_keys_come_back_with_the_check(
    flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The matcher's keys are kept with the check: a start on an unchanged folder computes
    none, and matches as a start that computed them all."""
    from bot.engine import machine
    from bot.nlu import intents

    cache = tmp_path / "checked.json"
    kwargs = {"actions": default_actions(), "nlu": NluConfig(), "base": tmp_path}
    computed = FlowRegistry(flows, **kwargs)  # type: ignore[arg-type]
    FlowRegistry(flows, check_cache=cache, **kwargs)  # type: ignore[arg-type]
    made: list[str] = []
    real = intents.example_key

    def counted(phrase: str) -> str:
        made.append(phrase)
        return real(phrase)

    monkeypatch.setattr(intents, "example_key", counted)
    monkeypatch.setattr(machine, "example_key", counted)
    cached = FlowRegistry(flows, check_cache=cache, **kwargs)  # type: ignore[arg-type]
    assert made == []
    for state in ("desk.welcome", "desk.ask", "desk.found"):
        for text in ("find", "serch", "help please", "start over", "hello", "where is Circle"):
            assert cached.current.matcher(state).match(text) == computed.current.matcher(
                state
            ).match(text)


def test_unchanged_flows_are_not_loaded_again(
    flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start on unchanged flows reads them back from the cache, equal to a fresh load."""
    from bot.engine import registry

    cache = tmp_path / "checked.json"
    loads: list[Path] = []
    real = registry.load_flows

    def counted(directory: Path, **kwargs: object) -> object:
        loads.append(directory)
        return real(directory, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(registry, "load_flows", counted)
    fresh = check_flows(flows, actions=default_actions(), nlu=NluConfig(), base=tmp_path)
    kept = CheckCache(cache)
    first = check_flows(
        flows, actions=default_actions(), nlu=NluConfig(), base=tmp_path, cache=kept
    )
    again = check_flows(
        flows, actions=default_actions(), nlu=NluConfig(), base=tmp_path, cache=kept
    )
    assert len(loads) == 2  # without the cache, then the first with it
    assert again[0] == first[0] == fresh[0] and again[1] == first[1] == fresh[1]


def test_an_edit_while_loading_is_not_kept(
    flows: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validations: Counted
) -> None:
    """Files edited between the cache's read and the loader's are not kept under the key of
    what was read first: the next start loads them again."""
    from bot.engine import registry

    real = registry.load_flows

    def edited_meanwhile(directory: Path, **kwargs: object) -> object:
        edit_intents(flows, COLLIDING)
        return real(directory, **kwargs)  # type: ignore[arg-type]

    cache = tmp_path / "checked.json"
    monkeypatch.setattr(registry, "load_flows", edited_meanwhile)
    assert any(p.code == "intent_collision" for p in check(flows, cache))
    assert not cache.exists()
    monkeypatch.setattr(registry, "load_flows", real)
    assert any(p.code == "intent_collision" for p in check(flows, cache))
    assert validations.calls == 2
