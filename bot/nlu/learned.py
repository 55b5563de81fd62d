"""A small classifier learned from labelled messages, for what no example matches.

The examples of flows/intents.yaml are matched closely (exactly, word by word, fuzzily). A
message said in a way no example covers ("can you tell me what result 1 is about") falls
through them; this model reads it by the words and word pieces it shares with whole messages
people sent, labelled with what they meant (`phrasings:` in the flows), and with the examples.
One class, OTHER, stands for text that is searched or asked as typed.

Multinomial naive Bayes over binary features of the matcher's key (entities already
placeholders): words, word pairs, and character 3- to 5-grams of each word, which carry typos,
inflections and other languages ("explicame", "erklär", "samjhao"). Training is counting, done
once per flow version when first needed; a prediction is one sum over a small matrix.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterable

from bot.nlu import entities as ent

OTHER = "_otherwise"  # any other text: searched or asked as typed (the flows' OTHERWISE)
SMOOTHING = 0.3
_MIN_GRAM, _MAX_GRAM = 3, 5


def _unspaced(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese)."""
    return "\u3040" <= char <= "\u30ff" or "\u3400" <= char <= "\u9fff"


def features(keyed: str) -> set[str]:
    """The features of one normalised, placeholder-marked message."""
    words = keyed.split()
    found = _sentence_features(words)
    for word in words:
        found.update(word_features(word))
    return found


def _sentence_features(words: list[str]) -> set[str]:
    """The features of the words together: each word, each pair, and a word alone."""
    found = {f"w {w}" for w in words}
    found.update(f"b {a} {b}" for a, b in itertools.pairwise(words))
    if len(words) == 1:
        found.add(f"only {words[0]}")
    return found


def word_features(word: str) -> set[str]:
    """The features of one word's pieces: its character 3- to 5-grams."""
    if word in ent.PLACEHOLDERS:
        return set()
    padded = f"<{word}>"
    found: set[str] = set()
    for size in range(_MIN_GRAM, _MAX_GRAM + 1):
        found.update(f"c {padded[i : i + size]}" for i in range(len(padded) - size + 1))
    if any(_unspaced(c) for c in word):
        # "搜索代码", "質問があります": one "word" is a whole sentence; its characters and
        # pairs of characters are its words.
        found.update(f"w {c}" for c in word if _unspaced(c))
        found.update(f"b {a}{b}" for a, b in itertools.pairwise(word))
    return found


class LearnedIntents:
    """Trained on (key, label) pairs; labels are intent names or OTHER."""

    def __init__(self, labelled: Iterable[tuple[str, str]]) -> None:
        import numpy as np  # here: a chat whose messages all match an example never loads it

        labelled_rows = [(k, label) for k, label in labelled if k]
        rows: list[tuple[set[str], str]] = [(features(k), label) for k, label in labelled_rows]
        self.labels: tuple[str, ...] = tuple(sorted({label for _f, label in rows}))
        index = {label: i for i, label in enumerate(self.labels)}
        vocabulary: dict[str, int] = {}
        counts: list[list[int]] = []  # per feature, per label
        totals = [0] * len(self.labels)
        for found, label in rows:
            column = index[label]
            for feature in found:
                row = vocabulary.setdefault(feature, len(counts))
                if row == len(counts):
                    counts.append([0] * len(self.labels))
                counts[row][column] += 1
                totals[column] += 1
        self._vocabulary = vocabulary
        # The rows of a trained word's pieces, found when a message first has it: its next
        # messages cost a lookup, not a string for each of the word's pieces.
        self._trained_words = frozenset(w for key, _label in labelled_rows for w in key.split())
        self._word_rows: dict[str, frozenset[int]] = {}
        self._columns: dict[tuple[frozenset[str], bool], list[int]] = {}
        size = len(vocabulary)
        matrix = np.asarray(counts, dtype=np.float64).reshape(size, len(self.labels))
        denominators = np.asarray(totals, dtype=np.float64) + SMOOTHING * max(size, 1)
        self._weights = np.log((matrix + SMOOTHING) / denominators)
        # Classes weigh equally: the commands are many and short, the other text long and
        # varied, and how often each was written down says nothing about the next message.
        self._prior = np.zeros(len(self.labels))
        self._unseen = np.log(SMOOTHING / denominators)

    def predict(
        self, keyed: str, allowed: Collection[str], *, other: bool = True
    ) -> tuple[str, float] | None:
        """The most likely of ``allowed`` labels (and OTHER, unless ``other`` is False) and its
        probability among them; None when the model knows none of the allowed labels."""
        columns = self._columns_of(frozenset(allowed), other)
        if not columns or OTHER not in self.labels:
            return None
        words = keyed.split()
        found = self._rows(_sentence_features(words))
        for word in words:
            found |= self._rows_of_word(word)
        if not found:
            return None
        rows = sorted(found)  # summed in one order: the same message, the same figure
        # Features no message had are left out: they would only shrink every class alike.
        # The features overlap (a word and its pieces), so their evidence is counted once per
        # word, roughly: the sum is tempered by the number of features.
        import numpy as np

        scores = self._prior + self._weights[rows].sum(axis=0) / math.sqrt(len(rows))
        picked = scores[columns]
        best = int(np.argmax(picked))
        shifted = np.exp(picked - picked[best])
        return self.labels[columns[best]], float(1.0 / shifted.sum())

    def _rows_of_word(self, word: str) -> frozenset[int]:
        """The rows of ``word``'s pieces; kept for the words the model was trained on."""
        rows = self._word_rows.get(word)
        if rows is None:
            rows = self._rows(word_features(word))
            if word in self._trained_words:
                self._word_rows[word] = rows
        return rows

    def _rows(self, found: set[str]) -> frozenset[int]:
        """The rows of the features the model knows."""
        vocabulary = self._vocabulary
        return frozenset(vocabulary[f] for f in found if f in vocabulary)

    def _columns_of(self, allowed: frozenset[str], other: bool) -> list[int]:
        """The columns of ``allowed`` labels (and OTHER, with ``other``), found once per set."""
        columns = self._columns.get((allowed, other))
        if columns is None:
            columns = [
                i
                for i, label in enumerate(self.labels)
                if label in allowed or (other and label == OTHER)
            ]
            self._columns[(allowed, other)] = columns
        return columns


class LazyLearned:
    """Trained on the first prediction, not when the flows compile: most messages are
    matched by the examples and never ask, and a chat should start at once."""

    def __init__(self, labelled: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self._source = labelled
        self._trained: LearnedIntents | None = None

    def _model(self) -> LearnedIntents:
        if self._trained is None:
            self._trained = LearnedIntents(self._source())
        return self._trained

    def predict(
        self, keyed: str, allowed: Collection[str], *, other: bool = True
    ) -> tuple[str, float] | None:
        return self._model().predict(keyed, allowed, other=other)
