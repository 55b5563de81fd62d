"""How well the bot understands people: tests/nlu/ evaluation sets through the real engine.

    .venv/bin/python bench/nlu.py [--set dev|...|dev10|heldout|...|heldout5|all] [--show-errors]

Each case puts a user in a state (reached by a real conversation over the shipped flows and
repositories), sends the text, and reads what the bot did: which command it ran, which number
or repository it took, whether it searched, asked a clarifying question, or said it did not
understand. The sets were written apart from the intents they judge; the `heldout` sets are not
tuned on, and only their figures print.

Also measured: the matching cost per utterance (p99, beside a bare rapidfuzz lookup over the
same examples as the anchor), dead ends (a reply that offers nothing to send next) and commands
turned into searches. Ends with one `RESULT key=value ...` line.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process

from bot.config import load_settings
from bot.engine.turn import Inbound, TurnResult
from bot.services import Services
from bot.store.base import Session
from bot.store.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "nlu"
TUNING = (
    "dev",
    "dev2",
    "dev3",
    "dev4",
    "dev5",
    "dev6",
    "dev7",
    "dev8",
    "dev9",
    "dev10",
)  # written apart from the intents; looked at while tuning
# Written apart too, and never looked at: only their figures print.
HELDOUT = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5")
# How a user reaches each state of the evaluation sets, from a first message.
SETUP: dict[str, list[str]] = {
    "new": [],
    "menu": ["hi", "jinja2", "menu"],
    "choose_repo": ["hi", "jinja2", "switch repo"],
    "ask_query": ["hi", "jinja2"],
    "results": ["hi", "jinja2", "Environment"],
    "snippet": ["hi", "jinja2", "Environment", "open 2"],
    "explained": ["hi", "jinja2", "Environment", "explain 2"],
    "answered": ["hi", "jinja2", "how are templates loaded?"],
    "no_results": ["hi", "jinja2", "qqzzxxvvkk"],
}
EXPECTED_STATE = {
    "menu": "greeting.menu",
    "choose_repo": "repo.choose",
    "ask_query": "search.ask_query",
    "results": "search.results",
    "snippet": "followup.snippet",
    "explained": "followup.explained",
    "answered": "qa.answered",
    "no_results": "search.no_results",
}
GLOBAL_LABELS = {"help", "menu", "back", "start_over", "cancel", "thanks", "bye", "ok", "greet"}
BY_INTENT = {
    "more": "more",
    "open_result": "open",
    "explain": "explain",
    "ask": "ask",
    "search": "new_search",
    "switch_repo": "switch_repo",
    "why_nothing": "help",  # help about the search that found nothing
}
COMMANDS = GLOBAL_LABELS | set(BY_INTENT.values())


@dataclass
class Outcome:
    label: str
    number: int | None = None
    repo: str | None = None
    dead_end: bool = False
    offered: bool = False  # searched, and the reply offered the command the classifier read


def outcome(
    result: TurnResult,
    before: Session,
    after: Session,
    first: bool,
    answers: frozenset[str] = frozenset(),
) -> Outcome:
    """What the bot did with one case's text. ``answers``: the global commands that answer a
    question about the bot (`builtin: answer`), counted as help."""
    trace = " | ".join(result.trace)
    slots = after.slots
    repo = slots.get("repo") if slots.get("repo") != before.slots.get("repo") else None
    dead = not any("*" in r or "?" in r for r in result.replies)
    searched = "action search" in trace or "action answer_question" in trace
    if "asked:" in trace:
        return Outcome("clarify", dead_end=dead)
    if first and ("only welcomed" in trace or "pleasantry" in trace):
        return Outcome("greet", dead_end=dead)
    if result.intent in GLOBAL_LABELS and not searched:
        return Outcome(result.intent or "", dead_end=dead)
    if result.intent in answers and not searched:  # "is it case sensitive?": answered
        return Outcome("help", dead_end=dead)
    kept = slots.get("pending_query") and result.state == "repo.choose"  # "search it where?"
    if searched or kept:
        offered = "offered " in trace
        return Outcome("query", repo=repo or slots.get("repo"), dead_end=dead, offered=offered)
    picked = "enter repo.pick" in trace  # includes repo.pick_named
    if picked and result.state in ("search.ask_query", "qa.ask"):
        return Outcome("switch_repo", repo=slots.get("repo"), dead_end=dead)
    label = BY_INTENT.get(result.intent or "")
    if result.intent in ("and_then", "next_result", "previous_result"):  # as the flow chose
        label = "explain" if result.state == "followup.explained" else "open"
    if result.intent == "pick":
        label = {
            "search.ask_query": "new_search",
            "repo.choose": "switch_repo",
            "qa.ask": "ask",
            "followup.snippet": "open",
            "followup.open_failed": "open",
        }.get(result.state, "pick")
    if repo and label in (None, "switch_repo", "new_search"):
        return Outcome("switch_repo", repo=repo, dead_end=dead)
    if label in ("open", "explain"):
        number = slots.get("opened")
        return Outcome(label, number=number if isinstance(number, int) else None, dead_end=dead)
    if label == "switch_repo":
        return Outcome("switch_repo", repo=repo, dead_end=dead)
    if label is not None:
        return Outcome(label, dead_end=dead)
    if any("understand" in r for r in result.replies):
        return Outcome("not_understood", dead_end=dead)
    return Outcome(f"other:{result.state}", dead_end=dead)


def right(case: dict[str, Any], got: Outcome, current: int | None) -> bool:
    expect = case["expect"]
    if expect == "clarify":
        return got.label == "clarify" or got.label in case.get("or", [])
    if got.label != expect:
        return False
    if "number" in case:
        want = current if case["number"] == "current" else case["number"]
        if got.number != want:
            return False
    wrong_repo = "repo" in case and got.repo != case["repo"]
    return not (wrong_repo and expect in ("switch_repo", "query"))


# The answer the sets' authors saw ("how are templates loaded?" in jinja2), by file and line, in
# the order it cited them: their cases name these ("open the ChoiceLoader one" is 3). Search
# ranking may order the same hits otherwise; the screen is kept as it was written against.
ANSWERED_SCREEN = (
    ("environment.py", 957),
    ("environment.py", 144),
    ("loaders.py", 596),
    ("loaders.py", 42),
    ("environment.py", 982),
    ("environment.py", 1136),
)


def pin_answer(session: Session) -> None:
    """Order the answered state's results as ANSWERED_SCREEN, renumbered."""
    results = list(session.slots.get("results") or [])

    def place(hit: dict[str, Any]) -> tuple[str, int]:
        return (str(hit["path"]).rsplit("/", 1)[-1], int(hit["line"]))

    found = {place(hit): hit for hit in results}
    missing = [p for p in ANSWERED_SCREEN if p not in found]
    if missing:
        raise SystemExit(f"setup for answered: the answer no longer cites {missing}")
    first = [found[p] for p in ANSWERED_SCREEN]
    ordered = first + [hit for hit in results if place(hit) not in ANSWERED_SCREEN]
    renumbered = [{**hit, "n": i} for i, hit in enumerate(ordered, 1)]
    session.slots.update(results=renumbered, shown=renumbered[:5], cited=len(ANSWERED_SCREEN))


