"""Rule marks and the rulebook: which function decides, evolves, indexes or runs on the clock.

A rule module marks its functions; the marks register nothing by themselves:
- `@handles(CommandType)`: decide (see `Context`).
- `@evolves(EventType)`: evolve. A pure `(entity | None, event) -> entity`.
- `@on_timer("kind")`: a time-based rule run by the clock tick when its timer is due.
- `@on_tick`: a periodic rule run on every clock tick (snapshots, health scores).
- `@indexes(EventType)`: keeps a cross-aggregate view current after a command succeeds.

`Rulebook.collect` builds the maps from an explicit list of modules (`domain.catalog`);
the engine and every Context are given a rulebook, so which rules run is decided by
whoever composes the application, not by which modules happen to be imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from domain.kernel.context import Context
from domain.kernel.messages import Event, Message
from domain.kernel.state import CrmState

Handler = Callable[[Context, Any], None]
Evolver = Callable[[Any, Any], Any]
TimerRule = Callable[[Context, str], None]
TickRule = Callable[[Context], None]
Indexer = Callable[[CrmState, Any], None]

_MARKS = "__crm_rule_marks__"


def _mark(fn: Any, role: str, key: str) -> None:
    fn.__dict__.setdefault(_MARKS, []).append((role, key))


def handles(*types: type[Message]) -> Callable[[Handler], Handler]:
    """Mark a decide function for input message types."""
    def mark(fn: Handler) -> Handler:
        for t in types:
            _mark(fn, "handles", t.__name__)
        return fn
    return mark


def evolves(*types: type[Event]) -> Callable[[Evolver], Evolver]:
    """Mark the evolve function for event types."""
    def mark(fn: Evolver) -> Evolver:
        for t in types:
            _mark(fn, "evolves", t.__name__)
        return fn
    return mark


def on_timer(kind: str) -> Callable[[TimerRule], TimerRule]:
    """Mark a time-based rule for a timer kind."""
    def mark(fn: TimerRule) -> TimerRule:
        _mark(fn, "timer", kind)
        return fn
    return mark


def on_tick(fn: TickRule) -> TickRule:
    """Mark a periodic rule run on every clock tick, after the due timers."""
    _mark(fn, "tick", "")
    return fn


def indexes(*types: type[Event]) -> Callable[[Indexer], Indexer]:
    """Mark a view updater run after a successful command."""
    def mark(fn: Indexer) -> Indexer:
        for t in types:
            _mark(fn, "indexes", t.__name__)
        return fn
    return mark


def marked_rules(module: ModuleType) -> list[Callable[..., Any]]:
    """The marked functions a module defines, in the order it defines them."""
    return [value for value in vars(module).values()
            if callable(value) and _MARKS in getattr(value, "__dict__", {})
            and getattr(value, "__module__", None) == module.__name__]


@dataclass(frozen=True)
class Rulebook:
    """Which function decides, evolves, indexes or runs on the clock, by name.

    Tick rules and the indexers of one event run in the order they were collected, so
    the order of the collected modules is part of the behaviour (ids derive from it).
    """

    handlers: Mapping[str, Handler] = field(default_factory=dict)
    evolvers: Mapping[str, Evolver] = field(default_factory=dict)
    timers: Mapping[str, TimerRule] = field(default_factory=dict)
    indexers: Mapping[str, tuple[Indexer, ...]] = field(default_factory=dict)
    tick_rules: tuple[TickRule, ...] = ()

    @classmethod
    def collect(cls, sources: Iterable[ModuleType | Callable[..., Any]]) -> Rulebook:
        """The rules marked in these modules (or these functions), in the order given.

        A second decider, evolver or timer rule for one name is an error, not an override.
        """
        handlers: dict[str, Handler] = {}
        evolvers: dict[str, Evolver] = {}
        timers: dict[str, TimerRule] = {}
        indexers: dict[str, list[Indexer]] = {}
        ticks: list[TickRule] = []
        unique = {"handles": handlers, "evolves": evolvers, "timer": timers}
        for source in sources:
            rules = marked_rules(source) if isinstance(source, ModuleType) else [source]
            for fn in rules:
                for role, key in getattr(fn, _MARKS, ()):
                    if role == "tick":
                        ticks.append(fn)
                    elif role == "indexes":
                        indexers.setdefault(key, []).append(fn)
                    elif key in unique[role]:
                        raise ValueError(f"two {role} rules for {key}: "
                                         f"{unique[role][key].__qualname__}, {fn.__qualname__}")
                    else:
                        unique[role][key] = fn
        return cls(handlers, evolvers, timers,
                   {key: tuple(fns) for key, fns in indexers.items()}, tuple(ticks))

    def handler_for(self, event_type: str) -> Handler | None:
        """The decide function for an input type, if any."""
        return self.handlers.get(event_type)

    def timer_rule(self, kind: str) -> TimerRule:
        """The rule for a timer kind."""
        return self.timers[kind]
