"""BM25 over chunks (definitions with their bodies), with term weights precomputed per posting."""

from __future__ import annotations

import dataclasses
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.search import terms
from bot.search.analyze import Chunk
from bot.search.thesaurus import Concept

K1 = 1.2
B = 0.75
TEST_PRIOR = 0.7  # tests and docs rank a little below the code they describe
STUB_PRIOR = 0.6  # type stubs (.pyi) below the code they describe
LOOSE_PRIOR = 0.6  # code between definitions (imports, re-exports, comments) below definitions
NESTED_PRIOR = 0.8  # a function's inner helper below the definitions others can call
NAME_BONUS = 1.5  # a definition whose name holds all the asked words scores 1 + NAME_BONUS times
MEMBER_SHARE = 0.3  # of its best-scoring method added to a class's score
VERB_MIN = 3  # functions whose names begin with a word that make it a verb (`read_...`)
MAX_COMPOUNDS = 64  # run-together names kept per word (a question word costs one sum each)
COMMON_SHARE = 0.5  # a word in more than this share of the chunks is left out of the score
SUMMARY_WEIGHT = 0.5  # of the summary field (a definition's docstring summary) beside the body
CLASS_KINDS = frozenset({"class", "struct", "interface", "impl"})


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """Where a ranked chunk is; its words live only in the posting arrays."""

    fid: int
    line: int
    end: int
    symbol: str | None
    is_definition: bool = False  # the chunk starts with the definition `symbol`


@dataclass(frozen=True, slots=True)
class Extra:
    """A chunk of a file changed after the build, scored directly from its words."""

    ref: ChunkRef
    terms: dict[str, int]
    length: int
    name_terms: tuple[str, ...] = ()
    summary: dict[str, int] = field(default_factory=dict)
    prior: float = 1.0  # `chunk_prior`
    context: dict[str, int] = field(default_factory=dict)  # its class's summary (a method's)


def chunk_prior(chunk: Chunk) -> float:
    return LOOSE_PRIOR if not chunk.kind else NESTED_PRIOR if chunk.nested else 1.0


