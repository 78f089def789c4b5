"""A tiny GraphQL reader and the query-cost model shared by the client (to pace) and the sandbox.

Not a GraphQL implementation: it reads the executable subset our documents use (operations,
fields, aliases, arguments, variables, fragments, inline fragments, directives) into a selection
tree, enough to price a query and to shape a response. graphql-core stays a test-only dependency.

Cost model (close to Shopify's published calculation):
- a scalar or enum field costs 0;
- an object field costs 1 plus its selections;
- a field with `first`/`last` (a connection, or a list such as `Order.transactions`) costs
  2 + n * (1 + the node's selections), where n is `first` when *requested* and the number of nodes
  returned when *actual*; `edges`, `node`, `nodes` and `pageInfo` are structure and cost nothing;
- a list without `first` is priced as a single object (a simplification: Shopify estimates it);
- each top-level mutation field costs 10, whatever it selects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MUTATION_COST = 10
CONNECTION_BASE = 2
MAX_QUERY_COST = 1000
_STRUCTURE = frozenset({"edges", "node", "nodes", "pageInfo"})

_TOKEN = re.compile(
    r'(?P<skip>[\s,]+|#[^\n]*)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
    r"|(?P<name>[_A-Za-z]\w*)|(?P<spread>\.\.\.)|(?P<punct>[!$():=@\[\]{}|&])"
)


class QuerySyntaxError(ValueError):
    """The document is outside the subset this reader understands, or not GraphQL at all."""


@dataclass(slots=True)
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    selections: list[Field] = field(default_factory=list)
    directives: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The response key (alias if any)."""
        return self.alias or self.name


@dataclass(slots=True)
class Operation:
    kind: str  # "query" | "mutation"
    name: str | None
    selections: list[Field]


class _Var:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise QuerySyntaxError(f"unexpected character {text[pos]!r} at {pos}")
            pos = match.end()
            kind = match.lastgroup or ""
            if kind != "skip":
                self.tokens.append((kind, match.group()))
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        if self.i >= len(self.tokens):
            raise QuerySyntaxError("unexpected end of document")
        value = self.tokens[self.i][1]
        if expected is not None and value != expected:
            raise QuerySyntaxError(f"expected {expected!r}, found {value!r}")
        self.i += 1
        return value

    def name(self) -> str:
        kind, value = self.tokens[self.i] if self.i < len(self.tokens) else ("", "")
        if kind != "name":
            raise QuerySyntaxError(f"expected a name, found {value!r}")
        self.i += 1
        return value

    def value(self) -> Any:
        tok = self.peek()
        if tok == "$":
            self.take()
            return _Var(self.name())
        if tok == "[":
            self.take()
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if tok == "{":
            self.take()
            obj = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if self.i >= len(self.tokens):
            raise QuerySyntaxError("unexpected end of document in a value")
        kind, raw = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        if kind == "str":
            return raw[1:-1]
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(raw, raw)
        raise QuerySyntaxError(f"unexpected {raw!r} in a value")

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                key = self.name()
                self.take(":")
                args[key] = self.value()
            self.take(")")
        return args

    def directives(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        while self.peek() == "@":
            self.take()
            name = self.name()
            found[name] = self.arguments()
        return found

    def variable_definitions(self) -> None:
        if self.peek() != "(":
            return
        depth = 0
        while True:
            tok = self.take()
            depth += {"(": 1, ")": -1}.get(tok, 0)
            if depth == 0:
                return

    def selection_set(self) -> list[Any]:
        self.take("{")
        items: list[Any] = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take()
                if self.peek() == "on":
                    self.take()
                    self.name()
                    self.directives()
                    items.append(("inline", self.selection_set()))
                elif self.peek() in ("@", "{"):
                    self.directives()
                    items.append(("inline", self.selection_set()))
                else:
                    items.append(("spread", self.name()))
                    self.directives()
                continue
            first = self.name()
            alias = None
            if self.peek() == ":":
                self.take()
                alias, first = first, self.name()
            args = self.arguments()
            directives = self.directives()
            children = self.selection_set() if self.peek() == "{" else []
            items.append(("field", first, alias, args, children, directives))
        self.take("}")
        return items


def _build(
    items: list[Any],
    fragments: Mapping[str, list[Any]],
    variables: Mapping[str, Any],
    seen: tuple[str, ...] = (),
) -> list[Field]:
    result: list[Field] = []
    for item in items:
        if item[0] == "inline":
            result.extend(_build(item[1], fragments, variables, seen))
        elif item[0] == "spread":
            if item[1] in seen or item[1] not in fragments:
                raise QuerySyntaxError(f"unknown or recursive fragment {item[1]}")
            result.extend(_build(fragments[item[1]], fragments, variables, (*seen, item[1])))
        else:
            _, name, alias, args, children, directives = item
            resolved = {k: _resolve(v, variables) for k, v in args.items()}
            used = {k: {a: _resolve(v, variables) for a, v in d.items()} for k, d in directives.items()}
            result.append(Field(name, alias, resolved, _build(children, fragments, variables, seen), used))
    return result


def _resolve(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, _Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, variables) for k, v in value.items()}
    return value


