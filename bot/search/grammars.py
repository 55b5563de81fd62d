"""The languages read with tree-sitter: which grammar wheel, and the queries for definitions
(`@name` inside a node captured by its kind) and for call sites (`@callee` inside `@call`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Grammar:
    module: str  # the grammar wheel's module, e.g. "tree_sitter_go"
    function: str  # the module's function returning the language
    definitions: str
    calls: str


# Module-level assignments are definitions too (constants, aliases); class attributes are not,
# they would double the symbols of a large repository for little.
_PY_DEFS = """
(class_definition name: (identifier) @name) @class
(function_definition name: (identifier) @name) @function
(module (expression_statement (assignment left: (identifier) @name)) @variable)
(module (if_statement consequence: (block (expression_statement
  (assignment left: (identifier) @name)) @variable)))
(module (try_statement body: (block (expression_statement
  (assignment left: (identifier) @name)) @variable)))
"""
_PY_CALLS = """
(call function: [(identifier) @callee (attribute attribute: (identifier) @callee)]) @call
(decorator [(identifier) @callee (attribute attribute: (identifier) @callee)]) @call
"""
_JS_DEFS = """
(class_declaration name: (_) @name) @class
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(method_definition name: (_) @name) @function
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @function
"""
_TS_DEFS = """
(interface_declaration name: (type_identifier) @name) @interface
(type_alias_declaration name: (type_identifier) @name) @type
(enum_declaration name: (identifier) @name) @enum
(abstract_class_declaration name: (type_identifier) @name) @class
(function_signature name: (identifier) @name) @function
(method_signature name: (_) @name) @function
"""
_JS_CALLS = """
(call_expression function: [(identifier) @callee
  (member_expression property: (property_identifier) @callee)]) @call
(new_expression constructor: [(identifier) @callee
  (member_expression property: (property_identifier) @callee)]) @call
"""
_C_DEFS = """
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @function
(function_definition declarator: (pointer_declarator declarator:
  (function_declarator declarator: (identifier) @name))) @function
(type_definition declarator: (type_identifier) @name) @type
(enum_specifier name: (type_identifier) @name body: (_)) @enum
"""
_STRUCT = "(struct_specifier name: (type_identifier) @name body: (_)) @struct\n"
_CPP_DEFS = """
(function_definition declarator: (function_declarator declarator: (_) @name)) @function
(class_specifier name: (type_identifier) @name body: (_)) @class
(namespace_definition name: (_) @name) @namespace
"""
_C_CALLS = """
(call_expression function: [(identifier) @callee
  (field_expression field: (field_identifier) @callee)]) @call
"""
_CPP_CALLS = """
(call_expression function: (qualified_identifier name: (identifier) @callee)) @call
"""
_JAVA_DEFS = """
(class_declaration name: (identifier) @name) @class
(interface_declaration name: (identifier) @name) @interface
(enum_declaration name: (identifier) @name) @enum
(record_declaration name: (identifier) @name) @class
(method_declaration name: (identifier) @name) @function
(constructor_declaration name: (identifier) @name) @function
"""
_JAVA_CALLS = """
(method_invocation name: (identifier) @callee) @call
(object_creation_expression type: (type_identifier) @callee) @call
"""
_GO_DEFS = """
(function_declaration name: (identifier) @name) @function
(method_declaration name: (field_identifier) @name) @function
(type_spec name: (type_identifier) @name type: (struct_type)) @struct
(type_spec name: (type_identifier) @name type: (interface_type)) @interface
"""
_GO_CALLS = """
(call_expression function: [(identifier) @callee
  (selector_expression field: (field_identifier) @callee)]) @call
"""
_RUST_DEFS = """
(function_item name: (identifier) @name) @function
(function_signature_item name: (identifier) @name) @function
(struct_item name: (type_identifier) @name) @struct
(enum_item name: (type_identifier) @name) @enum
(trait_item name: (type_identifier) @name) @interface
(type_item name: (type_identifier) @name) @type
(mod_item name: (identifier) @name) @namespace
(impl_item type: (type_identifier) @name) @impl
"""
_RUST_CALLS = """
(call_expression function: [(identifier) @callee
  (scoped_identifier name: (identifier) @callee)
  (field_expression field: (field_identifier) @callee)]) @call
