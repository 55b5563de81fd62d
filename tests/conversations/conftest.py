"""Every *.yaml file here is a conversation test file: one pytest item per case.
BOT_CONVERSATION_COVERAGE=1 prints the states and transitions no case walked."""

from bot.testing.pytest_plugin import pytest_collect_file, pytest_terminal_summary

__all__ = ["pytest_collect_file", "pytest_terminal_summary"]