async def prepared(services: Services) -> dict[str, Session]:
    """One real session per state, reached by its setup conversation."""
    sessions: dict[str, Session] = {}
    for state, script in SETUP.items():
        user = f"setup-{state}"
        for text in script:
            await services.engine.handle(Inbound(user_id=user, text=text))
        session = await services.store.load_session(user) or Session(user)
        want = EXPECTED_STATE.get(state)
        if want and session.state != want:
            raise SystemExit(f"setup for {state} ended in {session.state}, not {want}")
        if state == "answered":
            pin_answer(session)
        sessions[state] = session
    return sessions


async def run_cases(
    services: Services, sessions: dict[str, Session], cases: list[dict[str, Any]], name: str
) -> list[tuple[dict[str, Any], Outcome, bool]]:
    out = []
    commands = services.flows.current.flows.globals
    answers = frozenset(name for name, g in commands.items() if g.builtin == "answer")
    for i, case in enumerate(cases):
        user = f"{name}-case-{i}"  # a user of its own: "new" cases are first messages
        state = case["state"]
        if state != "new":
            session = copy.deepcopy(sessions[state])
            session.user_id = user
            await services.store.save_turn(session, [])
        before = await services.store.load_session(user) or Session(user)
        result = await services.engine.handle(Inbound(user_id=user, text=str(case["text"])))
        after = await services.store.load_session(user) or Session(user)
        current = before.slots.get("opened")
        got = outcome(result, before, after, first=state == "new", answers=answers)
        out.append((case, got, right(case, got, current if isinstance(current, int) else None)))
    return out


