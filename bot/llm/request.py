"""Turning a Task into what one provider is sent: rendered prompts, trimmed to its window."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ProviderConfig
from bot.llm.base import ChatRequest, Completion, Message, ProviderReply, Task
from bot.llm.prompts import PromptLibrary, fence
from bot.llm.tokens import TokenCounter, fit

# Fence kinds of earlier turns; the system prompt names both as data.
_HISTORY_KIND = {"user": "message", "assistant": "reply"}


@dataclass(frozen=True, slots=True)
class Prepared:
    request: ChatRequest
    counted: int  # our count of the prompt's tokens
    exact: bool
    snippets_sent: int
    snippets_dropped: int
    history_dropped: int

    def completion(self, reply: ProviderReply, provider: str, latency_ms: float) -> Completion:
        return Completion(
            text=reply.text,
            provider=provider,
            model=reply.model,
            tokens_in=reply.tokens_in or self.counted,
            tokens_out=reply.tokens_out,
            latency_ms=latency_ms,
            prompt_tokens_counted=self.counted,
            tokens_exact=self.exact,
            snippets_sent=self.snippets_sent,
            snippets_dropped=self.snippets_dropped,
            history_dropped=self.history_dropped,
        )


def prepare(
    task: Task,
    window: ProviderConfig,
    prompts: PromptLibrary,
    counter: TokenCounter,
) -> Prepared:
    """Render the system prompt and the task's template, keeping the best snippets and the newest
    history that fit in ``max_context_tokens`` minus the room kept for the answer."""
    max_tokens = task.max_tokens or window.max_output_tokens
    budget = window.max_context_tokens - max_tokens
    system = prompts.render("system", {"task": task.prompt, "repo": task.variables.get("repo", "")})
    # Earlier turns are as untrusted as the current message: an instruction sent two turns ago
    # must arrive fenced as data too, never as a plain user (or assistant) message.
    history = [
        fence(prompts.redact(m.content), _HISTORY_KIND.get(m.role, "message")) for m in task.history
    ]
    bare = prompts.render(task.prompt, {**task.variables, "snippets": []})
    fixed = counter.count_messages(system, [bare])
    fitted = fit(
        counter,
        budget=budget,
        fixed=fixed,
        snippets=[fence(s, "code") for s in task.snippets],
        history=history,
    )
    kept = list(task.snippets[: len(fitted.snippets)])
    turns = _from_a_user_turn(task, list(fitted.history))
    # The parts were counted one by one; the whole can differ by a few tokens where they join.
    # Within reach of the budget, count the rendered whole exactly and drop parts until it fits.
    counted = fitted.tokens
    user = prompts.render(task.prompt, {**task.variables, "snippets": kept})
    while counted > budget - max(32, budget // 20):
        counted = counter.count_messages(system, [history[i] for i in turns] + [user])
        if counted <= budget or not (kept or turns):
            break
        if turns:
            turns = _from_a_user_turn(task, turns[1:])
        else:
            kept.pop()
        user = prompts.render(task.prompt, {**task.variables, "snippets": kept})
    messages = (*(Message(task.history[i].role, history[i]) for i in turns), Message("user", user))
    return Prepared(
        request=ChatRequest(system=system, messages=_alternating(messages), max_tokens=max_tokens),
        counted=counted,
        exact=counter.exact,
        snippets_sent=len(kept),
        snippets_dropped=len(task.snippets) - len(kept),
        history_dropped=len(task.history) - len(turns),
    )


def _from_a_user_turn(task: Task, turns: list[int]) -> list[int]:
    """History sent must open with a user turn (Anthropic refuses anything else)."""
    while turns and task.history[turns[0]].role != "user":
        turns = turns[1:]
    return turns


def _alternating(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """Merge consecutive turns of one role (Anthropic requires user/assistant to alternate) and
    start with a user turn."""
    merged: list[Message] = []
    for message in messages:
        if merged and merged[-1].role == message.role:
            merged[-1] = Message(message.role, f"{merged[-1].content}\n\n{message.content}")
        elif merged or message.role == "user":
            merged.append(message)
    return tuple(merged)
