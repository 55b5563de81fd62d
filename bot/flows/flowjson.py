"""A loaded FlowSet (and problems) as JSON and back, exactly: for the flow-check cache.

Every value the loader builds round-trips to an equal value of the same type: the dataclasses of
bot/flows/model.py and Problem, tuples, frozensets, dicts with any keys, and the LineMap and
LineList of bot/flows/yamlsrc.py with the lines they carry. Only those classes are ever built
when decoding (no code named by the data runs); anything else is refused when encoding.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.errors import Problem
from bot.flows import model
from bot.flows.yamlsrc import LineList, LineMap

# What JSON gives as itself.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        model.Source,
        model.ActionCall,
        model.Transition,
        model.Timeout,
        model.ChoiceSpec,
        model.State,
        model.Flow,
        model.Intent,
        model.Phrasings,
        model.EntityDecl,
        model.GlobalCommand,
        model.UnloadedFile,
        model.FlowSet,
        Problem,
    )
}


class NotEncodable(TypeError):
    """A value the cache does not know how to keep: the caller keeps nothing."""


def encode(value: Any) -> Any:
    """``value`` as JSON-serialisable data (see ``decode``)."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode(v) for v in value]
    if kind is tuple:
        return {"t": [encode(v) for v in value]}
    if kind is frozenset:
        return {"fs": [encode(v) for v in value]}
    if kind is dict:
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if kind is LineMap:
        return {
            "lm": [[encode(k), encode(v)] for k, v in value.items()],
            "a": {name: encode(v) for name, v in vars(value).items()},
        }
    if kind is LineList:
        return {"ll": [encode(v) for v in value], "a": encode(dict(vars(value)))}
    if _CLASSES.get(kind.__name__) is kind:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"c": kind.__name__, "f": fields}
    raise NotEncodable(f"cannot keep a {kind.__name__} in the flow cache")


def decode(data: Any) -> Any:
    """The value ``encode`` was given. Raises ValueError for data it did not make."""
    # Most items are strings (examples, texts, names): lists, tuples and fields take them as
    # they are, without a call each, which halves the decoding of the flows at start-up (2.5 ms
    # of a terminal chat's first reply).
    kind = type(data)
    if kind in _SCALARS:
        return data
    if kind is list:
        return [v if type(v) is str else decode(v) for v in data]
    if kind is not dict:
        raise ValueError(f"not flow cache data: {kind.__name__}")
    if "t" in data:
        return tuple([v if type(v) is str else decode(v) for v in data["t"]])
    if "fs" in data:
        return frozenset(decode(v) for v in data["fs"])
    if "d" in data:
        return {decode(k): decode(v) for k, v in data["d"]}
    if "lm" in data:
        mapping = LineMap((decode(k), decode(v)) for k, v in data["lm"])
        for name, v in data["a"].items():
            setattr(mapping, name, decode(v))
        return mapping
    if "ll" in data:
        items = LineList(decode(v) for v in data["ll"])
        for name, v in decode(data["a"]).items():
            setattr(items, name, v)
        return items
    if "c" in data:
        cls = _CLASSES.get(data["c"])
        if cls is None:
            raise ValueError(f"not a class the flow cache keeps: {data['c']!r}")
        fields = data["f"].items()
        return cls(**{name: v if type(v) is str else decode(v) for name, v in fields})
    raise ValueError("not flow cache data")
