"""`python -m bot search QUERY`: search the configured repositories from the terminal."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, TextIO

from bot.search.types import KINDS

if TYPE_CHECKING:
    from bot.search.service import SearchService
    from bot.search.types import SearchResponse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "search",
        help="search code: /regex/, 'where is X defined', or a question in plain words",
    )
    parser.add_argument("query", nargs="+", help="what to look for")
    parser.add_argument("--repo", help="only this repository")
    parser.add_argument("--kind", choices=KINDS, help="force the query kind (default: guessed)")
    parser.add_argument("--limit", type=int, default=20, help="at most this many hits")
    parser.add_argument("--json", action="store_true", help="print the response as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.search.service import SearchService

    settings = load_settings(args.config)
    service = SearchService.from_settings(settings, watch_changes=False)
    query = " ".join(args.query)
    response = asyncio.run(_search(service, query, args.repo, args.kind, args.limit))
    if args.json:
        json.dump(dataclasses.asdict(response), sys.stdout, indent=2)
        print()
    else:
        render(response, sys.stdout)
    return 0


async def _search(
    service: SearchService, query: str, repo: str | None, kind: str | None, limit: int
) -> SearchResponse:
    try:
        await service.index([repo] if repo and repo in service.repos else None)
        return await service.search(query, repo=repo, kind=kind, limit=limit)
    finally:
        await service.close()


def render(response: SearchResponse, out: TextIO) -> None:
    for hit in response.hits:
        if hit.kind == "definition":
            where = "  [definition]"
        else:
            where = f"  [in {hit.symbol}]" if hit.symbol else ""
        print(f"{hit.repo}/{hit.path}:{hit.line}: {hit.text}{where}", file=out)
    shown = len(response.hits)
    more = f" of {response.total}{'+' if response.capped else ''}" if response.total > shown else ""
    notes = [n for n in response.note.split("; ") if n]
    if response.incomplete:
        notes.append("still indexing: results may be missing")
    tail = f" ({'; '.join(notes)})" if notes else ""
    print(f"-- {shown}{more} {response.kind} hits in {response.elapsed_ms:.1f} ms{tail}", file=out)
