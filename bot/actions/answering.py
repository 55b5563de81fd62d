"""How `answer_question` and `explain_result` (bot/actions/answer.py) answer, by a language model.

Each works with or without a language model: with none (no key, budget spent, every provider
failing) the answer is built from search results and says so. What a call cost is added to the
user's daily spend in ``session.context`` and recorded with the turn (``ctx.meta["llm"]``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.actions.repos import unknown_repo
from bot.actions.search import about_the_one_open, keep_results
from bot.engine.actions import ActionContext
from bot.errors import SearchError, StoreError
from bot.llm.base import Completion, Message, Task
from bot.llm.code import AFTER, BEFORE, Block, around, numbered
from bot.llm.local import (
    answer_from_hits,
    defined_name,
    enclosing_definition,
    explain_from_code,
)
from bot.llm.usage import add_spend, spent_today
from bot.store.base import MessageType

if TYPE_CHECKING:
    from bot.llm.router import LLMRouter

OUTLINE_CONTEXT = 40  # lines read around a result to find the definition that encloses it
BLOCK_CONTEXT = 15  # lines read around each search hit sent to the model

_NUMBER = re.compile(r"\d{1,4}")


async def answer_question(ctx: ActionContext) -> None:
    """The `answer_question` action (bot/actions/answer.py)."""
    question = " ".join(str(ctx.args.get("question") or ctx.text).split())
    question = about_the_one_open(question, ctx.slots)  # "where is it used?" after open 1
    repo = str(ctx.args.get("repo") or ctx.slots.get("repo") or "")
    if not repo:
        ctx.say("Which repository? Pick one first, then ask again.")
        return
    if repo not in ctx.repos:
        ctx.say(unknown_repo(repo))
        return
    if not question:
        ctx.say(f"What would you like to know about *{repo}*?")
        return
    settings = ctx.ports.settings
    try:
        response = await ctx.ports.search.search(
            question, repo=repo, limit=settings.search.max_results
        )
    except SearchError as exc:
        ctx.say(f"I could not search *{repo}*: {exc}")
        return
    keep_results(ctx, question, response)
    results: list[dict[str, Any]] = ctx.slots["results"]
    best = results[: settings.llm.max_snippets]
    ctx.slots["cited"] = len(best)  # "the last one" is the last result the answer cites
    blocks = await _blocks(ctx, best, settings.llm.max_snippet_chars)
    task = Task(
        prompt="answer",
        variables={"question": question, "repo": repo},
        snippets=tuple(b.text for b in blocks),
        history=await _history(ctx),
        fallback=answer_from_hits(question, repo, best, blocks[0].excerpt if blocks else ""),
        spent_today_usd=spent_today(ctx.session.context, ctx.ports.clock()),
    )
    await _complete_and_say(ctx, task)


async def explain_result(ctx: ActionContext) -> None:
    """The `explain_result` action (bot/actions/answer.py)."""
    ctx.slots.pop("explain_error", None)
    results: list[dict[str, Any]] = ctx.slots.get("results") or []
    number = _number(ctx, len(results))
    if not results:
        ctx.slots["explain_error"] = "There are no results to explain yet: search first."
        return
    if number is None or not 1 <= number <= len(results):
        ctx.slots["explain_error"] = (
            f"Which result? Send “explain” and a number from 1 to {len(results)}."
        )
        return
    hit = results[number - 1]
    if hit.get("repo") not in ctx.repos:  # found before the sender lost access to it
        ctx.slots["explain_error"] = "There are no results to explain yet: search first."
        return
    ctx.slots["opened"] = number  # "this" in the next message is this result
    line = int(hit["line"])
    try:
        wide = await ctx.ports.search.snippet(
            str(hit["repo"]), str(hit["path"]), line, context=OUTLINE_CONTEXT
        )
    except SearchError as exc:
        ctx.slots["explain_error"] = f"I could not read result {number}: {exc}"
        return
    outline = enclosing_definition(wide.lines, wide.start, line)
    uses = await _uses(ctx, str(hit["repo"]), defined_name(outline), hit)
    limit = ctx.ports.settings.llm.max_snippet_chars
    block = around(wide, hit, outline.line if outline else None, limit)
    task = Task(
        prompt="explain",
        variables={
            "number": number,
            "repo": hit["repo"],
            "path": hit["path"],
            "line": line,
            "symbol": hit.get("symbol") or "",
            "question": ctx.text,
        },
        snippets=(block.text,),
        history=await _history(ctx),
        fallback=explain_from_code(
            number, hit, outline, numbered(wide, line - 3, line + 3), uses=uses
        ),
        spent_today_usd=spent_today(ctx.session.context, ctx.ports.clock()),
    )
    await _complete_and_say(ctx, task)


async def _uses(
    ctx: ActionContext, repo: str, name: str | None, hit: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Where the enclosing definition's name is used, other than where it is defined."""
    if not name:
        return []
    try:
        found = await ctx.ports.search.search(name, repo=repo, limit=12)
    except SearchError:
        return []
    return [
        {"path": h.path, "line": h.line}
        for h in found.hits
        if h.kind != "definition" and not (h.path == hit["path"] and h.symbol == name)
    ][:6]


async def _complete_and_say(ctx: ActionContext, task: Task) -> None:
    router: LLMRouter | None = ctx.ports.llm
    if router is None:
        completion = Completion(
            text=task.fallback,
            provider="local",
            model="local",
            local_reason="no_provider",
        )
    else:
        completion = await router.complete(task)
    charge(ctx, completion)
    ctx.say(completion.text)


def charge(ctx: ActionContext, completion: Completion) -> None:
    """Add the call's cost to the user's spend today and record the call with the turn."""
    if completion.cost_usd > 0:
        add_spend(ctx.session.context, ctx.ports.clock(), completion.cost_usd)
    ctx.meta["llm"] = completion.meta()


async def _blocks(ctx: ActionContext, hits: list[dict[str, Any]], limit: int) -> list[Block]:
    """The code around each hit, numbered, one block per distinct region, best first."""
    unique: list[dict[str, Any]] = []
    for hit in hits:
        # A hit inside the block of one already kept would repeat the same code.
        if not any(
            u["path"] == hit["path"] and -BEFORE <= int(hit["line"]) - int(u["line"]) <= AFTER
            for u in unique
        ):
            unique.append(hit)

    async def one(hit: dict[str, Any]) -> Block | None:
        try:
            snippet = await ctx.ports.search.snippet(
                str(hit["repo"]), str(hit["path"]), int(hit["line"]), context=BLOCK_CONTEXT
            )
        except SearchError:
            return None
        return around(snippet, hit, None, limit)

    found = await asyncio.gather(*(one(h) for h in unique))
    return [b for b in found if b is not None]


async def _history(ctx: ActionContext) -> tuple[Message, ...]:
    turns = ctx.ports.settings.sessions.history_turns
    try:
        rows = await ctx.ports.store.history(ctx.session.user_id, limit=turns)
    except StoreError:
        return ()
    messages: list[Message] = []
    for row in rows:
        if row.message_type is MessageType.TEXT and row.message and row.response:
            messages += [Message("user", row.message), Message("assistant", row.response)]
    return tuple(messages)


def _number(ctx: ActionContext, count: int) -> int | None:
    raw = ctx.args.get("number") or ctx.entities.get("number") or ctx.slots.get("opened")
    if raw in (None, ""):
        found = _NUMBER.search(ctx.text)
        raw = found.group(0) if found else (1 if count == 1 else None)
    try:
        return int(str(raw))
    except ValueError:
        return None