class Bm25Builder:
    """Collects postings file by file, so no chunk's word counts outlive its file."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.tids = array("i")
        self.docs = array("i")
        self.tfs = array("i")
        self.lengths = array("f")
        self.priors = array("f")
        self.refs: list[ChunkRef] = []
        self.name_tids = array("i")
        self.name_docs = array("i")
        self.fids = array("i")
        self.parents = array("i")  # doc -> the doc of its class's own chunk, -1 for none
        self.summary = _FieldBuilder()
        self.leading: dict[str, int] = {}  # word -> functions whose name begins with it

    def add(self, fid: int, chunks: Sequence[Chunk], prior: float) -> None:
        vocab = self.vocab
        classes: dict[str, int] = {}  # qualname -> doc, for this file's class-like chunks
        for chunk in chunks:
            doc = len(self.refs)
            if chunk.kind in CLASS_KINDS and chunk.symbol:
                classes[chunk.symbol] = doc
            owner = chunk.symbol.rpartition(".")[0] if chunk.kind and chunk.symbol else ""
            self.parents.append(classes.get(owner, -1))
            self.refs.append(ChunkRef(fid, chunk.line, chunk.end, chunk.symbol, bool(chunk.kind)))
            self.lengths.append(chunk.length)
            self.priors.append(prior * chunk_prior(chunk))
            self.fids.append(fid)
            self.tids.extend([vocab.setdefault(t, len(vocab)) for t in chunk.terms])
            self.tfs.extend(chunk.terms.values())
            self.docs.extend([doc] * len(chunk.terms))
            named = chunk.name_terms
            self.name_tids.extend([vocab.setdefault(t, len(vocab)) for t in named])
            self.name_docs.extend([doc] * len(named))
            self.summary.add(doc, chunk.summary, vocab)
            if chunk.kind == "function" and chunk.symbol:
                own = terms.words(chunk.symbol.rpartition(".")[2])
                if len(own) >= 2:
                    self.leading[own[0]] = self.leading.get(own[0], 0) + 1

    def build(self) -> Bm25:
        lengths = np.frombuffer(self.lengths, dtype=np.float32)
        tid_arr = np.frombuffer(self.tids, dtype=np.int32)
        avgdl = float(lengths.mean()) if len(lengths) else 1.0
        order = np.argsort(tid_arr, kind="stable")
        doc_arr = np.frombuffer(self.docs, dtype=np.int32)[order]
        tf = np.frombuffer(self.tfs, dtype=np.int32)[order].astype(np.float32)
        del order
        norm = K1 * (1 - B + B * lengths[doc_arr] / avgdl)
        weights = (tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        df = np.bincount(tid_arr, minlength=len(self.vocab))
        offsets = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        n = max(len(self.refs), 1)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        prior = np.frombuffer(self.priors, dtype=np.float32).copy()
        names = np.frombuffer(self.name_tids, dtype=np.int32)
        name_order = np.argsort(names, kind="stable")
        name_docs = np.frombuffer(self.name_docs, dtype=np.int32)[name_order].copy()
        name_counts = np.bincount(names, minlength=len(self.vocab))
        name_offsets = np.concatenate(([0], np.cumsum(name_counts))).astype(np.int64)
        parents = np.frombuffer(self.parents, dtype=np.int32).copy()
        summary = self.summary.build(len(self.vocab))
        return Bm25(
            self.vocab, offsets, doc_arr, weights, idf, tuple(self.refs), prior, avgdl,
            name_offsets=name_offsets, name_docs=name_docs,
            fids=np.frombuffer(self.fids, dtype=np.int32).copy(),
            parents=parents,
            methods=methods_of(parents, summary),
            compounds=compounds(self.vocab, name_counts),
            summary=summary,
            verbs=frozenset(w for w, n in self.leading.items() if n >= VERB_MIN),
        )  # fmt: skip


class _FieldBuilder:
    """The postings of a short field of some chunks (a docstring's summary), BM25-weighted
    against the field's own average length."""

    def __init__(self) -> None:
        self.tids = array("i")
        self.docs = array("i")
        self.tfs = array("i")
        self.lengths: list[int] = []

    def add(self, doc: int, counts: dict[str, int], vocab: dict[str, int]) -> None:
        if counts:
            self.tids.extend([vocab.setdefault(t, len(vocab)) for t in counts])
            self.tfs.extend(counts.values())
            self.docs.extend([doc] * len(counts))
            self.lengths.append(sum(counts.values()))

    def build(self, words: int) -> Field:
        tids = np.frombuffer(self.tids, dtype=np.int32)
        order = np.argsort(tids, kind="stable")
        docs = np.frombuffer(self.docs, dtype=np.int32)[order].copy()
        tf = np.frombuffer(self.tfs, dtype=np.int32)[order].astype(np.float32)
        lengths = np.zeros(int(docs.max()) + 1 if len(docs) else 0, dtype=np.float32)
        np.add.at(lengths, docs, tf)
        avg = float(np.mean(self.lengths)) if self.lengths else 1.0
        norm = K1 * (1 - B + B * lengths[docs] / avg)
        weights = (tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        counts = np.bincount(tids, minlength=words)
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return Field(offsets, docs, weights, avg)


@dataclass(frozen=True, slots=True)
class Field:
    offsets: npt.NDArray[np.int64]  # term id -> its postings (ids past the field's are empty)
    docs: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]  # tf part of BM25, per posting
    avg: float  # average length of the field where a chunk has it

    def postings(self, tid: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        if tid + 1 >= len(self.offsets):
            return self.docs[:0], self.weights[:0]
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        return self.docs[lo:hi], self.weights[lo:hi]

    def weight(self, tf: int, length: int) -> float:
        return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / self.avg)) if tf else 0.0


_NO_FIELD = Field(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 1.0)


