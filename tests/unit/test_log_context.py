"""Log context: fields bound for a request or a job reach every line, nest, end with the block,
and never leak into another thread; secrets among them are still redacted."""

from __future__ import annotations

import json
import logging
import threading

from hub.logs import JsonFormatter, TextFormatter, bound, log_context, with_context


def record(message: str = "hello", **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("hub.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_bound_fields_reach_json_and_text_lines_and_end_with_the_block() -> None:
    with bound(request_id="r-1"), bound(order_id=42, job=None):
        line = json.loads(JsonFormatter().format(record()))
        assert line["request_id"] == "r-1" and line["order_id"] == 42 and "job" not in line
        assert "request_id=r-1" in TextFormatter().format(record())
    assert log_context() == {}
    assert "request_id" not in json.loads(JsonFormatter().format(record()))


def test_a_record_s_own_field_wins_and_secret_names_stay_redacted() -> None:
    with bound(order_id=1, api_token="s3cret"):
        line = json.loads(JsonFormatter().format(record(order_id=2)))
    assert line["order_id"] == 2 and line["api_token"] == "***"


def test_with_context_binds_from_the_call_s_arguments() -> None:
    seen: list[dict[str, object]] = []

    @with_context(lambda hub, order_id: {"order_id": order_id})
    def route(hub: object, order_id: int) -> int:
        seen.append(log_context())
        return order_id * 2

    assert route(None, 7) == 14
    assert seen == [{"order_id": 7}] and log_context() == {}


def test_another_thread_does_not_see_this_thread_s_fields() -> None:
    seen: list[dict[str, object]] = []
    with bound(request_id="mine"):
        thread = threading.Thread(target=lambda: seen.append(log_context()))
        thread.start()
        thread.join()
    assert seen == [{}]
