"""Local intent matching over the examples valid in a state.

Entities first: numbers, repository names and "this"/"it" become placeholders, so "open the
third one" meets "open {n}" and "switch to jinja" meets "switch to {repo}". Then, in order:
an exact example; every word of the message being a word of one intent's examples (typos
corrected word by word), which is how "load more", "next results" or "i want to search
something else" are understood without an example each; a rapidfuzz ratio over whole
examples; one edit for short words ("hepl"). Text that reads as code is never a command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.nlu import entities as ent
from bot.nlu.codeish import is_literal, looks_like_code
from bot.nlu.queries import extract_query
from bot.nlu.text import normalize

MAX_COMMAND_CHARS = 80  # longer texts are never commands: they go to `otherwise`
_CLAUSES = re.compile(r"[,;.!]+\s+|\s+(?:and then|then)\s+")
PLACEHOLDER = ent.NUMBER
# Words that carry no command of their own: "can you show me the next page" is "next page".
_STOP_TEXT = (
    "the a an to me i you u can could would will do does did let lets lemme gimme now just my "
    "of for on at in is are am be want wanna would like id im ill so and then bot please us ok "
    "we some ya yo oh hmm hm ah uh um well pls really maybe also too quick quickly one have "
    "actually wait instead its thats here there el la le les los las lo il der die das den "
    "de du des o os as e et y und okay ugh oops guess go lets se "
)
STOPWORDS = frozenset(_STOP_TEXT.split())
WORDS_SCORE = 95.0  # every word known to one intent: nearly as sure as an exact example


@dataclass(frozen=True, slots=True)
class IntentMatch:
    intent: str | None
    score: float
    entities: Mapping[str, Any] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()  # close runners-up when ambiguous
    how: str = ""  # exact | words | fuzzy | edit, or code / query when no intent
    unknown_words: tuple[str, ...] = ()  # words no example of the winner has

    @property
    def ambiguous(self) -> bool:
        return bool(self.alternatives)

    @property
    def sure(self) -> bool:
        """An exact example, or every word known to this intent alone."""
        return self.how in ("exact", "words") and not self.alternatives


def with_placeholders(normalized: str) -> tuple[str, list[int]]:
    """Numbers in already normalised text as `{n}` (for examples and collision checks)."""
    found = ent.find_numbers(normalized.split())
    return " ".join(found.tokens), found.numbers


class IntentMatcher:
    """Matches text against a fixed set of intents; built once per state per flow version."""

    def __init__(
        self,
        examples: Mapping[str, Iterable[str]],
        *,
        threshold: float,
        margin: float,
        preferred: Iterable[str] = (),
    ) -> None:
        self._threshold = threshold
        self._margin = margin
        self._preferred = frozenset(preferred)
        self._exact: dict[str, str] = {}
        self._choices: list[str] = []
        self._owners: list[str] = []
        self._vocab: dict[str, set[str]] = {}
        self._core: dict[str, str] = {}  # examples without their filler words
        for intent, phrases in examples.items():
            for phrase in phrases:
                key = example_key(phrase)
                if not key:
                    continue
                if key not in self._exact or intent in self._preferred:
                    self._exact[key] = intent
                core = _core(key)
                if _has_words(core) and (core not in self._core or intent in self._preferred):
                    self._core[core] = intent
                self._choices.append(key)
                self._owners.append(intent)
                self._vocab.setdefault(intent, set()).update(key.split())
        # Words of each intent's examples that are neither filler nor shared by every intent.
        self.words: frozenset[str] = frozenset(w for v in self._vocab.values() for w in v)
        self._content = frozenset(self.words - STOPWORDS - ent.PLACEHOLDERS)
        self._spellable = sorted(self._content)  # a fixed order: the same fix in every process
        # Each intent's own words: not filler, and used by at most three intents.
        spread: dict[str, int] = {}
        for vocab in self._vocab.values():
            for word in vocab:
                spread[word] = spread.get(word, 0) + 1
        self._keywords = {
            intent: frozenset(w for w in vocab if w in self._content and spread[w] <= 3)
            for intent, vocab in self._vocab.items()
        }
        # Head words: in three or more examples of one intent and in no other intent's.
        uses: dict[tuple[str, str], int] = {}
        for choice, owner in zip(self._choices, self._owners, strict=True):
            for word in set(choice.split()):
                uses[(owner, word)] = uses.get((owner, word), 0) + 1
        self._heads: dict[str, str] = {
            word: owner
            for (owner, word), count in uses.items()
            if count >= 3 and spread.get(word) == 1 and word in self._content and len(word) >= 5
        }

    def match(self, text: str, *, repos: Sequence[str] = ()) -> IntentMatch:
        raw = text.strip()
        if not raw or len(raw) > MAX_COMMAND_CHARS * 3:
            return IntentMatch(None, 0.0)
        scoped = extract_query(raw, repos)
        if scoped is not None and scoped.get("repo"):
            return IntentMatch(None, 0.0, scoped, how="query")
        if is_literal(raw) or looks_like_code(raw):
            # Still a repository named around the code: "`_cancel_tasks` in aiohttp".
            named = ent.find_repos(normalize(raw).split(), repos).values
            return IntentMatch(None, 0.0, dict(named), how="code")
        if len(raw) > MAX_COMMAND_CHARS:
            return IntentMatch(None, 0.0)
        keyed, found = self._keyed(raw, repos)
        if not keyed:
            return IntentMatch(None, 0.0)
        entities = dict(found)
        core = _core(keyed)
        exact = self._exact.get(keyed) or (self._core.get(core) if _has_words(core) else None)
        if exact is not None:
            return IntentMatch(exact, 100.0, entities, how="exact")
        by_words = self._by_words(keyed, entities)
        if by_words is not None:
            return by_words
        fuzzy = self._fuzzy(keyed, entities)
        if fuzzy.intent is None and scoped is not None:
            return IntentMatch(None, fuzzy.score, {**entities, **scoped}, how="query")
        if fuzzy.intent is None:
            return self._by_clause(raw, repos) or self._headed(keyed, entities) or fuzzy
        return fuzzy

    def _by_clause(self, raw: str, repos: Sequence[str]) -> IntentMatch | None:
        """ "perfect, bye", "never mind that, explain 5 instead": the last clause that is
        surely a command decides."""
        clauses = [c for c in _CLAUSES.split(raw) if c.strip()]
        if len(clauses) < 2:
            return None
        found = [self.match(clause, repos=repos) for clause in clauses]
        if any(f.intent is None for f in found):
            return None  # "hi, how does jinja2 load templates?": a greeting, then a question
        return next((f for f in reversed(found) if f.sure), None)

    def _headed(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """A word that only one intent's examples use, again and again ("explain", "cancel"),
        in a short message with no other intent's such word: that intent, not sure; the
        other words are kept so the caller can check they do not name code."""
        tokens = keyed.split()
        content = [t for t in tokens if t not in STOPWORDS and t not in ent.PLACEHOLDERS]
        if not content or len(content) > 8:
            return None
        # Typos are fixed by the stricter matches; here a fix would be a guess too far.
        heads = {self._heads[t] for t in content if t in self._heads}
        if len(heads) != 1:
            return None
        intent = heads.pop()
        placeholders = {t for t in tokens if t in ent.PLACEHOLDERS}
        if not placeholders <= self._vocab[intent] | {ent.REF}:
            return None
        unknown = tuple(t for t in content if t not in self._vocab[intent])
        if len(unknown) > 2:
            return None  # "explain how the loader finds the file": a question about code
        return IntentMatch(intent, 75.0, entities, how="partial", unknown_words=unknown)

    def _keyed(self, raw: str, repos: Sequence[str]) -> tuple[str, dict[str, Any]]:
        tokens = normalize(raw).split()
        values: dict[str, Any] = {}
        for step in (
            lambda t: ent.find_repos(t, repos),
            lambda t: ent.Found(ent.split_glued(t, self.words)),
            ent.find_numbers,
            ent.find_reference,
        ):
            found = step(tokens)
            tokens = found.tokens
            values.update(found.values)
        return " ".join(tokens), values

    def _by_words(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """Every content word of the message is a word of one intent's examples (after fixing
        one typo per word), and at least one of them is a content word of that intent."""
        tokens = keyed.split()
        content = [t for t in tokens if t not in STOPWORDS and t not in ent.PLACEHOLDERS]
        placeheld = [t for t in tokens if t in ent.PLACEHOLDERS]
        if not content or len(content) > 5 or len(content) + len(placeheld) < 2:
            return None  # a single word is a command only as an example ("return" is code)
        fixed = [self._spell(t) for t in content]
        placeholders = {t for t in tokens if t in ent.PLACEHOLDERS}
        owners = [
            intent
            for intent, vocab in self._vocab.items()
            if all(t in vocab for t in fixed) and placeholders <= vocab
        ]
        if not owners:
            return self._partial(keyed, content, fixed, placeholders, entities)
        edited = tuple(c for f, c in zip(fixed, content, strict=True) if f != c)
        score = WORDS_SCORE - (10.0 if edited else 0.0)
        if len(owners) > 1:
            ranked = self._rank(" ".join(t for t in tokens), owners)
            winner = ranked[0]
            rest = tuple((o, score) for o in ranked[1:] if o not in self._preferred)
            if winner in self._preferred and rest and not edited:
                rest = ()
            how = "edit" if edited else "words"
            return IntentMatch(winner, score, entities, rest, how=how, unknown_words=edited)
        how = "edit" if edited else "words"
        return IntentMatch(owners[0], score, entities, how=how, unknown_words=edited)

    def _partial(
        self,
        keyed: str,
        content: list[str],
        fixed: list[str | None],
        placeholders: set[str],
        entities: dict[str, Any],
    ) -> IntentMatch | None:
        """Most words of the message are an intent's own words, the rest are not commands'
        words ("hmm i dont understand this code, walk me through it"): that intent, not sure,
        with the other words kept so the caller can check they are not code."""
        counts: dict[str, int] = {}
        for intent, keys in self._keywords.items():
            if placeholders <= self._vocab[intent]:
                hits = sum(1 for f in fixed if f is not None and f in keys)
                if hits >= 2:
                    counts[intent] = hits
        if not counts:
            return None
        top = max(counts.values())
        owners = self._rank(keyed, [i for i, n in counts.items() if n == top])
        vocab = self._vocab[owners[0]]
        unknown = tuple(c for c, f in zip(content, fixed, strict=True) if f not in vocab)
        if len(unknown) > max(1, len(content) // 2):
            return None  # mostly words of no command: a query
        rest = tuple((o, 80.0) for o in owners[1:])
        score = 80.0 - 5.0 * len(unknown)
        return IntentMatch(owners[0], score, entities, rest, how="partial", unknown_words=unknown)

    def _rank(self, keyed: str, owners: list[str]) -> list[str]:
        def best(owner: str) -> float:
            return max(
                fuzz.token_sort_ratio(keyed, choice)
                for choice, o in zip(self._choices, self._owners, strict=True)
                if o == owner
            )

        return sorted(owners, key=lambda o: (-best(o), o not in self._preferred))

    def _spell(self, word: str) -> str | None:
        if word in self.words:
            return word
        if len(word) < 4 or not word.isalpha():
            return None
        limit = 1 if len(word) < 8 else 2
        found = process.extract(
            word,
            self._spellable,
            scorer=OSA.distance,
            processor=None,
            limit=None,
            score_cutoff=limit,
        )
        if not found:
            return None
        best = min(d for _w, d, _i in found)
        closest = {w for w, d, _i in found if d == best}
        return closest.pop() if len(closest) == 1 else None

    def _fuzzy(self, keyed: str, entities: dict[str, Any]) -> IntentMatch:
        if not self._choices:
            return IntentMatch(None, 0.0, entities)
        found = process.extract(
            keyed,
            self._choices,
            scorer=fuzz.token_sort_ratio,
            processor=None,
            limit=8,
            score_cutoff=self._threshold - self._margin,
        )
        best: dict[str, float] = {}
        for _choice, score, index in found:
            owner = self._owners[index]
            if score > best.get(owner, -1.0):
                best[owner] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0] not in self._preferred))
        if not ranked or ranked[0][1] < self._threshold:
            return self._one_edit(keyed, entities) or IntentMatch(
                None, ranked[0][1] if ranked else 0.0, entities, how="none"
            )
        winner, score = ranked[0]
        close = tuple((i, s) for i, s in ranked[1:] if score - s < self._margin)
        unknown = tuple(w for w in keyed.split() if w not in self._vocab.get(winner, ()))
        return IntentMatch(
            winner, float(score), entities, close, how="fuzzy", unknown_words=unknown
        )

    def _one_edit(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """Short words with one typo (two letters of "help" swapped) score low on ratios;
        accept one edit (a transposition counts as one) when it points to a single intent."""
        if len(keyed) < 4:
            return None
        owners = {
            self._owners[index]
            for _choice, _distance, index in process.extract(
                keyed, self._choices, scorer=OSA.distance, processor=None, limit=4, score_cutoff=1
            )
        }
        if len(owners) != 1:
            return None
        owner = owners.pop()
        unknown = tuple(w for w in keyed.split() if w not in self._vocab.get(owner, ()))
        return IntentMatch(owner, self._threshold, entities, how="edit", unknown_words=unknown)


def _has_words(key: str) -> bool:
    """A key with a word besides placeholders: "{n}" alone says nothing about the intent."""
    return any(t not in ent.PLACEHOLDERS for t in key.split())


def _core(key: str) -> str:
    return " ".join(t for t in key.split() if t not in STOPWORDS)


def example_key(phrase: str) -> str:
    """An example as the matcher keeps it: normalised, numbers and "this" as placeholders;
    `{n}` and `{repo}` written in the example stay placeholders."""
    marked = phrase.replace("{n}", " 7 ").replace("{repo}", " qqrepoqq ").replace("{ref}", " this ")
    tokens = ent.find_reference(ent.find_numbers(normalize(marked).split()).tokens).tokens
    key = " ".join(tokens).replace("qqrepoqq", ent.REPO)
    return key if key.replace(ent.NUMBER, "").strip() or ent.NUMBER in key else ""