@dataclass(frozen=True, slots=True)
class Methods:
    """The methods of each class, as postings: a class's doc -> its methods' docs; and the
    classes with methods whose summary holds a word, as postings: term id -> classes."""

    offsets: npt.NDArray[np.int64]  # doc -> where its methods are in `docs`
    docs: npt.NDArray[np.int32]
    summary_offsets: npt.NDArray[np.int64]  # term id -> where its classes are (past: none)
    summary_docs: npt.NDArray[np.int32]

    def classes(self, tid: int) -> npt.NDArray[np.int32]:
        """The classes with methods whose summary holds the word `tid`."""
        if tid + 1 >= len(self.summary_offsets):
            return self.summary_docs[:0]
        return self.summary_docs[self.summary_offsets[tid] : self.summary_offsets[tid + 1]]

    def of(self, classes: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        """The methods of `classes` (docs of distinct classes), each once."""
        if not len(self.docs) or not len(classes):
            return self.docs[:0]
        starts, ends = self.offsets[classes], self.offsets[classes + 1]
        counts = ends - starts
        total = int(counts.sum())
        # Each class's run of methods, laid end to end: start + 0, 1, ... per run.
        run_starts = np.repeat(starts - np.cumsum(counts) + counts, counts)
        return self.docs[run_starts + np.arange(total)]


def _distinct(parts: list[npt.NDArray[np.int32]]) -> npt.NDArray[np.int32]:
    """The docs of `parts` (each without repeats), each once."""
    if len(parts) == 1:
        return parts[0]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int32)


def methods_of(parents: npt.NDArray[np.int32], summary: Field) -> Methods:
    methods = np.flatnonzero(parents >= 0).astype(np.int32)
    owners = parents[methods]
    order = np.argsort(owners, kind="stable")
    counts = np.bincount(owners, minlength=len(parents))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    tids = np.repeat(np.arange(len(summary.offsets) - 1), np.diff(summary.offsets))
    kept = counts[summary.docs] > 0 if len(counts) else np.zeros(0, np.bool_)
    per_word = np.bincount(tids[kept], minlength=len(summary.offsets) - 1)
    summary_offsets = np.concatenate(([0], np.cumsum(per_word))).astype(np.int64)
    return Methods(offsets, methods[order], summary_offsets, summary.docs[kept])


_NO_METHODS = Methods(
    np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(1, np.int64), np.zeros(0, np.int32)
)


def compounds(
    vocab: dict[str, int], name_counts: npt.NDArray[np.int64]
) -> dict[str, tuple[str, ...]]:
    """Word -> the run-together names holding it ("attr" -> xmlattr, getattr...), from the
    words of definitions' names, so "xml attributes" finds `do_xmlattr`."""
    found: dict[str, list[str]] = {}
    for word, tid in vocab.items():
        if len(word) >= 2 * terms.MIN_PART and name_counts[tid]:
            for part in dict.fromkeys(terms.split_compound(word, vocab)):
                found.setdefault(part, []).append(word)
    return {part: tuple(names[:MAX_COMPOUNDS]) for part, names in found.items()}


