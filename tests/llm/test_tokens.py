"""Token counting from the shipped encodings, and trimming to the context window."""

from __future__ import annotations

import hashlib
import inspect
import lzma
from collections.abc import Callable

import tiktoken_ext.openai_public

from bot.llm.base import Message, Task
from bot.llm.encodings import SPECS
from bot.llm.router import LLMRouter
from bot.llm.tokens import TokenCounter, encoding_for
from tests.llm.conftest import llm_settings
from tests.llm.fakes import FakeLLM, Reply

MakeRouter = Callable[..., LLMRouter]


def test_shipped_files_are_the_ones_tiktoken_pins():
    source = inspect.getsource(tiktoken_ext.openai_public)
    for spec in SPECS.values():
        digest = hashlib.sha256(lzma.decompress(spec.path.read_bytes())).hexdigest()
        assert digest == spec.sha256
        assert f'expected_hash="{spec.sha256}"' in source


def test_openai_models_are_counted_exactly():
    counter = TokenCounter.for_model("openai", "gpt-4o-mini")
    assert counter.exact and counter.name == "o200k_base"
    assert counter.encoding is not None
    assert counter.encoding.encode("hello world") == [24912, 2375]
    legacy = TokenCounter.for_model("openai", "gpt-3.5-turbo")
    assert legacy.name == "cl100k_base" and legacy.count("hello world") == 2


def test_other_models_are_labelled_approximate_and_counted_high():
    assert encoding_for("anthropic", "claude-3-5-haiku-latest") == ("o200k_base", False)
    assert encoding_for("openai", "llama3.1:8b") == ("o200k_base", False)
    claude = TokenCounter.for_model("anthropic", "claude-3-5-haiku-latest")
    exact = TokenCounter.for_model("openai", "gpt-4o")
    assert not claude.exact
    text = "def get_template(self, name, parent=None):\n    return self._load(name)\n" * 20
    assert claude.count(text) > exact.count(text)  # trimming errs on the side of less


def test_without_encoding_files_a_byte_estimate_stands_in():
    counter = TokenCounter(None, False)
    assert counter.count("a" * 400) == 115  # 400 bytes / 4, plus the 15% margin
    assert counter.name == "approx-bytes/4"


async def test_a_small_window_keeps_the_best_snippets_and_newest_turns(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(Reply("trimmed answer"))
    settings = llm_settings(fake_llm, openai={"max_context_tokens": 900, "max_output_tokens": 200})
    router = make_router(settings)
    snippets = tuple(f"file{i}.py:1-30\n" + f"line of code number {i} " * 40 for i in range(6))
    history = tuple(
        Message("user" if i % 2 == 0 else "assistant", f"turn {i} " + "words " * 60)
        for i in range(8)
    )
    task = Task(
        prompt="answer",
        variables={"question": "what?", "repo": "demo"},
        snippets=snippets,
        history=history,
    )

    done = await router.complete(task)

    assert done.text == "trimmed answer"
    assert 0 < done.snippets_sent < 6 and done.snippets_dropped == 6 - done.snippets_sent
    assert done.prompt_tokens_counted <= 900 - 200
    body = fake_llm.requests[0].body  # what was really sent fits, counted as a whole
    counter = TokenCounter.for_model("openai", "gpt-4o-mini")
    system, *turns = [m["content"] for m in body["messages"]]
    assert counter.count_messages(system, turns) <= 900 - 200
    sent = fake_llm.requests[0].prompt_text
    assert "file0.py" in sent and "file5.py" not in sent  # best first


async def test_history_is_kept_newest_first_from_a_user_turn(
    fake_llm: FakeLLM, make_router: MakeRouter
):
    fake_llm.then(Reply("ok"))
    settings = llm_settings(fake_llm, openai={"max_context_tokens": 900, "max_output_tokens": 200})
    history = tuple(
        Message("user" if i % 2 == 0 else "assistant", f"turn {i} " + "words " * 60)
        for i in range(10)
    )
    task = Task(prompt="answer", variables={"question": "what?", "repo": "demo"}, history=history)

    done = await make_router(settings).complete(task)

    messages = fake_llm.requests[0].body["messages"]
    sent = [m["content"].split()[3] for m in messages[1:-1]]  # turn numbers (after the fence)
    assert 2 <= len(sent) < 10 and sent[-1] == "9"  # the newest turns, up to the last
    assert int(sent[0]) % 2 == 0 and messages[1]["role"] == "user"  # opening with the user
    assert done.history_dropped == 10 - len(sent)


def test_encodings_load_without_touching_the_network(monkeypatch):
    import tiktoken.load

    from bot.llm.encodings import load_encoding

    def no_download(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("tiktoken tried to download an encoding")

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_download)
    load_encoding.cache_clear()
    assert load_encoding("cl100k_base").encode("hello world") == [15339, 1917]
