"""Local intent matching over the examples valid in a state.

Entities first: numbers, repository names and "this"/"it" become placeholders, so "open the
third one" meets "open {n}" and "switch to jinja" meets "switch to {repo}". Then, in order:
an exact example; every word of the message being a word of one intent's examples (typos
corrected word by word), which is how "load more", "next results" or "i want to search
something else" are understood without an example each; a rapidfuzz ratio over whole
examples; one edit for short words ("hepl"). Text that reads as code is never a command.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.nlu import entities as ent
from bot.nlu.codeish import is_literal, looks_like_code
from bot.nlu.learned import OTHER, LazyLearned
from bot.nlu.match import IntentMatch
from bot.nlu.queries import extract_query, labelled
from bot.nlu.text import normalize, unstretched
from bot.nlu.vocabulary import STOPWORDS, Vocabulary

MAX_COMMAND_CHARS = 80  # longer texts are never commands: they go to `otherwise`
_CLAUSES = re.compile(r"[,;.!]+\s+|\s+(?:and then|then)\s+")
PLACEHOLDER = ent.NUMBER
# How sure the classifier must be to overrule a match by words or likeness.
SECOND_OPINION = 0.97
# How sure it must be of a command that takes a number, when the text has one.
NUMBERED_CONFIDENCE = 0.5
# How sure it must be that text is no command to overrule a match by some of a command's words.
OTHER_CONFIDENCE = 0.9


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
        learned: LazyLearned | None = None,
        learned_confidence: float = 0.75,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        """``keys``: the example_key of examples, when known already (the others are made)."""
        self._threshold = threshold
        self._learned = learned
        self._learned_confidence = learned_confidence
        self._intents = frozenset(examples)
        self._margin = margin
        self._preferred = frozenset(preferred)
        self._exact: dict[str, str] = {}
        self._choices: list[str] = []
        self._owners: list[str] = []
        self._core: dict[str, str] = {}  # examples without their filler words
        for intent, phrases in examples.items():
            for phrase in phrases:
                key = keys[phrase] if keys is not None and phrase in keys else example_key(phrase)
                if not key:
                    continue
                if key not in self._exact or intent in self._preferred:
                    self._exact[key] = intent
                core = _core(key)
                if _has_words(core) and (core not in self._core or intent in self._preferred):
                    self._core[core] = intent
                self._choices.append(key)
                self._owners.append(intent)
        self._near: dict[int, tuple[list[int], list[str]]] = {}  # see _one_letter_apart
        # Every word of the examples (those of the vocabulary, which is built on first use).
        self.words: frozenset[str] = frozenset(w for key in self._choices for w in key.split())

    # What only a message no example matches needs is made when one first comes: a greeting,
    # a menu number or "help" is answered without it.

    @functools.cached_property
    def _words(self) -> Vocabulary:
        return Vocabulary(self._choices, self._owners, preferred=self._preferred)

    @functools.cached_property
    def _sorted(self) -> _ByLength:
        """Each choice's words sorted (token_sort_ratio, precomputed), by length."""
        return _ByLength([_sorted_words(key) for key in self._choices])

    @functools.cached_property
    def _by_length(self) -> dict[int, list[int]]:
        """For one edit: an example one edit away is at most one letter off in length."""
        by_length: dict[int, list[int]] = {}
        for index, choice in enumerate(self._choices):
            by_length.setdefault(len(choice), []).append(index)
        return by_length

    def match(
        self, text: str, *, repos: Sequence[str] = (), aliases: Mapping[str, str] | None = None
    ) -> IntentMatch:
        """What ``text`` asks for; ``repos`` are the sender's repositories and ``aliases`` the
        other names they go by (alias -> repository)."""
        return self._match(text, _Message(repos, aliases))

    def _match(self, text: str, message: _Message) -> IntentMatch:
        """``match``, for ``text`` of ``message`` (the whole of it, or one of its clauses)."""
        repos, aliases = message.repos, message.aliases
        raw = text.strip()
        if not raw or len(raw) > MAX_COMMAND_CHARS * 3:
            return IntentMatch(None, 0.0)
        scoped = extract_query(raw, repos, aliases)
        if scoped is not None and (scoped.get("repo") or labelled(raw)):
            return IntentMatch(None, 0.0, scoped, how="query")
        if is_literal(raw) or looks_like_code(raw):
            # Still a repository named around the code: "`_cancel_tasks` in aiohttp".
            named = ent.find_repos(normalize(raw).split(), repos, aliases=aliases).values
            return IntentMatch(None, 0.0, dict(named), how="code")
        if len(raw) > MAX_COMMAND_CHARS:
            return IntentMatch(None, 0.0)
        keyed, found = self._keyed_once(raw, message)
        if not keyed:
            return IntentMatch(None, 0.0)
        entities = dict(found)
        exact = self._example_of(keyed)
        if exact is not None:
            return IntentMatch(exact, 100.0, entities, how="exact")
        by_words = self._words.by_words(keyed, entities)
        if by_words is not None and by_words.sure:
            return self._second_opinion(by_words, keyed)
        # "never mind that, explain 5 instead": a clause that is surely a command, last.
        by_clause = self._by_clause(raw, message)
        if by_clause is not None:
            return by_clause
        if by_words is not None:
            return self._second_opinion(by_words, keyed)
        fuzzy = self._fuzzy(keyed, entities)
        if fuzzy.intent is None and scoped is not None:
            return IntentMatch(None, fuzzy.score, {**entities, **scoped}, how="query")
        if fuzzy.intent is None:
            headed = self._words.headed(keyed, entities)
            reading = self._reading(keyed)
            learned = self._learned_match(keyed, entities, found=reading)
            if learned is None and headed is not None:
                return self._second_opinion(headed, keyed, reading)
            return learned or fuzzy
        return self._second_opinion(fuzzy, keyed)

    def _second_opinion(
        self, match: IntentMatch, keyed: str, found: tuple[str, float] | None = None
    ) -> IntentMatch:
        """A match by words or likeness, not by an example, that the classifier reads as
        another command with near certainty ("start again": the words of a new search, said
        as people say "start over"): the classifier's reading."""
        found = found or self._reading(keyed)
        # "how are numbered options parsed": some words of a command, and the classifier is
        # sure it is a question like those people ask about code.
        surely_other = found is not None and found[0] == OTHER and found[1] >= OTHER_CONFIDENCE
        if match.how == "partial" and surely_other:
            return IntentMatch(None, match.score, match.entities, how="learned")
        learned = self._learned_match(keyed, dict(match.entities), SECOND_OPINION, found)
        if learned is None:
            return match
        if learned.intent != match.intent:
            return learned
        if match.how == "partial":  # both read the same command: its other words are its own
            return replace(match, how="agreed")
        return match

    def keyed(self, text: str, repos: Sequence[str] = ()) -> str:
        """``text`` as the matcher keys it: normalised, entities as placeholders ("open the
        third one" -> "open the {n}"), as `phrasings:` are written."""
        return self._keyed(text.strip(), repos, None)[0]

    def takes(self, intent: str, placeholder: str) -> bool:
        """Whether ``intent`` takes ``placeholder`` (`{n}`, `{repo}`): three or more of its
        examples carry it."""
        return placeholder in self._words.slots.get(intent, frozenset())

    def own_words(self, intent: str) -> frozenset[str]:
        """The words of ``intent``'s examples, as the matcher keys them."""
        return frozenset(self._words.vocab.get(intent, ()))

    def likeliest(
        self,
        text: str,
        among: Iterable[str],
        *,
        other: bool = False,
        repos: Sequence[str] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> tuple[str, float] | None:
        """Which of ``among`` (and other text, with ``other``) the classifier finds likeliest
        for ``text``, however unsure, and how likely; None without a classifier or when it
        knows none of them. ``repos`` and ``aliases``: the names read as a repository."""
        if self._learned is None or self._learned_confidence >= 1:
            return None
        keyed, _found = self._keyed(text.strip(), repos, aliases)
        return self._learned.predict(keyed, frozenset(among), other=other)

    def reading(self, text: str, *, repos: Sequence[str] = ()) -> tuple[str, float] | None:
        """The classifier's reading of ``text`` among this state's intents and other text, and
        how likely; None when it is off or knows none of them."""
        return self._reading(self.keyed(text, repos))

    def _reading(self, keyed: str) -> tuple[str, float] | None:
        """The classifier's reading of ``keyed`` among this state's intents and other text;
        None when it is off or knows none of them."""
        if self._learned is None or self._learned_confidence >= 1:
            return None
        return self._learned.predict(keyed, self._intents)

    def _learned_match(
        self,
        keyed: str,
        entities: dict[str, Any],
        confidence: float | None = None,
        found: tuple[str, float] | None = None,
    ) -> IntentMatch | None:
        """What no example matched, read by the classifier learned from labelled messages
        (``found``, when the caller read it already); taken only when it is sure, and not sure
        in the caller's sense: the words it does not know from the intent's examples are
        checked against the code, as a partial match's."""
        found = found or self._reading(keyed)
        floor = self._learned_confidence if confidence is None else confidence
        if found is None or found[0] == OTHER:
            return None
        intent, probability = found
        vocab = self._words.vocab.get(intent, set())
        if confidence is None and ent.NUMBER in keyed.split() and ent.NUMBER in vocab:
            # "give me the gist of 3": a number, and a command that takes one is the likelier
            # reading
            floor = min(floor, NUMBERED_CONFIDENCE)
        if probability < floor:
            return None
        if entities.get("repo_by_name") and ent.REPO not in vocab:
            # "how would i do the same in aiohttp": a repository named where the command takes
            # none is where to ask or search, not a command.
            return None
        unknown = tuple(
            w for w in keyed.split() if w not in vocab and w not in STOPWORDS and w[0] != "{"
        )
        return IntentMatch(
            intent, 100.0 * probability, entities, how="learned", unknown_words=unknown
        )

    def _by_clause(self, raw: str, message: _Message) -> IntentMatch | None:
        """ "perfect, bye", "never mind that, explain 5 instead": the last clause that is
        surely a command decides."""
        clauses = [c for c in _CLAUSES.split(raw) if c.strip()]
        if len(clauses) < 2:
            return None
        if not any(self._may_be_sure(clause, message) for clause in clauses):
            return None  # no clause is surely a command: no need to read each in full
        found = []
        for clause in clauses:
            match = self._match(clause, message)
            if match.intent is None:
                return None  # "hi, how does jinja2 load templates?": a greeting, a question
            found.append(match)
        for clause, match in zip(reversed(clauses), reversed(found), strict=True):
            if match.sure:
                return match
            if len(clause.split()) > 2:
                return None  # "good morning! what does the lexer do": a sentence comes last
        return None

    def _example_of(self, keyed: str) -> str | None:
        """The intent with ``keyed`` as an example, also when only filler words differ."""
        core = _core(keyed)
        return self._exact.get(keyed) or (self._core.get(core) if _has_words(core) else None)

    def _may_be_sure(self, clause: str, message: _Message) -> bool:
        """Whether ``clause`` could be surely a command: an example, or every word one
        intent's (the full reading, `match`, is sure only then)."""
        keyed, found = self._keyed_once(clause.strip(), message)
        if not keyed:
            return False
        if self._example_of(keyed) is not None:
            return True
        by_words = self._words.by_words(keyed, dict(found))
        return by_words is not None and by_words.sure

    def _keyed_once(self, raw: str, message: _Message) -> tuple[str, dict[str, Any]]:
        """``_keyed``, remembered for the rest of ``message``."""
        found = message.keyed.get(raw)
        if found is None:
            found = message.keyed[raw] = self._keyed(raw, message.repos, message.aliases)
        return found

    def _keyed(
        self, raw: str, repos: Sequence[str], aliases: Mapping[str, str] | None
    ) -> tuple[str, dict[str, Any]]:
        tokens = [unstretched(t, self.words) for t in normalize(raw).split()]
        values: dict[str, Any] = {}
        for step in (
            lambda t: ent.find_repos(t, repos, aliases=aliases),
            lambda t: ent.Found(ent.split_glued(t, self.words)),
            ent.find_numbers,
            ent.find_reference,
        ):
            found = step(tokens)
            tokens = found.tokens
            values.update(found.values)
        return " ".join(tokens), values

    def _fuzzy(self, keyed: str, entities: dict[str, Any]) -> IntentMatch:
        if not self._choices:
            return IntentMatch(None, 0.0, entities)
        # token_sort_ratio is the ratio of the words sorted: sorting each example once, not on
        # every message, halves the cost of the likeness pass.
        found = self._sorted.ratios(_sorted_words(keyed), self._threshold - self._margin)
        best: dict[str, float] = {}
        for score, index in found[:8]:
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
        unknown = tuple(w for w in keyed.split() if w not in self._words.vocab.get(winner, ()))
        return IntentMatch(
            winner, float(score), entities, close, how="fuzzy", unknown_words=unknown
        )

    def _one_edit(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """Short words with one typo (two letters of "help" swapped) score low on ratios;
        accept one edit (a transposition counts as one) when it points to a single intent."""
        if len(keyed) < 4:
            return None
        near, texts = self._one_letter_apart(len(keyed))
        owners = {
            self._owners[near[at]]
            for _choice, _distance, at in process.extract(
                keyed,
                texts,
                scorer=OSA.distance,
                processor=None,
                limit=4,
                score_cutoff=1,
            )
        }
        if len(owners) != 1:
            return None
        owner = owners.pop()
        unknown = tuple(w for w in keyed.split() if w not in self._words.vocab.get(owner, ()))
        return IntentMatch(owner, self._threshold, entities, how="edit", unknown_words=unknown)

    def _one_letter_apart(self, length: int) -> tuple[list[int], list[str]]:
        """The examples at most one letter longer or shorter than ``length`` (their indexes and
        texts, in the examples' order), gathered once per length."""
        found = self._near.get(length)
        if found is None:
            near = sorted(
                i
                for size in (length - 1, length, length + 1)
                for i in self._by_length.get(size, ())
            )
            found = self._near[length] = (near, [self._choices[i] for i in near])
        return found


@dataclass
class _Message:
    """One message being matched: the sender's repositories, the other names they go by, and
    the texts of it keyed so far (its clauses are keyed once, though read twice)."""

    repos: Sequence[str]
    aliases: Mapping[str, str] | None
    keyed: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


class _ByLength:
    """Texts ordered by length: a ratio of at least some cutoff is only possible between texts
    of near lengths, so only those are compared."""

    def __init__(self, texts: list[str]) -> None:
        self._order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        self._texts = [texts[i] for i in self._order]
        self._lengths = [len(t) for t in self._texts]

    def ratios(self, text: str, cutoff: float) -> list[tuple[float, int]]:
        """(fuzz.ratio, index) of the texts at ``cutoff`` or above, best first, ties in the
        order the texts were given."""
        size = len(text)
        # ratio <= 200 * shorter / (both lengths): the lengths that can reach the cutoff.
        low = bisect.bisect_left(self._lengths, math.floor(size * cutoff / (200.0 - cutoff)))
        high = bisect.bisect_right(
            self._lengths, math.ceil(size * (200.0 - cutoff) / max(cutoff, 1.0))
        )
        found = process.extract(
            text,
            self._texts[low:high],
            scorer=fuzz.ratio,
            processor=None,
            limit=None,
            score_cutoff=cutoff,
        )
        ranked = [(score, self._order[low + at]) for _text, score, at in found]
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        return ranked


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


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
