"""The flows as last loaded and checked, kept on disk so an unchanged flows folder starts at once.

Loading (YAML), validation (every template parsed, every pair of intents' examples compared) and
the intent matcher's keys of the examples cost more than the rest of a terminal chat's start-up.
Their results depend only on the flow files, on what the caller checks them against (the
actions, the matcher's threshold, the engine's messages) and on the code that reads and checks
them; the key is a digest of all of these, so a change to any of them misses the cache and the
flows are loaded and checked again. The flow files are keyed by their content (read again at
every start), the code by the size and modification time of each module that takes part.

One entry is kept: the key, the loaded flows (bot/flows/flowjson.py), every problem found, and
the matcher's key of every example. A file that cannot be read or written is no error: the flows
are simply loaded and checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path

from bot.errors import Problem
from bot.flows.flowjson import NotEncodable, decode, encode
from bot.flows.model import FlowSet

log = logging.getLogger("bot.flows")

FORMAT = 3
# The code a check runs: the flows package and the text normalisation the collision check keys
# examples with. Libraries whose results feed the check: Jinja parses the templates, rapidfuzz
# scores the examples.
_PACKAGES = ("bot.flows", "bot.nlu")
_MODULES = ("bot.errors",)
_LIBRARIES = ("jinja2", "rapidfuzz", "yaml")


def code_stamps() -> list[tuple[str, int, int]]:
    """(file, size, modification time) of every module that takes part in a check."""
    files: list[Path] = []
    for name in _PACKAGES:
        spec = find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            files.extend(sorted(Path(folder).glob("*.py")))
    for name in (*_MODULES, *_LIBRARIES):
        spec = find_spec(name)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    return [_stamp(path) for path in files]


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def check_key(sources: Iterable[tuple[str, bytes]], where: object, checked_against: object) -> str:
    """The digest a load and check is cached under: the flow files' ``sources`` (name and
    content, as the loader reads them), ``where`` they are (their paths, and the folder their
    names are shown from) and ``checked_against``, everything else the check reads, as
    JSON-serialisable data (sets are sorted: the same inputs give the same key)."""
    content = hashlib.sha256()
    for name, raw in sources:
        encoded = name.encode()
        content.update(len(encoded).to_bytes(4, "big") + encoded)
        content.update(len(raw).to_bytes(8, "big") + raw)
    parts = {
        "format": FORMAT,
        "python": sys.version,
        "flows": content.hexdigest(),
        "where": where,
        "against": checked_against,
        "code": code_stamps(),
    }
    text = json.dumps(parts, sort_keys=True, default=_sorted)
    return hashlib.sha256(text.encode()).hexdigest()


def _sorted(value: object) -> object:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"not JSON: {value!r}")


@dataclass(frozen=True, slots=True)
class Checked:
    """The flows as loaded, every problem found loading and checking them (sorted as
    check_flows returns them), and the matcher's key of each example (example -> key)."""

    flows: FlowSet
    problems: list[Problem]
    example_keys: dict[str, str]


class CheckCache:
    """The last full check of the flows, under its key (see ``check_key``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, key: str) -> Checked | None:
        """The check cached under ``key``; None when there is none (or the file is unreadable,
        or from another check)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            flows = decode(data["flows"])
            problems = [Problem(**fields) for fields in data["problems"]]
            keys = data["example_keys"]
            if not isinstance(flows, FlowSet) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
            ):
                return None
            return Checked(flows, problems, dict(keys))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def put(self, key: str, checked: Checked) -> None:
        """Keep ``checked`` under ``key``, replacing the entry before (atomically: a reader
        sees the old file or the new one, never half of one)."""
        try:
            data = {
                "key": key,
                "flows": encode(checked.flows),
                "problems": [asdict(p) for p in checked.problems],
                "example_keys": checked.example_keys,
            }
        except NotEncodable as exc:
            log.debug("flows.check_cache_not_kept", extra={"fields": {"error": str(exc)}})
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, ensure_ascii=False)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.debug("flows.check_cache_unwritable", extra={"fields": {"error": str(exc)}})