def report(
    name: str, results: list[tuple[dict[str, Any], Outcome, bool]], show: bool
) -> dict[str, float]:
    total = len(results)
    correct = sum(ok for _c, _o, ok in results)
    print(f"\n== {name}: {correct}/{total} right ({correct / total:.1%})")
    for key in ("state", "expect"):
        groups: dict[str, list[bool]] = collections.defaultdict(list)
        for case, _o, ok in results:
            groups[str(case[key])].append(ok)
        print(
            f"  by {key}: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(groups.items()))
        )
    confused = collections.Counter(
        (str(c["expect"]), o.label) for c, o, ok in results if not ok and o.label != c["expect"]
    )
    print(
        "  most confused (expected -> got): "
        + ", ".join(f"{a}->{b} x{n}" for (a, b), n in confused.most_common(8))
    )
    asked = sum(o.label == "clarify" for _c, o, _ok in results)
    dead = sum(o.dead_end for _c, o, _ok in results)
    searched_commands = [
        o for c, o, _ok in results if c["expect"] in COMMANDS and o.label == "query"
    ]
    searched = len(searched_commands)
    offered = sum(o.offered for o in searched_commands)
    print(
        f"  clarifying questions {asked} ({asked / total:.1%}), dead ends {dead}, "
        f"commands searched {searched} (the command offered after {offered})"
    )
    if show:
        for case, got, ok in results:
            if not ok or got.dead_end:
                extra = f" number={got.number}" if got.number is not None else ""
                extra += f" repo={got.repo}" if got.repo else ""
                mark = " (dead end)" if got.dead_end else ""
                print(
                    f"    [{case['state']}] {case['text']!r}{mark}: expected {case['expect']}"
                    f"{' ' + str(case.get('number', '')) if 'number' in case else ''}"
                    f"{' ' + case['repo'] if 'repo' in case else ''}, got {got.label}{extra}"
                )
    return {
        "cases": total,
        "accuracy": correct / total,
        "asked": asked / total,
        "dead_ends": dead,
        "searched": searched,
        "offered": offered,
    }


def matching_cost(services: Services, texts: list[str]) -> tuple[float, float]:
    """p99 milliseconds of matching one utterance, and of the anchor: one bare rapidfuzz
    lookup of the same text over the same state's example phrases."""
    compiled = services.flows.current
    matcher = compiled.matcher("search.results")
    examples = [e for i in compiled.flows.intents.values() for e in i.examples]
    repos = [r.name for r in services.settings.repos]
    ours: list[float] = []
    anchor: list[float] = []
    for _ in range(5):
        for text in texts:
            started = time.perf_counter()
            matcher.match(text, repos=repos)
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            process.extractOne(text.casefold(), examples, scorer=fuzz.token_sort_ratio)
            anchor.append((time.perf_counter() - started) * 1000)
    return _p99(ours), _p99(anchor)


def _pooled(parts: list[dict[str, float]]) -> dict[str, float]:
    """Accuracy and clarifying share over several sets, weighted by their sizes."""
    cases = sum(p["cases"] for p in parts)
    if not cases:
        return {"accuracy": float("nan"), "asked": float("nan")}
    return {
        "accuracy": sum(p["accuracy"] * p["cases"] for p in parts) / cases,
        "asked": sum(p["asked"] * p["cases"] for p in parts) / cases,
    }


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*TUNING, *HELDOUT, "all"], default="all")
    parser.add_argument("--show-errors", action="store_true", help="list the dev sets' misses")
    args = parser.parse_args()
    names = [*TUNING, *HELDOUT] if args.set == "all" else [args.set]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            ROOT / "config.yaml",
            environ={"BOT_SEARCH__INDEX_DIR": tmp, "BOT_ENV": "test"},
            read_dotenv=False,
        )
        services = await Services.create(
            settings, store=MemoryStore(), watch_flows=False, start_search=True
        )
        try:
            await services.search.wait_ready()
            sessions = await prepared(services)
            figures: dict[str, dict[str, float]] = {}
            texts: list[str] = []
            for name in names:
                cases = yaml.safe_load((SETS / f"{name}.yaml").read_text())["cases"]
                texts += [str(c["text"]) for c in cases]
                results = await run_cases(services, sessions, cases, name)
                # The held-out set's misses are never listed: it is not tuned on.
                figures[name] = report(name, results, args.show_errors and name in TUNING)
            p99, anchor = matching_cost(services, texts)
        finally:
            await services.close()
    print(
        f"\nmatching p99 {p99:.3f} ms per utterance; anchor (one bare rapidfuzz lookup) "
        f"{anchor:.3f} ms; ratio {p99 / anchor:.1f}"
    )
    dev = _pooled([figures[n] for n in TUNING if n in figures])
    held = _pooled([figures[n] for n in HELDOUT if n in figures])
    dead = sum(int(f["dead_ends"]) for f in figures.values())
    searched = sum(int(f["searched"]) for n, f in figures.items() if n in HELDOUT)
    offered = sum(int(f["offered"]) for n, f in figures.items() if n in HELDOUT)
    each = " ".join(
        f"{n.replace('heldout', 'heldout_set')}_accuracy={figures[n]['accuracy']:.3f}"
        for n in HELDOUT
        if n in figures
    )
    print(
        f"RESULT accuracy={dev['accuracy']:.3f} heldout_accuracy={held['accuracy']:.3f} {each} "
        f"clarify_share={held['asked']:.3f} dead_ends={dead} heldout_commands_searched={searched} "
        f"heldout_commands_offered={offered} p99_ms={p99:.3f} anchor_p99_ms={anchor:.3f} "
        f"ratio={p99 / anchor:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
