"""Qualifiers inside a query: `path:` / `file:` (glob), `-path:`, `lang:`, `kind:`, `case:`."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from bot.errors import QueryError
from bot.search.grammars import GRAMMARS, LANGUAGE_ALIASES, OTHER_LANGUAGES, language_of

KINDS = ("def", "class", "call", "import")
_KIND_ALIASES = {
    "definition": "def", "function": "def", "func": "def", "method": "def", "fn": "def",
    "calls": "call", "caller": "call", "callers": "call", "imports": "import",
    "struct": "class", "type": "class", "interface": "class",
}  # fmt: skip
_QUALIFIER = re.compile(
    r"""(?:(?<=\s)|^)(?P<neg>-)?(?P<key>path|file|lang|language|kind|case):
        (?P<value>"[^"]*"|'[^']*'|\S*)(?=\s|$)""",
    re.IGNORECASE | re.VERBOSE,
)
_YES = {"yes", "y", "true", "on", "1", "sensitive"}
_NO = {"no", "n", "false", "off", "0", "insensitive"}


@dataclass(frozen=True, slots=True)
class Filters:
    """Which files and which kind of hit a query asks for; the default allows everything."""

    paths: tuple[str, ...] = ()  # globs, any of which a path must match
    not_paths: tuple[str, ...] = ()  # globs no path may match
    langs: tuple[str, ...] = ()  # "python", "go", ...
    kind: str | None = None  # "def" | "class" | "call" | "import"
    case_sensitive: bool | None = None  # None: as the query kind decides

    @property
    def narrows_files(self) -> bool:
        return bool(self.paths or self.not_paths or self.langs)

    def allows(self, path: str) -> bool:
        """True when `path` (relative, posix) passes the path and language qualifiers."""
        if self.paths and not any(_glob(path, g) for g in self.paths):
            return False
        if any(_glob(path, g) for g in self.not_paths):
            return False
        return not self.langs or language_of(path) in self.langs


def split_qualifiers(text: str) -> tuple[str, Filters]:
    """The query without its qualifiers, and what they ask. QueryError for a qualifier whose
    value is not understood, naming the values that are."""
    paths: list[str] = []
    not_paths: list[str] = []
    langs: list[str] = []
    kind: str | None = None
    case: bool | None = None
    for m in _QUALIFIER.finditer(text):
        key, value = m["key"].lower(), m["value"].strip("\"'")
        if not value:
            raise QueryError(f"'{m[0].strip()}' needs a value, e.g. {key}:{_EXAMPLE[key]}.")
        if key in ("path", "file"):
            (not_paths if m["neg"] else paths).append(value)
        elif key in ("lang", "language"):
            langs.append(_language(value))
        elif key == "kind":
            kind = _kind(value)
        else:
            case = _case(value)
    rest = " ".join(_QUALIFIER.sub(" ", text).split())
    return rest, Filters(tuple(paths), tuple(not_paths), tuple(langs), kind, case)


_EXAMPLE = {
    "path": "aiohttp/*.py", "file": "*.py", "lang": "python", "language": "python",
    "kind": "def", "case": "yes",
}  # fmt: skip


def _language(value: str) -> str:
    low = value.lower()
    name = LANGUAGE_ALIASES.get(low, low)
    known = set(GRAMMARS) | set(OTHER_LANGUAGES.values())
    if name not in known:
        raise QueryError(f"Unknown language '{value}' in lang:; known: {', '.join(sorted(known))}.")
    return name


def _kind(value: str) -> str:
    low = value.lower()
    kind = _KIND_ALIASES.get(low, low)
    if kind not in KINDS:
        raise QueryError(f"Unknown kind '{value}' in kind:; use one of: {', '.join(KINDS)}.")
    return kind


def _case(value: str) -> bool:
    low = value.lower()
    if low in _YES:
        return True
    if low in _NO:
        return False
    raise QueryError(f"case: takes yes or no, not '{value}'.")


def _glob(path: str, pattern: str) -> bool:
    """A glob on the relative path: `*` stays inside a folder, `**` crosses folders; a pattern
    without `/` matches a file name or a folder anywhere ("*.pyi", "tests"); a plain folder name
    or prefix matches what is under it ("aiohttp/web")."""
    pat = pattern.strip("/")
    if "/" not in pat:
        parts = path.split("/")
        return any(fnmatch.fnmatchcase(p, pat) for p in parts)
    if not any(c in pat for c in "*?["):
        return path == pat or path.startswith(pat + "/")
    return _to_regex(pat).fullmatch(path) is not None


def _to_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?")
