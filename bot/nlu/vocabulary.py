"""The words of a state's intents: which intent owns which word, and matching by words.

"load more", "next results" and "i want to search something else" are understood from the
words of the intents' examples, without an example each; a word only one intent uses again and
again ("explain", "cancel") decides a short message.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.nlu import entities as ent
from bot.nlu.match import IntentMatch
from bot.nlu.spelling import Speller

# Words that carry no command of their own: "can you show me the next page" is "next page".
_STOP_TEXT = (
    "the a an to me i you u can could would will do does did let lets lemme gimme now just my "
    "of for on at in is are am be want wanna would like id im ill so and then bot please us ok "
    "we some ya yo oh hmm hm ah uh um well pls really maybe also too quick quickly one have "
    "actually wait instead its thats here there el la le les los las lo il der die das den "
    "de du des o os as e et y und okay ugh oops guess go lets se again "
)
STOPWORDS = frozenset(_STOP_TEXT.split())
WORDS_SCORE = 95.0  # every word known to one intent: nearly as sure as an exact example


class Vocabulary:
    """Built from a matcher's examples (normalised keys and the intent owning each)."""

    def __init__(
        self, choices: list[str], owners: list[str], *, preferred: Iterable[str] = ()
    ) -> None:
        self._choices = choices
        self._owners = owners
        self._preferred = frozenset(preferred)
        self.vocab: dict[str, set[str]] = {}
        for key, owner in zip(choices, owners, strict=True):
            self.vocab.setdefault(owner, set()).update(key.split())
        # The placeholders an intent takes: those two or more of its examples have. One example
        # has one by chance ("that is all", "back to the last results"): "can i see it" is no
        # goodbye, nor "show 2 again" a way back.
        carried: dict[tuple[str, str], int] = {}
        for key, owner in zip(choices, owners, strict=True):
            for token in set(key.split()) & ent.PLACEHOLDERS:
                carried[(owner, token)] = carried.get((owner, token), 0) + 1
        self.slots: dict[str, frozenset[str]] = {
            intent: frozenset(t for t in ent.PLACEHOLDERS if carried.get((intent, t), 0) >= 3)
            for intent in self.vocab
        }
        # Words of each intent's examples that are neither filler nor shared by every intent.
        self.words: frozenset[str] = frozenset(w for v in self.vocab.values() for w in v)
        self._content = frozenset(self.words - STOPWORDS - ent.PLACEHOLDERS)
        self._near: dict[tuple[int, int], list[str]] = {}  # see _near_in_length
        self._by_length: dict[int, list[str]] = {}
        for word in sorted(self._content):
            self._by_length.setdefault(len(word), []).append(word)
        self._users: dict[str, set[str]] = {}  # word -> the intents whose examples use it
        for intent, vocab in self.vocab.items():
            for word in vocab:
                self._users.setdefault(word, set()).add(intent)
        # Each intent's examples with their words sorted, for token_sort_ratio as a plain ratio.
        self._sorted: dict[str, list[str]] = {}
        for choice, owner in zip(choices, owners, strict=True):
            self._sorted.setdefault(owner, []).append(" ".join(sorted(choice.split())))
        # Each intent's own words: not filler, and used by at most three intents.
        spread: dict[str, int] = {}
        for vocab in self.vocab.values():
            for word in vocab:
                spread[word] = spread.get(word, 0) + 1
        self._keywords = {
            intent: frozenset(w for w in vocab if w in self._content and spread[w] <= 3)
            for intent, vocab in self.vocab.items()
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

    def by_words(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
        """Every content word of the message is a word of one intent's examples (after fixing
        one typo per word), and at least one of them is a content word of that intent."""
        tokens = keyed.split()
        content = [t for t in tokens if t not in STOPWORDS and t not in ent.PLACEHOLDERS]
        placeheld = [t for t in tokens if t in ent.PLACEHOLDERS]
        if not content or len(content) > 5 or len(content) + len(placeheld) < 2:
            return None  # a single word is a command only as an example ("return" is code)
        fixed = [self.spell(t) for t in content]
        placeholders = {t for t in tokens if t in ent.PLACEHOLDERS}
        common = self._users_of_all(fixed)
        owners = [i for i in self.vocab if i in common and placeholders <= self.slots[i]]
        if not owners:
            return self._partial(keyed, content, fixed, placeholders, entities)
        edited = tuple(c for f, c in zip(fixed, content, strict=True) if f != c)
        score = WORDS_SCORE - (10.0 if edited else 0.0)
        if len(owners) > 1:
            ranked = self.rank(" ".join(t for t in tokens), owners)
            winner = ranked[0]
            rest = tuple((o, score) for o in ranked[1:] if o not in self._preferred)
            if winner in self._preferred and rest and not edited:
                rest = ()
            how = "edit" if edited else "words"
            return IntentMatch(winner, score, entities, rest, how=how, unknown_words=edited)
        how = "edit" if edited else "words"
        return IntentMatch(owners[0], score, entities, how=how, unknown_words=edited)

    def _users_of_all(self, words: list[str | None]) -> set[str]:
        """The intents whose examples use every one of ``words`` (None: a word none uses)."""
        common: set[str] | None = None
        for word in words:
            users = self._users.get(word) if word is not None else None
            if not users:
                return set()
            common = set(users) if common is None else common & users
        return common or set()

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
            if placeholders <= self.slots[intent]:
                hits = sum(1 for f in fixed if f is not None and f in keys)
                if hits >= 2:
                    counts[intent] = hits
        if not counts:
            return None
        top = max(counts.values())
        owners = self.rank(keyed, [i for i, n in counts.items() if n == top])
        vocab = self.vocab[owners[0]]
        unknown = tuple(c for c, f in zip(content, fixed, strict=True) if f not in vocab)
        if len(unknown) > max(1, len(content) // 2):
            return None  # mostly words of no command: a query
        rest = tuple((o, 80.0) for o in owners[1:])
        score = 80.0 - 5.0 * len(unknown)
        return IntentMatch(owners[0], score, entities, rest, how="partial", unknown_words=unknown)

    def rank(self, keyed: str, owners: list[str]) -> list[str]:
        words = " ".join(sorted(keyed.split()))

        def best(owner: str) -> float:
            found = process.extractOne(words, self._sorted[owner], scorer=fuzz.ratio)
            return found[1] if found else 0.0

        return sorted(owners, key=lambda o: (-best(o), o not in self._preferred))

    def spell(self, word: str) -> str | None:
        """``word`` if the examples use it, else the one content word of theirs nearest to it
        (one edit for a word under eight letters, two for a longer one); None when none is, or
        several are as near."""
        if word in self.words:
            return word
        if len(word) < 4 or not word.isalpha():
            return None
        if len(word) < 8:
            return self._speller.nearest(word)
        found = process.extract(
            word,
            self._near_in_length(len(word), 2),
            scorer=OSA.distance,
            processor=None,
            limit=None,
            score_cutoff=2,
        )
        if not found:
            return None
        best = min(d for _w, d, _i in found)
        closest = {w for w, d, _i in found if d == best}
        return closest.pop() if len(closest) == 1 else None

    @functools.cached_property
    def _speller(self) -> Speller:
        """One edit from the words of three letters or more, indexed on first use: a chat whose
        words are all known never needs it."""
        return Speller((w for w in self._content if len(w) >= 3), 1)

    def _near_in_length(self, length: int, limit: int) -> list[str]:
        """The words at most ``limit`` letters longer or shorter than ``length``, gathered once
        per length."""
        near = self._near.get((length, limit))
        if near is None:
            sizes = range(length - limit, length + limit + 1)
            near = [w for size in sizes for w in self._by_length.get(size, ())]
            self._near[(length, limit)] = near
        return near

    def headed(self, keyed: str, entities: dict[str, Any]) -> IntentMatch | None:
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
        if not placeholders <= self.vocab[intent] | {ent.REF}:
            return None
        unknown = tuple(t for t in content if t not in self.vocab[intent])
        if len(unknown) > 2:
            return None  # "explain how the loader finds the file": a question about code
        return IntentMatch(intent, 75.0, entities, how="partial", unknown_words=unknown)
