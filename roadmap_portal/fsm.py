"""One state-machine primitive for every status the portal moves: offers, tenders, certificates.

A machine is a table of frozen ``Transition`` rows, declared once where the status lives.
A row may leave its ``guard``, ``record`` or ``input`` to an app above it (``awaits``): that
app attaches them with ``Machine.attach`` when it is ready, so the dependency is an import a
reader can follow, and ``unattached()`` (a system check) refuses to start without them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

SLOTS = ("guard", "record", "input")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: Any  # a lazy translation
    roles: tuple[str, ...] = ()
    style: str = "primary"
    comment_required: bool = False
    # Run inside the transition's transaction: the guard (offer, user, data) raises
    # TransitionNotAllowed; the record writes the stage's record from the input's cleaned
    # values and answers what the history keeps of it; ``input`` is the DRF serializer that
    # validates the stage's ``data`` (through the API and the pages alike).
    guard: Callable[..., None] | None = None
    record: Callable[..., dict[str, Any] | None] | None = None
    input: type | None = None
    awaits: tuple[str, ...] = ()  # slots an app above attaches

    @property
    def source(self) -> str:
        """The one state a single-source row leaves."""
        (only,) = self.sources
        return only


class Machine:
    """The table of one status: transitions in declaration order."""

    def __init__(self, name: str, transitions: tuple[Transition, ...]) -> None:
        self.name = name
        self.transitions = tuple(transitions)

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    @property
    def actions(self) -> list[str]:
        return sorted({t.action for t in self.transitions})

    def find(self, action: str, source: str) -> Transition | None:
        """The transition for ``action`` from ``source``, or None when not allowed from there."""
        return next(
            (t for t in self.transitions if t.action == action and source in t.sources), None
        )

    def from_state(self, status: str) -> list[Transition]:
        """The transitions leaving ``status``, in table order."""
        return [t for t in self.transitions if status in t.sources]

    def of_action(self, action: str) -> list[Transition]:
        return [t for t in self.transitions if t.action == action]

    def attach(self, action: str, source: str | None = None, **slots: Any) -> None:
        """Fill the awaited ``guard``/``record``/``input`` of ``action`` (from ``source`` only,
        when given). Attaching a slot the table does not await is a programming error."""
        unknown = set(slots) - set(SLOTS)
        rows = [t for t in self.of_action(action) if source is None or source in t.sources]
        if unknown or not rows:
            raise LookupError(f"{self.name}: no {action!r} from {source!r} takes {sorted(slots)}")
        for row in rows:
            if not set(slots) <= set(row.awaits):
                raise LookupError(f"{self.name}: {action!r} from {row.sources} awaits {row.awaits}")
        chosen = {id(row) for row in rows}
        self.transitions = tuple(
            replace(t, **slots) if id(t) in chosen else t for t in self.transitions
        )

    def unattached(self) -> list[str]:
        """What the table awaits and nobody attached, as ``action from source: slot``."""
        return [
            f"{self.name}: {t.action} from {'/'.join(t.sources)}: {slot}"
            for t in self.transitions
            for slot in t.awaits
            if getattr(t, slot) is None
        ]
