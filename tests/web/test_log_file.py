"""LOG_FILE: the same JSON lines as stderr, in a file rotated by size."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.web.logs import configure_logging


def settings_with(tmp_path: Path, **environ: str) -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text("env: production\n")
    return load_settings(config, environ=environ)


def test_log_file_gets_the_stderr_lines_and_rotates(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, LOG_FILE="logs/whatsapp_assistant.log")
    settings = dataclasses.replace(settings, log_file_max_bytes=2000, log_file_backups=2)
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    try:
        for i in range(60):
            logging.getLogger("bot.web").info(
                "webhook.replied", extra={"fields": {"n": i, "text": "private words"}}
            )
    finally:
        for handler in logging.getLogger().handlers:
            handler.close()
        logging.getLogger().handlers.clear()
    folder = tmp_path / "logs"  # relative to the config file's folder, created when missing
    current = folder / "whatsapp_assistant.log"
    assert sorted(p.name for p in folder.iterdir()) == [
        "whatsapp_assistant.log",
        "whatsapp_assistant.log.1",
        "whatsapp_assistant.log.2",
    ]
    assert current.stat().st_size <= 2000
    kept = []
    for name in ("whatsapp_assistant.log.2", "whatsapp_assistant.log.1", "whatsapp_assistant.log"):
        kept += (folder / name).read_text(encoding="utf-8").splitlines()
    printed = stream.getvalue().splitlines()
    assert kept == printed[-len(kept) :]  # the newest lines, in order, as printed
    assert [json.loads(line)["n"] for line in kept][-1] == 59
    assert "private words" not in "".join(kept)  # production drops message text there too


def test_a_log_file_that_cannot_be_written_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    settings = settings_with(tmp_path, LOG_FILE="blocker/bot.log")
    with pytest.raises(ConfigError, match="log_file"):
        configure_logging(settings, stream=io.StringIO())
