"""`python -m bot --help` and `python -m bot chat` load only what they use: a command's parser
does not import its implementation, and provider SDKs, the web server, Redis, PostgreSQL and the
metrics exporter stay out of a terminal chat that does not use them (its start-up is mostly
imports: bench/chat_start.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")

# Needed by no command's parser.
IMPLEMENTATIONS = (
    "bot.config",
    "bot.services",
    "bot.engine",
    "bot.flows",
    "bot.nlu",
    "bot.llm",
    "bot.search.service",
    "bot.store",
    "bot.web",
    "bot.testing",
    "yaml",
    "jinja2",
    "transitions",
    "rapidfuzz",
    "numpy",
    "aiohttp",
)
# Needed by a terminal chat with no language model configured and SQLite or memory storage.
NOT_IN_A_CHAT = (
    "bot.web",
    "bot.testing",
    "bot.channels.twilio",
    "bot.channels.twilio_rest",
    "bot.coord.redis",
    "bot.store.postgres",
    "bot.flows.graph",
    "bot.search.chunkhound",  # semantic search, when an embedding server is configured
    "bot.llm.router",  # made when a message first needs a model (a question, an ambiguity)
    "bot.llm.base",
    "bot.actions.answering",
    "bot.llm.openai",
    "bot.llm.anthropic",
    "aiohttp",
    "twilio",
    "requests",
    "redis",
    "asyncpg",
    "openai",
    "anthropic",
    "tiktoken",
    "prometheus_client",
)


def imported(args: list[str], stdin: str = "") -> tuple[set[str], str]:
    """Every module `python -m bot ARGS` imported (its whole run), and its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_KEYS}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "DATABASE_URL": "memory://"},
        timeout=120,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # the first is the header
    assert "bot.cli" in names
    return names, done.stdout


def loaded(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in packages))


def test_help_imports_no_command_implementation() -> None:
    names, out = imported(["--help"])
    assert "chat" in out and "serve" in out
    assert loaded(names, IMPLEMENTATIONS) == []


def test_a_command_help_imports_no_implementation_either() -> None:
    names, out = imported(["search", "--help"])
    assert "--kind" in out
    assert loaded(names, IMPLEMENTATIONS) == []


def test_a_chat_without_a_model_imports_no_sdk_server_or_metrics() -> None:
    names, out = imported(["chat", "--user", "imports"], stdin="hi\n")
    assert out.startswith("👋 Hi!")
    assert "bot.services" in names  # the chat really ran
    assert loaded(names, NOT_IN_A_CHAT) == []