@dataclass(frozen=True, slots=True)
class Bm25:
    vocab: dict[str, int]
    offsets: npt.NDArray[np.int64]
    docs: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]  # tf part of BM25, per posting
    idf: npt.NDArray[np.float32]
    refs: tuple[ChunkRef, ...]
    prior: npt.NDArray[np.float32]
    avgdl: float
    name_offsets: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(1, np.int64))
    name_docs: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    fids: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    parents: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    methods: Methods = _NO_METHODS
    compounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    summary: Field = _NO_FIELD  # words of definitions' docstring summaries
    verbs: frozenset[str] = frozenset()  # words that begin functions' names (`read_...`)
    dead: frozenset[int] = frozenset()  # fids whose chunks changed since the build
    extra: tuple[Extra, ...] = ()  # chunks of files changed since the build

    def replace_files(self, fids: set[int], chunks: Sequence[tuple[int, Chunk]]) -> Bm25:
        """A copy where the chunks of `fids` are replaced by `chunks` (files changed on disk)."""
        classes = {
            (fid, c.symbol): c.summary for fid, c in chunks if c.kind in CLASS_KINDS and c.symbol
        }
        fresh = tuple(
            Extra(
                ChunkRef(fid, c.line, c.end, c.symbol, bool(c.kind)),
                c.terms, c.length, c.name_terms, c.summary, chunk_prior(c),
                classes.get((fid, c.symbol.rpartition(".")[0]), {}) if c.kind and c.symbol else {},
            )
            for fid, c in chunks
        )  # fmt: skip
        extra = tuple(e for e in self.extra if e.ref.fid not in fids) + fresh
        return dataclasses.replace(self, dead=self.dead | fids, extra=extra)

    def top(
        self,
        concepts: Sequence[Concept],
        k: int,
        prior_of: dict[int, float],
        weights: npt.NDArray[np.float32] | None = None,
        member_share: float = MEMBER_SHARE,
    ) -> list[tuple[float, ChunkRef]]:
        """The `k` best chunks for `concepts` (see thesaurus.py), best first, scores times
        `weights[fid]` when given (0 leaves a file out); a class gains `member_share` of its
        best method's score."""
        known = self._telling(concepts)
        ranked: list[tuple[float, ChunkRef]] = []
        if known and len(self.refs):
            size = len(self.refs)
            scores = np.zeros(size, dtype=np.float32)
            matched = np.zeros(size, dtype=np.float32)
            named = np.zeros(size, dtype=np.float32)
            # What methods owe to their class's summary (see below), beside their own words:
            # kept for the few methods it lifts, so the whole index is walked no more often.
            lifted = np.zeros(size, dtype=np.float32)
            lifted_matched = np.zeros(size, dtype=np.float32)
            touched: list[npt.NDArray[np.int32]] = []
            for concept in known:
                # An asked word counts once in a chunk, by its best-scoring spelling: a chunk
                # saying both "get" and "fetch" is no better for "get" than one saying "get".
                best = np.zeros(size, dtype=np.float32)
                said = np.zeros(size, dtype=np.float32)  # the same in the summary field
                in_name = np.zeros(size, dtype=np.bool_)
                summarised = []  # classes whose summary holds the word
                for word, weight in concept:
                    tid = self.vocab[word]
                    lo, hi = self.offsets[tid], self.offsets[tid + 1]
                    docs = self.docs[lo:hi]
                    gain = (weight * self.idf[tid]) * self.weights[lo:hi]
                    best[docs] = np.maximum(best[docs], gain)
                    sdocs, sweights = self.summary.postings(tid)
                    if len(sdocs):
                        gain = (SUMMARY_WEIGHT * weight * self.idf[tid]) * sweights
                        said[sdocs] = np.maximum(said[sdocs], gain)
                        classes = self.methods.classes(tid)
                        if len(classes):
                            summarised.append(classes)
                    nlo, nhi = self.name_offsets[tid], self.name_offsets[tid + 1]
                    in_name[self.name_docs[nlo:nhi]] = True
                matched += best > 0
                scores += best + said
                named += in_name
                # A method is what its class's summary says too: "repeat a safe string" is the
                # `__mul__` of the class summed up as "a string ... marked safe". An asked word
                # counts for a method by the better of its own words and its class's summary.
                classes = _distinct(summarised)
                if len(classes):
                    methods = self.methods.of(classes)
                    inherited = said[self.parents[methods]]
                    own = best[methods] + said[methods]
                    lifted[methods] += np.maximum(inherited - own, 0)
                    lifted_matched[methods] += (best[methods] == 0) & (inherited > 0)
                    touched.append(methods)
            # (a method may be here more than once: each time with the same value)
            methods = np.concatenate(touched) if touched else self.docs[:0]
            raw = scores[methods] + lifted[methods]
            # A chunk holding more of the asked words beats one repeating a single rare word;
            # a definition named with the asked words beats one that only mentions them.
            scores *= self.prior * np.sqrt(matched / len(known))
            scores *= 1 + NAME_BONUS * named / len(known)
            share = np.zeros(0, dtype=np.float32)
            if member_share and len(self.parents):
                # A class answers for what its methods do: it gains a share of its best one's
                # own score (not of what the method owes to the class's summary).
                members = np.flatnonzero((self.parents >= 0) & (scores > 0))
                best = np.zeros(size, dtype=np.float32)
                np.maximum.at(best, self.parents[members], scores[members])
                share = member_share * best
                scores += share
            if len(methods):
                coverage = np.sqrt((matched[methods] + lifted_matched[methods]) / len(known))
                lift = raw * coverage * self.prior[methods]
                lift *= 1 + NAME_BONUS * named[methods] / len(known)
                scores[methods] = lift + share[methods] if len(share) else lift
            if weights is not None and len(self.fids):
                scores *= weights[self.fids]
            hits = np.flatnonzero(scores)
            if len(hits) > k * 4:
                hits = hits[np.argpartition(-scores[hits], k * 4)[: k * 4]]
            for doc in hits.tolist():
                ref = self.refs[doc]
                if ref.fid not in self.dead:
                    ranked.append((float(scores[doc]), ref))
        for e in self.extra:
            weight = 1.0 if weights is None else float(weights[e.ref.fid])
            score = self._score(e, concepts) * prior_of.get(e.ref.fid, 1.0) * weight
            if score > 0:
                ranked.append((score, e.ref))
        ranked.sort(key=lambda item: -item[0])
        return ranked[:k]

    def _telling(self, concepts: Sequence[Concept]) -> list[Concept]:
        """The concepts with a word the index knows (only those words); a word found in most
        chunks (the repository's own name, in every path) tells none apart and is left out,
        unless every word is so common."""
        common = len(self.refs) * COMMON_SHARE
        known = []
        for concept in concepts:
            words = tuple((w, weight) for w, weight in concept if w in self.vocab)
            if words:
                first = self.vocab[words[0][0]]
                df = int(self.offsets[first + 1] - self.offsets[first])
                known.append((words, df < common))
        telling = [c for c, tells in known if tells]
        return telling or [c for c, _tells in known]

    def _score(self, extra: Extra, concepts: Sequence[Concept]) -> float:
        """BM25 of a chunk changed since the build, as `top` scores the built ones."""
        n = max(len(self.refs), 1)
        norm = K1 * (1 - B + B * extra.length / self.avgdl)
        summary_length = sum(extra.summary.values())
        context_length = sum(extra.context.values())
        fresh = [
            c for c in concepts
            if not any(w in self.vocab for w, _ in c)
            and any(w in extra.terms or w in extra.context for w, _ in c)
        ]  # fmt: skip
        total, matched, named, asked = 0.0, 0, 0, 0
        for concept in self._telling(concepts) + fresh:
            asked += 1
            named += any(w in extra.name_terms for w, _ in concept)
            best = said = inherited = 0.0
            for word, weight in concept:
                tf, tf_context = extra.terms.get(word, 0), extra.context.get(word, 0)
                if tf or tf_context:
                    tid = self.vocab.get(word)
                    df = int(self.offsets[tid + 1] - self.offsets[tid]) if tid is not None else 0
                    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                    best = max(best, weight * idf * tf * (K1 + 1) / (tf + norm))
                    in_summary = self.summary.weight(extra.summary.get(word, 0), summary_length)
                    said = max(said, SUMMARY_WEIGHT * weight * idf * in_summary)
                    in_context = self.summary.weight(tf_context, context_length)
                    inherited = max(inherited, SUMMARY_WEIGHT * weight * idf * in_context)
            matched += best > 0 or inherited > 0
            total += max(best + said, inherited)
        if not asked:
            return 0.0
        return total * extra.prior * math.sqrt(matched / asked) * (1 + NAME_BONUS * named / asked)
