"""Whether a message asks something: a question word of one of the languages people write in.

"как aiohttp закрывает соединения" (how does aiohttp close connections) and "jinja怎么加载模板"
(how does jinja load templates) name a repository and ask about it: a question there, not a
switch to it. Words that are as often something else are left out ("que", "come", "kya").
"""

from __future__ import annotations

from collections.abc import Iterable

# English, German, French, Spanish, Portuguese, Italian, Dutch (accents folded), Russian,
# Polish, Turkish, Hindi in Latin letters. Left out: words as often something else ("was",
# "que", "come", "porque", "ne", "kya").
_QUESTION_TEXT = (
    "how what where why when which who whose "
    "wie wo warum wann welche welcher welches weshalb wieso "
    "comment pourquoi quand quel quelle quels quelles "
    "como donde cuando cual cuales onde dove perche quale "
    "hoe waarom waar wanneer welke "
    "как что где почему зачем когда какой какая какие каким "
    "jak gdzie dlaczego kiedy który która "
    "nasil nerede neden hangi "
    "kaise kyun kyon kahan kab kaun"
)
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
# Written without spaces: found inside a word
UNSPACED_QUESTION_WORDS = (
    "怎么", "怎样", "如何", "为什么", "為什麼", "什么", "哪里", "哪个",
    "どう", "なぜ", "どこ", "どの", "何", "어떻게", "왜", "어디", "무슨",
)  # fmt: skip


# A yes-no question's first word: "is it case sensitive", "can i filter", "kann ich filtern"
_YES_NO_TEXT = (
    "is are am do does did can could should would will may shall have has "
    "ist sind kann kannst konnen gibt muss "
    "est peut puis puedo puede puedes hay es posso pode podes tem "
    "kan mag zijn heb "
    "можно есть ли"
)
YES_NO_OPENERS = frozenset(_YES_NO_TEXT.split())


def is_question(text: str, tokens: list[str]) -> bool:
    """The message ``text`` (normalised: ``tokens``) is a question: it ends with a question mark,
    opens as a yes-no question ("is it case sensitive"), or asks with a question word."""
    if text.rstrip().endswith(("?", "？")) or text.lstrip().startswith("¿"):
        return True
    return (bool(tokens) and tokens[0] in YES_NO_OPENERS) or asks(tokens)


def asks(tokens: Iterable[str]) -> bool:
    """``tokens`` (normalised words) hold a question word and something it asks about: "как
    закрывает" and "怎么加载模板" do, "how" alone does not."""
    asked = besides = False
    for token in tokens:
        rest = token
        for word in UNSPACED_QUESTION_WORDS:
            rest = rest.replace(word, "")
        if token in QUESTION_WORDS or rest != token:
            asked = True
            besides = besides or (rest != token and bool(rest))
        else:
            besides = True
    return asked and besides