def parse_operation(
    text: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
) -> Operation:
    """Read the (named) operation of a document, fragments inlined and variables substituted."""
    parser = _Parser(text)
    operations: list[tuple[str, str | None, list[Any]]] = []
    fragments: dict[str, list[Any]] = {}
    while parser.peek() is not None:
        tok = parser.peek()
        if tok == "{":
            operations.append(("query", None, parser.selection_set()))
        elif tok == "fragment":
            parser.take()
            frag = parser.name()
            parser.take("on")
            parser.name()
            parser.directives()
            fragments[frag] = parser.selection_set()
        elif tok in ("query", "mutation", "subscription"):
            kind = parser.take()
            name = parser.name() if parser.peek() not in ("(", "{", "@") else None
            parser.variable_definitions()
            parser.directives()
            operations.append((kind, name, parser.selection_set()))
        else:
            raise QuerySyntaxError(f"unexpected {tok!r} at top level")
    chosen = [op for op in operations if operation_name is None or op[1] == operation_name]
    if len(chosen) != 1:
        raise QuerySyntaxError("the document must hold exactly one operation (or name one)")
    kind, name, items = chosen[0]
    return Operation(kind, name, _build(items, fragments, variables or {}))


def _page_size(f: Field) -> int | None:
    for key in ("first", "last"):
        value = f.args.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(0, value)
    return None


def _node_selections(f: Field) -> list[Field]:
    """Selections that apply to each node of a connection (`nodes{}` and `edges{node{}}`)."""
    if not any(c.name in _STRUCTURE for c in f.selections):
        return f.selections  # a plain list with `first`
    result: list[Field] = []
    for child in f.selections:
        if child.name == "nodes":
            result.extend(child.selections)
        elif child.name == "edges":
            for grandchild in child.selections:
                if grandchild.name == "node":
                    result.extend(grandchild.selections)
    return result


def _cost(selections: Sequence[Field], data: Any, actual: bool) -> int:
    total = 0
    for f in selections:
        if not f.selections:
            continue
        value = data.get(f.key) if actual and isinstance(data, Mapping) else None
        size = _page_size(f)
        children = _node_selections(f) if size is not None else f.selections
        if size is None:
            total += 1 + _cost(children, value, actual)
        elif not actual:
            total += CONNECTION_BASE + size * (1 + _cost(children, None, False))
        else:
            total += CONNECTION_BASE + sum(1 + _cost(children, node, True) for node in _nodes(f, value))
    return total


def _nodes(f: Field, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if not isinstance(value, Mapping):
        return []
    for child in f.selections:
        if child.name == "nodes" and isinstance(value.get(child.key), list):
            return list(value[child.key])
        if child.name == "edges" and isinstance(value.get(child.key), list):
            node_key = next((g.key for g in child.selections if g.name == "node"), "node")
            return [e.get(node_key) for e in value[child.key] if isinstance(e, Mapping)]
    return []


def requested_cost(operation: Operation) -> int:
    """What Shopify would reserve before running the operation."""
    if operation.kind == "mutation":
        return MUTATION_COST * len(operation.selections)
    return _cost(operation.selections, None, actual=False)


def actual_cost(operation: Operation, data: Mapping[str, Any] | None) -> int:
    """What the operation cost once its result is known (connections priced by returned nodes)."""
    if operation.kind == "mutation":
        return MUTATION_COST * len(operation.selections)
    return _cost(operation.selections, data or {}, actual=True)


def estimate(text: str, variables: Mapping[str, Any] | None = None) -> int | None:
    """Requested cost of a document, or None when this reader cannot price it."""
    try:
        return requested_cost(parse_operation(text, variables))
    except QuerySyntaxError:
        return None
