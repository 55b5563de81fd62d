"""The other words code uses for a word of a question: abbreviations ("environment" -> env)
and programming synonyms ("write" -> dump, serialize).

A question's word becomes a concept: the word itself, weight 1, and its alternatives, weight
ALTERNATIVE_WEIGHT; a chunk matches the concept when it holds any of them.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence

from bot.search import terms

ALTERNATIVE_WEIGHT = 0.5
COMPOUND_WEIGHT = 0.5  # a name run together from the word and another ("xmlattr")
# Groups of words that code and questions use for one another, generic to programming (no
# project's names). Each word of a group stands for every other one.
_GROUPS = """
environment env environ
configuration config cfg conf settings options
request req
response resp reply
authentication authorization auth credentials
directory dir folder
message msg
websocket ws
connection conn
initialize init setup
arguments args argv params parameters
attribute attr
dictionary dict mapping
string str text
integer int number num
length len size
temporary tmp temp
source src
destination dest dst
database db
context ctx
function func fn callable
callback cb hook
error err exception failure
implementation impl
package pkg
process proc subprocess
value val
variable var
buffer buf
address addr
write dump serialize emit save store output
read load parse deserialize input
keep store storage save
disk file filesystem
remove delete drop discard unlink strip del rm
check verify validate ensure assert
make create build new construct
start run launch begin open
stop close shutdown end finish
send write post emit
get fetch retrieve obtain
set assign put update
find search lookup locate
convert transform translate coerce turn
all every each
several many multiple multi
evaluate eval compute
show display render print
list sequence array
copy clone duplicate
compare equal match
split divide separate
join merge combine concatenate
count number tally
limit max maximum cap
wait sleep delay timeout
retry again repeat
escape quote sanitize
unescape unquote decode
encode encoding charset
compress gzip deflate zip
decompress inflate unzip
url link uri href
header headers
cookie cookies
certificate cert
signature sign hmac
hash digest checksum
password secret token
user account
time date datetime timestamp
format fmt template
ssl tls secure
http https
dns resolve resolver
regex regexp pattern
identifier id ident
asynchronous async await coroutine
synchronous sync blocking
iterate iterator iter loop
cache memoize cached
log logger logging
debug trace traceback
host hostname server
exit quit terminate kill
lock mutex semaphore
schedule scheduler
reset clear
empty blank
default fallback
option flag
enable allow permit
disable deny forbid block
hide mask
register add
add append insert push
sort order
filter select
replace substitute swap
wrap decorate decorator
call invoke
handle process handler
upload attach
mime content
object instance obj
node element item
byte bytes binary
stream pipe
skip ignore
close cleanup release
open connect
path filename
line row
column col
index idx position pos
character char
lowercase lower
uppercase upper capitalize
whitespace space blank
previous prev last
next following
parent owner outer
child children inner nested
tree ast syntax
expression expr
statement stmt
token tokenize lex lexer
plugin extension ext
calculate compute calc
current curr cur
minimum min
reference ref
generate gen
information info
description desc
document doc docs
utility util utils
library lib
sequence seq
specification spec
receive recv
execute exec
command cmd
parameter param
increment incr
decrement decr
manager mgr
password passwd pwd
expire expiry expiration ttl
"""
_ALTERNATIVES: dict[str, tuple[str, ...]] = {}
for _line in _GROUPS.strip().splitlines():
    _group = tuple(dict.fromkeys(terms.normal(w) for w in _line.split() if terms.normal(w)))
    for _word in _group:
        _merged = (*_ALTERNATIVES.get(_word, ()), *(w for w in _group if w != _word))
        _ALTERNATIVES[_word] = tuple(dict.fromkeys(_merged))

Concept = tuple[tuple[str, float], ...]


def related(word: str) -> tuple[str, ...]:
    """The deed of a doer (stemmed): "loader" ~ load, "parser" ~ pars(e), "scanner" ~ scan.
    The stemmer keeps "-er" (a "header" is no "head"), so this is an alternative, not the same
    word; nor is the doer offered for the deed ("run" would find every `Runner`)."""
    if len(word) < 3:
        return ()
    if word.endswith("er") and len(word) > 5:
        base = word[:-2]
        undoubled = (base[:-1],) if base[-1] == base[-2] and base[-1] not in "lsz" else ()
        return (base, *undoubled)
    return ()


def knows(word: str) -> bool:
    """Whether `word` (stemmed) is in one of the thesaurus's groups."""
    return word in _ALTERNATIVES


def concepts(
    asked: Sequence[str | Sequence[str]],
    vocabulary: Container[str],
    compounds: Mapping[str, Sequence[str]] | None = None,
) -> list[Concept]:
    """One concept per asked word (stemmed, as `terms.words` gives them; or the readings of a
    misspelt word, any of which may be meant), with the alternatives the index knows and the
    run-together names holding the word or one of them (`compounds`: "attr" -> xmlattr)."""
    out = []
    for readings in asked:
        spelled = (readings,) if isinstance(readings, str) else tuple(readings)
        concept = dict.fromkeys(spelled, 1.0)
        alternatives = [
            alt
            for word in spelled
            for alt in (*_ALTERNATIVES.get(word, ()), *related(word))
            if alt in vocabulary and alt not in spelled
        ]
        for alt in alternatives:
            concept.setdefault(alt, ALTERNATIVE_WEIGHT)
        for part in (*spelled, *alternatives) if compounds else ():
            for name in compounds.get(part, ()) if compounds else ():
                concept.setdefault(name, COMPOUND_WEIGHT)
        out.append(tuple(concept.items()))
    return out
