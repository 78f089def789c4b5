"""The supplier order's transition table: what may follow what, and what the claim helper accepts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.supplier_orders import (
    FINAL,
    OPEN,
    TRANSITIONS,
    IllegalTransition,
    State,
    can_move,
    check_constraint_sql,
    checked_sources,
    sources,
)


def test_every_state_has_a_row_and_the_ends_have_no_way_out() -> None:
    assert set(TRANSITIONS) == set(State)
    assert {State.DELIVERED, State.FAILED, State.CANCELLED} == FINAL
    assert all(not TRANSITIONS[state] for state in FINAL)


@pytest.mark.parametrize(("current", "target"), [
    (State.PENDING, State.PLACING), (State.PENDING, State.CANCELLED),
    (State.PLACING, State.PLACING), (State.PLACING, State.ACCEPTED), (State.PLACING, State.SHIPPED),
    (State.PLACING, State.DELIVERED), (State.PLACING, State.FAILED), (State.PLACING, State.CANCELLED),
    (State.ACCEPTED, State.SHIPPED), (State.ACCEPTED, State.CANCELLED), (State.SHIPPED, State.DELIVERED),
])
def test_the_moves_the_services_make_are_allowed(current: State, target: State) -> None:
    assert can_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    (State.PENDING, State.ACCEPTED),  # never accepted without the claim that sends it
    (State.PENDING, State.FAILED), (State.ACCEPTED, State.PLACING), (State.ACCEPTED, State.PENDING),
    (State.SHIPPED, State.CANCELLED), (State.CANCELLED, State.PLACING), (State.FAILED, State.PENDING),
    (State.DELIVERED, State.SHIPPED),
])
def test_backwards_and_out_of_an_end_are_refused(current: State, target: State) -> None:
    assert not can_move(current, target)
    with pytest.raises(IllegalTransition):
        checked_sources(target, [current])


def test_every_state_is_reachable_from_pending() -> None:
    seen, frontier = {State.PENDING}, [State.PENDING]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


@given(st.sampled_from(list(State)), st.sets(st.sampled_from(list(State))))
def test_checked_sources_is_the_table(target: State, wanted: set[State]) -> None:
    if wanted and wanted <= sources(target):
        assert set(checked_sources(target, wanted)) == wanted
    else:
        with pytest.raises(IllegalTransition):
            checked_sources(target, wanted)
    assert sources(target) == {state for state in State if can_move(state, target)}


def test_open_states_can_still_be_cancelled() -> None:
    assert all(can_move(state, State.CANCELLED) for state in OPEN)


def test_the_check_constraint_lists_every_state_and_the_migration_agrees() -> None:
    from importlib import util
    from pathlib import Path

    assert check_constraint_sql() == ("state IN ('pending', 'placing', 'accepted', 'shipped', 'delivered',"
                                      " 'failed', 'cancelled')")
    path = next((Path(__file__).parents[2] / "alembic" / "versions").glob("*_supplier_order_state_check.py"))
    spec = util.spec_from_file_location("state_check_migration", path)
    assert spec is not None and spec.loader is not None
    migration = util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert tuple(migration.STATES) == tuple(State)
