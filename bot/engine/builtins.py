"""Actions every flow can use: slots, repository choice, search, paging and opening results."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from bot.engine.actions import ActionContext, ActionRegistry
from bot.errors import SearchError
from bot.nlu.codeish import looks_like_code
from bot.nlu.entities import LAST, find_repos
from bot.nlu.text import words
from bot.search.types import SearchResponse

PAGE_SIZE = 5
STALE_AFTER_SEARCH = (
    "search_error", "search_note", "results", "shown", "more_available", "no_more", "opened",
    "snippet", "open_error",
)  # fmt: skip
SNIPPET_CONTEXT = 6


async def set_slots(ctx: ActionContext) -> None:
    """`set: {slot: value}`: values are rendered; "{{ expr }}" keeps the expression's type."""
    for key, value in ctx.args.items():
        ctx.slots[key] = value


async def clear_slots(ctx: ActionContext) -> None:
    """`clear: [slot, ...]` (or a single name)."""
    names = ctx.args.get("value", list(ctx.args))
    for name in [names] if isinstance(names, str) else names:
        ctx.slots.pop(str(name), None)


async def select_repo(ctx: ActionContext) -> None:
    """Pick a configured repository by number ("2", "the third one"), by a possibly misspelt
    name ("jnja2", "the aiohttp one") or from `text`. Sets `repo`, or `repo_error` with what
    went wrong; a search typed instead of a choice is kept (`pending_query`) and
    `where_to_search` asks which repository to search it in."""
    names = list(ctx.repos)  # only those this sender may read
    explicit = "text" in ctx.args
    choice = str(ctx.args.get("text", ctx.text)).strip()
    ctx.slots.pop("repo_error", None)
    picked = _named_repo(choice, names) if explicit else None
    if not explicit:
        picked, rest = _repo_and_query(choice, names)
        if picked is not None and rest:  # "aiohttp, ClientSession": that search, there
            ctx.slots["pending_query"] = rest
        picked = picked or ctx.entities.get("repo")
    number = None if explicit else ctx.entities.get("number")
    if number == LAST and names:  # "the last one" in the list
        number = len(names)
    if picked is None and isinstance(number, int) and choice.split() and len(choice) < 30:
        if 1 <= number <= len(names):
            picked = names[number - 1]
        else:
            ctx.slots["repo_error"] = f"There is no repository number {number}."
            return
    if picked is None and choice:
        picked = _described_repo(choice, ctx.services.repo_listing(ctx.repos)) or _named_repo(
            choice, names
        )
    if picked is None:
        if not choice:
            ctx.slots["repo_error"] = "Send a number or a name from the list."
        elif _reads_as_query(choice):
            ctx.slots["pending_query"] = choice
            ctx.slots["where_to_search"] = True
        else:
            ctx.slots["repo_error"] = unknown_repo(choice)
        return
    if picked != ctx.slots.get("repo"):
        for stale in ("results", "shown", "page", "query", "total", "snippet", "opened"):
            ctx.slots.pop(stale, None)
    ctx.slots["repo"] = picked


def _named_repo(choice: str, names: list[str]) -> str | None:
    found = find_repos(words(choice), names).values.get("repo")
    if found is not None:
        return str(found)
    best = process.extractOne(
        choice.casefold(), [n.casefold() for n in names], scorer=fuzz.WRatio, score_cutoff=80
    )
    return names[best[2]] if best is not None else None


def _repo_and_query(text: str, names: list[str]) -> tuple[str | None, str]:
    """A repository's name with other words: the repository, and the rest as typed."""
    pieces = re.split(r"([\s,:;]+)", text)
    for i, piece in enumerate(pieces):
        found = find_repos(words(piece), names).values.get("repo") if piece.strip() else None
        if found is not None:
            rest = "".join(pieces[:i] + pieces[i + 1 :]).strip(" ,:;-–—")
            rest_words = [w for w in words(rest) if w not in _NOT_A_QUERY]
            return str(found), rest if rest_words else ""
    return None, ""


_NOT_A_QUERY = frozenset({"the", "repo", "repository", "one", "please", "pls", "code", "use", "in"})


def _described_repo(choice: str, listing: list[dict[str, Any]]) -> str | None:
    """ "the template engine": the one repository whose description has those words."""
    wanted = {w for w in words(choice) if len(w) > 2 and w not in _NOT_A_QUERY}
    if not wanted:
        return None
    scored = [
        (len(wanted & set(words(str(r.get("description") or "")))), str(r["name"])) for r in listing
    ]
    best = max((s for s, _n in scored), default=0)
    winners = [n for s, n in scored if s == best]
    return winners[0] if best and len(winners) == 1 else None


def _reads_as_query(text: str) -> bool:
    """Several words, a question or code: a search typed at the repository prompt."""
    return len(text.split()) >= 2 or text.endswith("?") or looks_like_code(text)


def unknown_repo(name: str) -> str:
    """What a sender hears for a repository that does not exist or that they may not read:
    the same words, so a hidden repository cannot be told from one that is not there."""
    return f"I don't know a repository called “{name.strip()[:60]}”."


def unreadable(ctx: ActionContext, repo: object) -> str | None:
    """Why ``repo`` (None: every repository) may not be searched for this sender, or None."""
    if repo is None or repo == "":
        if set(ctx.repos) >= {r.name for r in ctx.services.settings.repos}:
            return None
        return "Pick a repository first: send *switch repo*."
    return None if repo in ctx.repos else unknown_repo(str(repo))


async def run_search(ctx: ActionContext) -> None:
    """`search: {query: ...}`: search the selected repo; sets results, shown, page, total, and
    `search_error` / `search_note` when there is something to say."""
    query = " ".join(str(ctx.args.get("query") or ctx.text).split())
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
    limit = int(ctx.args.get("limit") or ctx.services.settings.search.max_results)
    try:
        response = await ctx.services.search.search(query, repo=repo, limit=limit)
    except SearchError as exc:
        ctx.slots["search_error"] = str(exc)
        return
    keep_results(ctx, query, response)


def forget_results(ctx: ActionContext) -> None:
    """Drop what described the previous search's results."""
    for key in STALE_AFTER_SEARCH:
        ctx.slots.pop(key, None)


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
        snippet = await ctx.services.search.snippet(
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


def register_builtins(registry: ActionRegistry) -> None:
    registry.register("set", set_slots, doc=set_slots.__doc__ or "", sets=frozenset())
    registry.register(
        "clear", clear_slots, doc=clear_slots.__doc__ or "", render_args=False, sets=frozenset()
    )
    registry.register(
        "select_repo",
        select_repo,
        params=frozenset({"text"}),
        doc=select_repo.__doc__ or "",
        sets=frozenset({"repo", "repo_error", "pending_query", "where_to_search"}),
    )
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


SEARCH_SLOTS = frozenset(
    {"query", "page", "total", "results", "shown", "search_kind", "truncated", "incomplete"}
    | {"capped"}
    | {"search_error", "search_note", "more_available"}
)
