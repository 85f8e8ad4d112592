"""Fold one input into the state: the single entry point both runtimes call.

The rules come in as a `Rulebook` (built by `domain.catalog.rulebook()` or a test's own):
the engine reads no registry of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from domain.kernel.context import Context, Rejected, derive_id
from domain.kernel.messages import Event, Message
from domain.kernel.rulebook import Rulebook
from domain.kernel.state import CrmState
from domain.kernel.system import CommandRejected, TickClock
from domain.rules_config import DEFAULT_RULES, BusinessRules


def handle(state: CrmState, message: Message, rules: BusinessRules = DEFAULT_RULES, *,
           book: Rulebook) -> list[Event]:
    """Decide and evolve for one input; return the derived events in order.

    A duplicate input (same event_id) derives nothing; a refused one derives a
    `CommandRejected` and leaves the state as it was.
    """
    if message.event_id in state.seen_inputs:
        return []
    state.seen_inputs.add(message.event_id)
    if isinstance(message, TickClock):
        return _tick(state, message, rules, book)
    handler = book.handler_for(message.event_type)
    if handler is None:
        return _reject(state, message, rules, f"no rule accepts {message.event_type}")
    return _run(state, message, rules, book, lambda ctx: handler(ctx, message), "",
                reject=True)


def handle_all(
    state: CrmState, messages: Iterable[Message], rules: BusinessRules = DEFAULT_RULES, *,
    book: Rulebook,
) -> list[Event]:
    """Fold many inputs; the derived events of all of them, in order."""
    out: list[Event] = []
    for message in messages:
        out.extend(handle(state, message, rules, book=book))
    return out


def _tick(state: CrmState, tick: TickClock, rules: BusinessRules, book: Rulebook) -> list[Event]:
    if state.clock is not None and tick.occurred_at <= state.clock:
        return []  # a late or repeated tick: time never runs backwards
    state.clock = tick.occurred_at
    out: list[Event] = []
    for timer in state.pop_due(tick.occurred_at):
        rule = book.timer_rule(timer.kind)
        scope = f"{timer.kind}/{timer.aggregate_id}/{timer.seq}"
        out.extend(_run(state, tick, rules, book,
                        lambda ctx, t=timer, r=rule: r(ctx, t.aggregate_id), scope, reject=False))
    for index, rule in enumerate(book.tick_rules):
        out.extend(_run(state, tick, rules, book, rule, f"tick/{index}", reject=False))
    return out


def _run(
    state: CrmState,
    cause: Message,
    rules: BusinessRules,
    book: Rulebook,
    decide: Callable[[Context], None],
    scope: str,
    reject: bool,
) -> list[Event]:
    ctx = Context(state, cause, rules, scope, book=book)
    try:
        decide(ctx)
    except Rejected as refusal:
        ctx.rollback()
        return _reject(state, cause, rules, refusal.reason) if reject else []
    return ctx.commit()


def _reject(state: CrmState, cause: Message, rules: BusinessRules, reason: str) -> list[Event]:
    # Rejections are not part of any aggregate's history: no version, no state change.
    return [CommandRejected(
        event_id=derive_id(cause.event_id, "rejected"), aggregate_id=cause.aggregate_id,
        occurred_at=cause.occurred_at, causation_id=cause.event_id,
        correlation_id=cause.correlation_id or cause.event_id, actor=cause.actor,
        command_id=cause.event_id,
        command_type=cause.event_type, reason=reason[:500],
    )]
