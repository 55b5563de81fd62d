"""`select_repo`, and what a sender hears about a repository they may not read."""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz, process

from bot.actions.results import forget_results
from bot.engine.actions import ActionContext, ActionRegistry
from bot.nlu.codeish import looks_like_code
from bot.nlu.entities import find_repos, place_in_list
from bot.nlu.text import words
from bot.nlu.vocabulary import STOPWORDS


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
        named = ctx.entities.get("repo")
        if picked is None and named in names and _more_than_a_name(choice, str(named), ctx):
            # "find ClientSession in the http lib", "where is the template engine's Undefined
            # class": a repository named by another name, around a search
            picked = str(named)
            ctx.slots["pending_query"] = str(ctx.entities.get("query") or choice)
        picked = picked or named
    number = None if explicit else ctx.entities.get("number")
    # "the last one", "the one before the last", "the middle one" in the list
    number = place_in_list(number, len(names)) or number
    if picked is None and isinstance(number, int) and choice.split() and len(choice) < 30:
        if 1 <= number <= len(names):
            picked = names[number - 1]
        else:
            ctx.slots["repo_error"] = f"There is no repository number {number}."
            return
    if picked is None and choice:
        picked = _described_repo(choice, ctx.ports.repo_listing(ctx.repos)) or _named_repo(
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
        forget_results(ctx, and_query=True)
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
            # "jinja 2": the name's own version digits, typed apart
            digits = str(found)[len(str(found).rstrip("0123456789")) :]
            rest_words = [w for w in words(rest) if w not in _NOT_A_QUERY and w != digits]
            return str(found), rest if rest_words else ""
    return None, ""


# Words said around a choice ("jinja2 is fine", "i'll take jinja", "codechat, the bot itself"):
# none of them makes the rest a search.
_NOT_A_QUERY = STOPWORDS | frozenset(
    {"repo", "repository", "code", "codebase", "project", "use", "fine", "good", "great",
     "works", "take", "pick", "choose", "select", "with", "that", "this", "itself", "thanks",
     "thx", "option", "sure", "yes", "yeah", "yep", "perfect", "cool", "first", "mean", "meant",
     "sorry"}
)  # fmt: skip


def _described_repo(choice: str, listing: list[dict[str, Any]]) -> str | None:
    """ "the template engine", "the bot's code": the one repository whose description or
    aliases have those words."""
    wanted = {w for w in words(choice) if len(w) > 2 and w not in _NOT_A_QUERY}
    if not wanted:
        return None
    scored = [(len(wanted & _described_by(r)), str(r["name"])) for r in listing]
    best = max((s for s, _n in scored), default=0)
    winners = [n for s, n in scored if s == best]
    return winners[0] if best and len(winners) == 1 else None


def _more_than_a_name(choice: str, name: str, ctx: ActionContext) -> bool:
    """ "where is the template engine's Undefined class", not just "the template engine"."""
    if not _reads_as_query(choice):
        return False
    said = set(words(name)).union(*(_described_by(r) for r in ctx.ports.repo_listing((name,))))
    return any(w not in said and w not in _NOT_A_QUERY for w in words(choice))


def _described_by(repo: dict[str, Any]) -> set[str]:
    said = [str(repo.get("description") or ""), *(str(a) for a in repo.get("aliases") or ())]
    return {w for text in said for w in words(text)}


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
        if set(ctx.repos) >= {r.name for r in ctx.ports.settings.repos}:
            return None
        return "Pick a repository first: send *switch repo*."
    return None if repo in ctx.repos else unknown_repo(str(repo))


def register(registry: ActionRegistry) -> None:
    registry.register(
        "select_repo",
        select_repo,
        params=frozenset({"text"}),
        doc=select_repo.__doc__ or "",
        sets=frozenset({"repo", "repo_error", "pending_query", "where_to_search"}),
    )
