from __future__ import annotations

import pytest

from bot.search.symbols import Outliner

SOURCES = {
    ".py": (b"class Env:\n    def get(self):\n        pass\n\ndef top():\n    pass\n",
            [("Env", "class", 1), ("Env.get", "function", 2), ("top", "function", 5)]),
    ".js": (b"class Store {\n  save() {}\n}\nfunction load() {}\nconst fmt = () => 1;\n",
            [("Store", "class", 1), ("Store.save", "function", 2), ("load", "function", 4),
             ("fmt", "function", 5)]),
    ".ts": (b"export interface Opts { a: number }\ntype Id = string;\n"
            b"class Api {\n  get(): void {}\n}\n",
            [("Opts", "interface", 1), ("Id", "type", 2), ("Api", "class", 3),
             ("Api.get", "function", 4)]),
    ".java": (b"public class Shop {\n  public Shop() {}\n  void pay() {}\n}\ninterface Cart {}\n",
              [("Shop", "class", 1), ("Shop.Shop", "function", 2), ("Shop.pay", "function", 3),
               ("Cart", "interface", 5)]),
    ".c": (b"struct point { int x; };\nstatic int *area(int a) {\n  return 0;\n}\n",
           [("point", "struct", 1), ("area", "function", 2)]),
    ".cpp": (b"namespace geo {\nclass Shape {\n  void draw() {}\n};\n}\nint main() { return 0; }\n",
             [("geo", "namespace", 1), ("geo.Shape", "class", 2), ("geo.Shape.draw", "function", 3),
              ("main", "function", 6)]),
    ".md": (b"# Title\n\ntext\n\n## Install\n",
            [("Title", "heading", 1), ("Install", "heading", 5)]),
    ".go": (b"package shop\n\ntype Cart struct {\n\tItems []Item\n}\n\n"
            b"type Payer interface {\n\tPay() error\n}\n\n"
            b"func (c *Cart) Total() int {\n\treturn sum(c.Items)\n}\n\nfunc NewCart() *Cart {\n"
            b"\treturn &Cart{}\n}\n",
            [("Cart", "struct", 3), ("Payer", "interface", 7), ("Total", "function", 11),
             ("NewCart", "function", 15)]),
    ".rs": (b"pub struct Point {\n    x: i32,\n}\n\npub trait Draw {\n    fn draw(&self);\n}\n\n"
            b"impl Point {\n    pub fn new(x: i32) -> Self {\n        Point { x }\n    }\n}\n\n"
            b"pub enum Shape { Dot }\n\nfn main() {}\n",
            [("Point", "struct", 1), ("Draw", "interface", 5), ("Draw.draw", "function", 6),
             ("Point", "impl", 9), ("Point.new", "function", 10), ("Shape", "enum", 15),
             ("main", "function", 17)]),
    ".rb": (b"module Shop\n  class Cart\n    def add(item)\n      @items << item\n    end\n\n"
            b"    def self.build\n      new\n    end\n  end\nend\n",
            [("Shop", "namespace", 1), ("Shop.Cart", "class", 2), ("Shop.Cart.add", "function", 3),
             ("Shop.Cart.build", "function", 7)]),
    ".cs": (b"namespace Shop {\n  public interface IPayer { }\n  public class Cart {\n"
            b"    public Cart() { }\n    public int Total() { return 0; }\n  }\n}\n",
            [("Shop", "namespace", 1), ("Shop.IPayer", "interface", 2), ("Shop.Cart", "class", 3),
             ("Shop.Cart.Cart", "function", 4), ("Shop.Cart.Total", "function", 5)]),
    ".kt": (b"package shop\n\nclass Cart(val items: List<Item>) {\n    fun total(): Int = 0\n}\n\n"
            b"object Registry\n\nfun main() {}\n",
            [("Cart", "class", 3), ("Cart.total", "function", 4), ("Registry", "class", 7),
             ("main", "function", 9)]),
    ".php": (b"<?php\nnamespace Shop;\n\ninterface Payer {}\n\nclass Cart {\n"
             b"    public function total() { return 0; }\n}\n\nfunction make_cart() {\n"
             b"    return new Cart();\n}\n",
             [("Payer", "interface", 4), ("Cart", "class", 6), ("Cart.total", "function", 7),
              ("make_cart", "function", 10)]),
    ".pyx": (b"cdef class HttpParser:\n    cdef int _limit\n\n    def feed_data(self, data):\n"
             b"        pass\n",
             [("HttpParser", "class", 1), ("feed_data", "function", 4)]),
}  # fmt: skip
CALLS = {
    ".py": (b"@cached\ndef run(env):\n    tpl = env.get_template('a')\n    return render(tpl)\n",
            [("cached", 1), ("get_template", 3), ("render", 4)]),
    ".js": (b"const a = load(1);\nstore.save(a);\nconst b = new Cart();\n",
            [("load", 1), ("save", 2), ("Cart", 3)]),
    ".go": (b"package m\nfunc f() {\n\tx := helper(1)\n\tfmt.Println(x)\n}\n",
            [("helper", 3), ("Println", 4)]),
    ".rs": (b"fn f() {\n    let p = Point::new(1);\n    p.draw();\n    println!(\"{}\", 1);\n}\n",
            [("new", 2), ("draw", 3), ("println", 4)]),
    ".rb": (b"def f\n  cart.add(item)\n  save(cart)\nend\n", [("add", 2), ("save", 3)]),
    ".cs": (b"class A {\n  void F() {\n    Helper();\n    this.Save(1);\n    var c = new Cart();\n"
            b"  }\n}\n",
            [("Helper", 3), ("Save", 4), ("Cart", 5)]),
    ".kt": (b"fun f() {\n    helper(1)\n    cart.save()\n}\n", [("helper", 2), ("save", 3)]),
    ".php": (b"<?php\nfunction f($c) {\n  helper($c);\n  $c->save();\n  Cart::make();\n"
             b"  return new Cart();\n}\n",
             [("helper", 3), ("save", 4), ("make", 5), ("Cart", 6)]),
    ".java": (b"class A {\n  void f() {\n    helper(1);\n    cart.save();\n    new Cart();\n"
              b"  }\n}\n",
              [("helper", 3), ("save", 4), ("Cart", 5)]),
}  # fmt: skip


