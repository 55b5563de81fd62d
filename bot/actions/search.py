"""`search`, `next_page` and `open_result`: searching the selected repository and paging
through and opening its results."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from bot.actions.repos import unreadable
from bot.actions.results import forget_results
from bot.engine.actions import ActionContext, ActionRegistry
from bot.errors import SearchError
from bot.search.phrases import asked_reference
from bot.search.types import SearchResponse

PAGE_SIZE = 5
SNIPPET_CONTEXT = 6
SEARCH_SLOTS = frozenset(
    {"query", "page", "total", "results", "shown", "search_kind", "truncated", "incomplete"}
    | {"capped"}
    | {"search_error", "search_note", "more_available"}
)
# "this", "it", "that": the result open, in a question about where it is used
_REFERRING = re.compile(r"\b(?:this|that|it)(?:\s+(?:one|function|method|class|thing))?\b", re.I)


async def run_search(ctx: ActionContext) -> None:
    """`search: {query: ...}`: search the selected repo; sets results, shown, page, total, and
    `search_error` / `search_note` when there is something to say."""
    query = " ".join(str(ctx.args.get("query") or ctx.text).split())
    query = about_the_one_open(query, ctx.slots)
    repo = ctx.args.get("repo") or ctx.slots.get("repo")
    forget_results(ctx)
    ctx.slots.update(query=query, page=1, total=0, results=[], shown=[])
    if not query:
        ctx.slots["search_error"] = "That search was empty."
        return
    problem = unreadable(ctx, repo)
    if problem:
        ctx.slots["search_error"] = problem
        return
    limit = int(ctx.args.get("limit") or ctx.ports.settings.search.max_results)
    started = time.perf_counter()
    try:
        response = await ctx.ports.search.search(query, repo=repo, limit=limit)
    except SearchError as exc:
        ctx.slots["search_error"] = str(exc)
        return
    ms = (time.perf_counter() - started) * 1000
    # Recorded with the turn: the dashboard's search page (bot/store/analytics_schema.py).
    ctx.meta["search"] = {
        "query": query, "repo": str(repo or ""), "results": response.total, "ms": round(ms, 1)
    }  # fmt: skip
    keep_results(ctx, query, response)


def about_the_one_open(query: str, slots: Mapping[str, Any]) -> str:
    """A question about where "this" is used, with a result open, asked of that result's
    definition: "what calls this" with `Bucket.get_source_checksum` open is "what calls
    Bucket.get_source_checksum"; a constructor is its class. Other text stays as typed."""
    opened = slots.get("opened")
    results = slots.get("results") or []
    if not isinstance(opened, int) or not 0 < opened <= len(results):
        return query
    symbol = str(results[opened - 1].get("symbol") or "")
    owner, _, name = symbol.rpartition(".")
    if name == "__init__" and owner:
        symbol = owner
    if not symbol:
        return query
    asked = _REFERRING.sub(symbol, query, count=1)
    return asked if asked != query and asked_reference(asked) is not None else query


def keep_results(ctx: ActionContext, query: str, response: SearchResponse) -> None:
    """The slots a search leaves for the flows (the results page shows them), page 1 shown."""
    forget_results(ctx)
    results = [
        {
            "n": i,
            "repo": hit.repo,
            "path": hit.path,
            "line": hit.line,
            "text": hit.text,
            "symbol": hit.symbol,
            "kind": hit.kind,
            "url": hit.url,
        }
        for i, hit in enumerate(response.hits, start=1)
    ]
    ctx.slots.update(
        query=query,
        results=results,
        total=response.total,
        search_kind=response.kind,
        truncated=response.truncated,
        capped=response.capped,
        incomplete=response.incomplete,
    )
    if response.note:
        ctx.slots["search_note"] = response.note
    _show_page(ctx, 1)


async def next_page(ctx: ActionContext) -> None:
    """Move to the next page of results; `no_more` is set when there is none."""
    page = int(ctx.slots.get("page") or 1)
    results = ctx.slots.get("results") or []
    if page * PAGE_SIZE >= len(results):
        ctx.slots["no_more"] = True
        return
    ctx.slots.pop("no_more", None)
    _show_page(ctx, page + 1)


def _show_page(ctx: ActionContext, page: int) -> None:
    results = ctx.slots.get("results") or []
    ctx.slots["page"] = page
    ctx.slots["shown"] = results[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ctx.slots["more_available"] = page * PAGE_SIZE < len(results)


async def open_result(ctx: ActionContext) -> None:
    """`open_result: {number: N}`: the code around result N as `snippet`, or `open_error`."""
    ctx.slots.pop("open_error", None)
    ctx.slots.pop("snippet", None)
    results: list[dict[str, Any]] = ctx.slots.get("results") or []
    raw = ctx.args.get("number", ctx.entities.get("number"))
    try:
        number = int(raw)
    except (TypeError, ValueError):
        ctx.slots["open_error"] = "Which result? Send “open” and its number, like “open 2”."
        return
    if not 1 <= number <= len(results):
        ctx.slots["open_error"] = (
            "There are no results to open yet: search first."
            if not results
            else f"There is no result {number}; there is only result 1."
            if len(results) == 1
            else f"There is no result {number}; pick one from 1 to {len(results)}."
        )
        return
    hit = results[number - 1]
    if hit.get("repo") not in ctx.repos:  # found before the sender lost access to it
        ctx.slots["open_error"] = "There are no results to open yet: search first."
        return
    try:
        snippet = await ctx.ports.search.snippet(
            hit["repo"], hit["path"], int(hit["line"]), context=SNIPPET_CONTEXT
        )
    except SearchError as exc:
        ctx.slots["open_error"] = str(exc)
        return
    width = len(str(snippet.start + len(snippet.lines)))
    body = "\n".join(
        f"{n:>{width}}{'>' if n == snippet.highlight else ' '} {text}"
        for n, text in enumerate(snippet.lines, start=snippet.start)
    )
    ctx.slots["opened"] = number
    ctx.slots["snippet"] = {
        "path": hit["path"],
        "line": hit["line"],
        "code": body,
        "url": hit.get("url", ""),  # results kept before links existed have none
    }


def register(registry: ActionRegistry) -> None:
    registry.register(
        "search",
        run_search,
        params=frozenset({"query", "repo", "limit"}),
        doc=run_search.__doc__ or "",
        sets=SEARCH_SLOTS,
    )
    registry.register(
        "next_page",
        next_page,
        doc=next_page.__doc__ or "",
        sets=frozenset({"no_more", "page", "shown", "more_available"}),
    )
    registry.register(
        "open_result",
        open_result,
        params=frozenset({"number"}),
        doc=open_result.__doc__ or "",
        sets=frozenset({"open_error", "snippet", "opened"}),
    )
