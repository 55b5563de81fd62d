"""What can be typed next, derived from the flow: a state's intents with a `hint`, any other
text where the state takes it, and the global commands. No state's help is written by hand."""

from __future__ import annotations

from bot.flows.model import OTHERWISE, FlowSet, State


def state_hints(flows: FlowSet, state: State) -> list[str]:
    hints: list[str] = []
    for name in state.intents:
        if name in flows.globals:
            continue
        intent = flows.intents.get(name)
        if intent is not None and intent.hint and intent.hint not in hints:
            hints.append(intent.hint)
    return hints


def takes_text(state: State) -> bool:
    return any(t.trigger == OTHERWISE for t in state.on)


def next_steps(flows: FlowSet, state: State) -> str:
    """ "Send *more* for more results, *open N* to see the code, or type what to look for."
    Empty for a state that has no intent with a hint and its own `help:` (which says it)."""
    hints = state_hints(flows, state)
    if not hints and state.help:
        return ""
    if takes_text(state):
        hints.append("type what to look for" if hints else "just type what to look for")
    if not hints:
        return ""
    if len(hints) == 1:
        return f"Send {hints[0]}." if not hints[0].startswith("just") else f"Or {hints[0]}."
    return "Send " + ", ".join(hints[:-1]) + f", or {hints[-1]}."


def any_time(flows: FlowSet) -> str:
    """The global commands with a hint: "Any time: *menu*, *back*, *help*." """
    hints = []
    for name in flows.globals:
        intent = flows.intents.get(name)
        if intent is not None and intent.hint and intent.hint not in hints:
            hints.append(intent.hint)
    return "Any time: " + ", ".join(hints) + "." if hints else ""
