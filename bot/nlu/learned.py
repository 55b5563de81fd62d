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
    found = {f"w {w}" for w in words}
    found.update(f"b {a} {b}" for a, b in itertools.pairwise(words))
    if len(words) == 1:
        found.add(f"only {words[0]}")
    for word in words:
        if word in ent.PLACEHOLDERS:
            continue
        padded = f"<{word}>"
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

        rows: list[tuple[set[str], str]] = [(features(k), label) for k, label in labelled if k]
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
        columns = [
            i
            for i, label in enumerate(self.labels)
            if label in allowed or (other and label == OTHER)
        ]
        if not columns or OTHER not in self.labels:
            return None
        rows = [self._vocabulary[f] for f in features(keyed) if f in self._vocabulary]
        if not rows:
            return None
        # Features no message had are left out: they would only shrink every class alike.
        # The features overlap (a word and its pieces), so their evidence is counted once per
        # word, roughly: the sum is tempered by the number of features.
        import numpy as np

        scores = self._prior + self._weights[rows].sum(axis=0) / math.sqrt(len(rows))
        picked = scores[columns]
        best = int(np.argmax(picked))
        shifted = np.exp(picked - picked[best])
        return self.labels[columns[best]], float(1.0 / shifted.sum())


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
