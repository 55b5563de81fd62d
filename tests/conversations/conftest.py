"""Every *.yaml file here is a conversation test file: one pytest item per case."""

from bot.testing.pytest_plugin import pytest_collect_file

__all__ = ["pytest_collect_file"]
