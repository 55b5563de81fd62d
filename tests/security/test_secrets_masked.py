"""Secrets committed in a repository never reach the person chatting: search results, `open`
and local answers show them masked (configurable), and a regex cannot spell one out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import settings_from_mapping
from bot.engine.turn import Inbound
from bot.services import Services
from bot.store.memory import MemoryStore
from tests.conftest import scratch_index_dir

ROOT = Path(__file__).resolve().parents[2]
# Built from parts so that this file itself holds no credential-shaped string.
AWS_KEY = "AKIA" + "QX7ZEXAMPLE4KEY2"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PEM_BODY = (
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
)
PEM_BEGIN = "-----BEGIN RSA " + "PRIVATE KEY-----"
PEM_END = "-----END RSA " + "PRIVATE KEY-----"
SECRETS = (AWS_KEY, AWS_SECRET, GITHUB_TOKEN, *PEM_BODY)

SETTINGS_PY = f'''"""Deployment settings."""

AWS_ACCESS_KEY_ID = "{AWS_KEY}"
AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"
GITHUB_TOKEN = "{GITHUB_TOKEN}"
INTERNAL_TICKET = "internal-204816"


def deploy_settings():
    """The credentials the deploy step uses."""
    return AWS_ACCESS_KEY_ID, GITHUB_TOKEN
'''


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "infra"
    (root / "deploy").mkdir(parents=True)
    (root / "settings.py").write_text(SETTINGS_PY)
    key = "\n".join(f"  {line}" for line in (PEM_BEGIN, *PEM_BODY, PEM_END))
    (root / "deploy" / "ssh.yaml").write_text(f"# the deploy key\ndeploy_key: |\n{key}\n")
    return root


Say = Callable[[str], Awaitable[str]]


@pytest.fixture
async def chat(repo: Path) -> AsyncIterator[Callable[..., Awaitable[Say]]]:
    opened: list[Services] = []

    async def start(**secrets: Any) -> Say:
        settings = settings_from_mapping(
            {
                "flows": {"dir": str(ROOT / "flows"), "prompts_dir": str(ROOT / "prompts")},
                "search": {"index_dir": scratch_index_dir()},
                "llm": {"chain": ["local"]},
                "repos": [{"name": "infra", "path": str(repo)}],
                "secrets": secrets,
            },
            base_dir=ROOT,
        )
        services = await Services.create(settings, store=MemoryStore(), watch_flows=False)
        await services.search.wait_ready()
        opened.append(services)

        async def say(text: str) -> str:
            result = await services.engine.handle(Inbound("whatsapp:+15550100", text))
            return "\n".join(result.replies)

        for text in ("hi", "switch repo", "1"):  # into the repository
            await say(text)
        return say

    yield start
    for services in opened:
        await services.close()


def _no_secret(reply: str) -> None:
    for secret in SECRETS:
        assert secret not in reply


async def test_search_open_and_answers_never_show_a_committed_secret(chat) -> None:
    say = await chat()
    replies: list[str] = []
    found = await say("AWS_ACCESS_KEY_ID")
    assert "settings.py" in found and 'AWS_ACCESS_KEY_ID = "[redacted]"' in found
    replies += [found, await say("open 1")]
    assert "[redacted]" in replies[-1] and "deploy_settings" in replies[-1]
    replies.append(await say("/ghp_a1B2/"))  # the match lies inside the token: not shown
    assert "No matches" in replies[-1]
    replies.append(await say("/AKIA[A-Z]/"))  # spelling a key out one letter at a time
    assert "No matches" in replies[-1]
    replies.append(await say("PRIVATE KEY"))
    assert "deploy/ssh.yaml" in replies[-1]
    replies.append(await say("open 1"))
    assert replies[-1].count("[redacted]") == len(PEM_BODY)
    replies.append(await say("/Tnx|gnTxK/"))  # a word of the key's body
    assert "No matches" in replies[-1]
    replies.append(await say("menu"))
    replies.append(await say("3"))
    replies.append(await say("which credentials does deploy_settings use?"))
    assert "settings.py" in replies[-1]  # a local answer, quoting the code
    for reply in replies:
        _no_secret(reply)


async def test_masking_can_be_turned_off_and_extended(chat) -> None:
    shown = await chat(mask=False)
    assert AWS_KEY in await shown("AWS_ACCESS_KEY_ID")
    extended = await chat(patterns=[r"internal-(\d{6})"])
    found = await extended("INTERNAL_TICKET")
    assert 'INTERNAL_TICKET = "internal-[redacted]"' in found
    assert AWS_KEY not in found