(macro_invocation macro: (identifier) @callee) @call
"""
_RUBY_DEFS = """
(class name: (constant) @name) @class
(module name: (constant) @name) @namespace
(method name: (_) @name) @function
(singleton_method name: (_) @name) @function
"""
_RUBY_CALLS = "(call method: (identifier) @callee) @call\n"
_CSHARP_DEFS = """
(class_declaration name: (identifier) @name) @class
(interface_declaration name: (identifier) @name) @interface
(struct_declaration name: (identifier) @name) @struct
(enum_declaration name: (identifier) @name) @enum
(record_declaration name: (identifier) @name) @class
(method_declaration name: (identifier) @name) @function
(constructor_declaration name: (identifier) @name) @function
(namespace_declaration name: (_) @name) @namespace
"""
_CSHARP_CALLS = """
(invocation_expression function: [(identifier) @callee
  (member_access_expression name: (identifier) @callee)]) @call
(object_creation_expression type: (identifier) @callee) @call
"""
_KOTLIN_DEFS = """
(class_declaration name: (identifier) @name) @class
(object_declaration name: (identifier) @name) @class
(function_declaration name: (identifier) @name) @function
"""
_KOTLIN_CALLS = """
(call_expression . (identifier) @callee) @call
(call_expression . (navigation_expression (identifier) @callee .)) @call
"""
_PHP_DEFS = """
(class_declaration name: (name) @name) @class
(interface_declaration name: (name) @name) @interface
(trait_declaration name: (name) @name) @class
(enum_declaration name: (name) @name) @enum
(function_definition name: (name) @name) @function
(method_declaration name: (name) @name) @function
"""
_PHP_CALLS = """
(function_call_expression function: (name) @callee) @call
(member_call_expression name: (name) @callee) @call
(scoped_call_expression name: (name) @callee) @call
(object_creation_expression (name) @callee) @call
"""

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar("tree_sitter_python", "language", _PY_DEFS, _PY_CALLS),
    "javascript": Grammar("tree_sitter_javascript", "language", _JS_DEFS, _JS_CALLS),
    "typescript": Grammar(
        "tree_sitter_typescript", "language_typescript", _JS_DEFS + _TS_DEFS, _JS_CALLS
    ),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", _JS_DEFS + _TS_DEFS, _JS_CALLS),
    "java": Grammar("tree_sitter_java", "language", _JAVA_DEFS, _JAVA_CALLS),
    "c": Grammar("tree_sitter_c", "language", _C_DEFS + _STRUCT, _C_CALLS),
    "cpp": Grammar(
        "tree_sitter_cpp", "language", _C_DEFS + _CPP_DEFS + _STRUCT, _C_CALLS + _CPP_CALLS
    ),
    "go": Grammar("tree_sitter_go", "language", _GO_DEFS, _GO_CALLS),
    "rust": Grammar("tree_sitter_rust", "language", _RUST_DEFS, _RUST_CALLS),
    "ruby": Grammar("tree_sitter_ruby", "language", _RUBY_DEFS, _RUBY_CALLS),
    "csharp": Grammar("tree_sitter_c_sharp", "language", _CSHARP_DEFS, _CSHARP_CALLS),
    "kotlin": Grammar("tree_sitter_kotlin", "language", _KOTLIN_DEFS, _KOTLIN_CALLS),
    "php": Grammar("tree_sitter_php", "language_php", _PHP_DEFS, _PHP_CALLS),
}
LANGUAGE_OF: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript", ".tsx": "tsx",
    ".java": "java", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp",
    ".hpp": "cpp", ".hh": "cpp", ".go": "go", ".rs": "rust", ".rb": "ruby", ".cs": "csharp",
    ".kt": "kotlin", ".kts": "kotlin", ".php": "php",
}  # fmt: skip
# What `lang:` accepts beside the names above.
LANGUAGE_ALIASES: dict[str, str] = {
    "py": "python", "js": "javascript", "ts": "typescript", "c++": "cpp", "golang": "go",
    "rs": "rust", "rb": "ruby", "c#": "csharp", "cs": "csharp", "kt": "kotlin",
    "md": "markdown", "yml": "yaml", "pyx": "cython",
}  # fmt: skip
OTHER_LANGUAGES: dict[str, str] = {
    ".md": "markdown", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".pyx": "cython",
    ".pxd": "cython",
}  # fmt: skip


def language_of(path: str) -> str | None:
    """The language of a file by its extension ("python"), None when unknown."""
    dot = path.rfind(".")
    suffix = path[dot:].lower() if dot >= 0 else ""
    return LANGUAGE_OF.get(suffix) or OTHER_LANGUAGES.get(suffix)
