"""The CLI's choices stay in step with the services, and its one-line messages say what they should."""

from __future__ import annotations

import socket
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.suppliers.feeds import FORMATS
from hub.cli_feeds import FeedFormat, FeedMode
from hub.cli_money import ProfitGroup
from hub.cli_ops import run_line
from hub.cli_orders import OrderLifecycle, OrderStatus, paging_hint
from hub.cli_suppliers import SupplierKind
from hub.config import Settings, settings_error_message
from hub.domain.lifecycle import LIFECYCLES
from hub.domain.orders import ORDER_STATUSES
from hub.errors import UserError
from hub.server import banner, bind
from hub.services.feeds import MODES
from hub.services.profit import GROUPS
from hub.services.suppliers import KINDS


def test_cli_choices_are_the_services_values() -> None:
    assert get_args(OrderStatus) == ORDER_STATUSES
    assert get_args(OrderLifecycle) == LIFECYCLES
    assert get_args(SupplierKind) == KINDS
    assert set(get_args(FeedFormat)) == {"auto", *FORMATS}
    assert get_args(FeedMode) == MODES
    assert get_args(ProfitGroup) == GROUPS


@given(offset=st.integers(0, 10_000), shown=st.integers(0, 1000), more=st.integers(0, 10_000))
def test_paging_hint_counts_and_points_at_the_next_page(offset: int, shown: int, more: int) -> None:
    total = offset + shown + more
    hint = paging_hint(offset, shown, total)
    if shown == 0:
        assert "showing" not in hint
    else:
        assert hint.startswith(f"showing {offset + 1}–{offset + shown} of {total}")
        assert (f"next: --offset {offset + shown}" in hint) == (more > 0)


def test_run_line_says_job_store_outcome_and_time() -> None:
    assert run_line("orders.pull", 3, "ok", {"created": 2}, None, 0.5) == "orders.pull store 3: ok created=2 (0.50 s)"
    failed = run_line("fx.pull", None, "error", {}, "ValueError: bad rate\nmore", 1)
    assert failed == "fx.pull: error ValueError: bad rate (1.00 s)"


def test_settings_errors_name_the_variable_and_never_a_secret() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, port="abc", secret_key="hunter2-secret")  # type: ignore[call-arg, arg-type]
    message = settings_error_message(caught.value)
    assert "HUB_PORT" in message and "'abc'" in message and "HUB_SECRET_KEY" in message
    assert "hunter2" not in message and "\n" not in message


def test_banner_shows_urls_and_the_generated_token() -> None:
    text = banner("tok-123", True, "var/admin.token", "127.0.0.1", 8123, [])
    assert "http://127.0.0.1:8123/" in text and "http://127.0.0.1:8123/docs" in text
    assert "tok-123" in text and "var/admin.token" in text
    configured = banner("tok-123", False, "var/admin.token", "127.0.0.1", 8123, [])
    assert "tok-123" not in configured and "HUB_ADMIN_TOKEN" in configured


def test_bind_names_the_option_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"HUB_PORT: port {port} .* already in use"):
            bind("127.0.0.1", port, "HUB_PORT")
