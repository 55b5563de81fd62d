"""What Python's special methods do, in words: `__getitem__` is how a value is indexed or
sliced, `__add__` how it is concatenated. A question says what happens ("slicing a string",
"compare two dicts for equality"), the method's name only which protocol it implements.

The words come from the language's data model (the reference's "Special method names"), one
entry per method, the same for every repository.
"""

from __future__ import annotations

_OPERATIONS = {
    "__new__": "create construct instance",
    "__init__": "initialize construct",
    "__del__": "finalize destroy",
    "__repr__": "representation debug",
    "__str__": "string text convert",
    "__bytes__": "bytes convert",
    "__format__": "format",
    "__hash__": "hash",
    "__bool__": "truth bool empty",
    "__eq__": "equal equality compare",
    "__ne__": "equal equality compare",
    "__lt__": "less compare order sort",
    "__le__": "less compare order sort",
    "__gt__": "greater compare order sort",
    "__ge__": "greater compare order sort",
    "__getattr__": "attribute lookup missing",
    "__getattribute__": "attribute lookup",
    "__setattr__": "attribute assign",
    "__delattr__": "attribute delete",
    "__dir__": "attributes list",
    "__get__": "descriptor attribute",
    "__set__": "descriptor attribute assign",
    "__call__": "call invoke",
    "__len__": "length size count",
    "__getitem__": "item index slice subscript lookup",
    "__setitem__": "item assign set",
    "__delitem__": "item delete remove",
    "__missing__": "missing key default",
    "__iter__": "iterate iteration loop",
    "__next__": "iterate next",
    "__reversed__": "reverse backwards iterate",
    "__contains__": "contains membership",
    "__add__": "add concatenate plus",
    "__radd__": "add concatenate plus",
    "__iadd__": "add concatenate extend",
    "__sub__": "subtract difference minus",
    "__mul__": "multiply repeat",
    "__rmul__": "multiply repeat",
    "__mod__": "percent format interpolate modulo",
    "__rmod__": "percent format interpolate modulo",
    "__and__": "intersection and",
    "__or__": "union merge or",
    "__ior__": "union merge update",
    "__xor__": "symmetric difference xor",
    "__enter__": "context enter with",
    "__exit__": "context exit close with",
    "__aenter__": "async context enter with",
    "__aexit__": "async context exit close with",
    "__aiter__": "async iterate iteration loop",
    "__anext__": "async iterate next",
    "__await__": "await",
    "__copy__": "copy",
    "__deepcopy__": "copy deep",
    "__reduce__": "pickle serialize",
    "__getstate__": "pickle serialize state",
    "__setstate__": "pickle state restore",
    "__html__": "html markup",
}


def operation(name: str) -> str:
    """The words saying what the special method `name` does ("" for any other name)."""
    return _OPERATIONS.get(name, "")
