"""A supplier order's states and the moves between them: the one place they are written down.

pending → placing (claimed before the supplier is called) → accepted → shipped → delivered, with
failed (the supplier refused) and cancelled as ends. `placing → placing` is a retry of a call
whose outcome was unknown. The database holds the same list in a CHECK constraint, and every
change in `hub/services` goes through `hub.services.supplier_orders.claim`, which only moves a
row from a state this table allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"  # written by routing; not yet handed to the supplier
    PLACING = "placing"  # claimed for the call; may have reached the supplier
    ACCEPTED = "accepted"  # the supplier has it
    SHIPPED = "shipped"  # every line is in a parcel
    DELIVERED = "delivered"
    FAILED = "failed"  # the supplier refused it; its lines go back to routing
    CANCELLED = "cancelled"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.PLACING, State.CANCELLED}),
    State.PLACING: frozenset({State.PLACING, State.ACCEPTED, State.SHIPPED, State.DELIVERED, State.FAILED,
                              State.CANCELLED}),
    State.ACCEPTED: frozenset({State.SHIPPED, State.CANCELLED}),
    State.SHIPPED: frozenset({State.DELIVERED}),
    State.DELIVERED: frozenset(),
    State.FAILED: frozenset(),
    State.CANCELLED: frozenset(),
}

FINAL = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
# Not yet sent, or sent and not yet shipped: a cancelled store order still has a say.
OPEN = (State.PENDING, State.PLACING, State.ACCEPTED)
# Reached the supplier (or may have): stock is spoken for there.
SENT = (State.PLACING, State.ACCEPTED, State.SHIPPED, State.DELIVERED)


class IllegalTransition(ValueError):
    """Code asked for a move the table does not allow (a bug, not bad input)."""


def can_move(current: State | str, target: State | str) -> bool:
    return State(target) in TRANSITIONS[State(current)]


def sources(target: State | str) -> frozenset[State]:
    """Every state from which `target` may be reached in one move."""
    return frozenset(state for state, targets in TRANSITIONS.items() if State(target) in targets)


def checked_sources(target: State | str, allowed_from: Iterable[State | str] | None = None) -> tuple[State, ...]:
    """The states a claim of `target` may move from: all of them, or the caller's narrower set,
    which must itself be allowed by the table. Sorted so the SQL is stable."""
    legal = sources(target)
    wanted = legal if allowed_from is None else frozenset(State(state) for state in allowed_from)
    if not wanted or not wanted <= legal:
        bad = ", ".join(sorted(wanted - legal)) or "nothing"
        raise IllegalTransition(f"a supplier order cannot move from {bad} to {State(target)}")
    return tuple(sorted(wanted))


def check_constraint_sql(column: str = "state") -> str:
    """The CHECK constraint's text: the database refuses any state not in the enum."""
    return f"{column} IN ({', '.join(repr(state.value) for state in State)})"