@pytest.mark.parametrize("suffix", sorted(SOURCES))
def test_definitions_are_found_with_their_enclosing_names(suffix: str) -> None:
    data, expected = SOURCES[suffix]
    found = [(s.qualname, s.kind, s.line) for s in Outliner().outline(suffix, data)]
    assert found == expected


def test_a_language_without_its_grammar_falls_back_to_patterns() -> None:
    outliner = Outliner()
    outliner._tools["python"] = None  # as when the grammar wheel is missing
    found = Outliner.outline(outliner, ".py", b"class A:\n    def run(self):\n        pass\n")
    assert [(s.name, s.kind, s.line) for s in found] == [("A", "class", 1), ("run", "function", 2)]


def test_syntax_errors_still_yield_the_definitions_around_them() -> None:
    data = b"def good():\n    pass\n\ndef broken(:\n    pass\n\nclass Later:\n    pass\n"
    names = [s.name for s in Outliner().outline(".py", data)]
    assert "good" in names and "Later" in names


@pytest.mark.parametrize("suffix", sorted(CALLS))
def test_call_sites_are_found_by_the_grammar(suffix: str) -> None:
    data, expected = CALLS[suffix]
    assert [(c.name, c.line) for c in Outliner().calls(suffix, data)] == expected


def test_call_sites_of_one_name_leave_out_mentions_that_are_not_calls() -> None:
    data = (
        b"from util import render  # render is imported\n"
        b"def render_all(items):\n"
        b'    """Calls render on each item."""\n'
        b"    hook = render\n"
        b"    return [render(i) for i in items]\n"
    )
    assert [c.line for c in Outliner().calls(".py", data, "render")] == [5]


def test_python_module_constants_are_definitions_and_class_attributes_are_not() -> None:
    data = (
        b"LIMIT = 10\nTimeout: float = 2.5\nif USE_C:\n    parse = fast_parse\n\n"
        b"class Cart:\n    currency = 'EUR'\n\n    def total(self):\n        local = 1\n"
    )
    found = [(s.qualname, s.kind, s.line) for s in Outliner().outline(".py", data)]
    assert found == [
        ("LIMIT", "variable", 1), ("Timeout", "variable", 2), ("parse", "variable", 4),
        ("Cart", "class", 6), ("Cart.total", "function", 9),
    ]  # fmt: skip
