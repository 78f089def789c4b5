"""GraphQL documents, loaded from `graphql/*.graphql` (package data), fragments appended on demand.

Documents live as files so a test can validate every one against Shopify's published schemas and
a reviewer can read them as GraphQL, not as Python strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_]\w*)")
_FRAGMENT = re.compile(r"^fragment\s+([A-Za-z_]\w*)\s+on\s+\w+\s*\{", re.MULTILINE)
_OPERATION = re.compile(r"^(query|mutation)\s+([A-Za-z_]\w*)", re.MULTILINE)

# From this API version on, inventorySetQuantities takes changeFromQuantity and @idempotent.
IDEMPOTENT_INVENTORY_FROM = "2026-04"


@dataclass(frozen=True, slots=True)
class Document:
    """A named operation ready to send: its text includes the fragments it uses."""

    file: str
    operation: str  # the operation name, e.g. "Orders"
    kind: str  # "query" or "mutation"
    text: str


def _read(name: str) -> str:
    return files("connectors.shopify").joinpath("graphql", name).read_text(encoding="utf-8")


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0].rstrip() for line in text.splitlines()).strip() + "\n"


@cache
def fragments() -> dict[str, str]:
    """Fragment name → its definition text, from graphql/fragments.graphql."""
    text = _strip_comments(_read("fragments.graphql"))
    starts = [(m.start(), m.group(1)) for m in _FRAGMENT.finditer(text)]
    result: dict[str, str] = {}
    for index, (start, name) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
        result[name] = text[start:end].strip() + "\n"
    return result


def _with_fragments(body: str) -> str:
    known = fragments()
    needed: list[str] = []
    pending = _SPREAD.findall(body)
    while pending:
        name = pending.pop(0)
        if name == "on" or name in needed:
            continue
        if name not in known:
            raise KeyError(f"unknown fragment {name}")
        needed.append(name)
        pending.extend(_SPREAD.findall(known[name]))
    return body + "".join("\n" + known[name] for name in needed)


@cache
def load(file_stem: str) -> Document:
    """The document of graphql/<file_stem>.graphql with its fragments."""
    body = _strip_comments(_read(f"{file_stem}.graphql"))
    match = _OPERATION.search(body)
    if match is None:
        raise ValueError(f"{file_stem}.graphql has no named operation")
    return Document(file_stem, match.group(2), match.group(1), _with_fragments(body))


def operation_files() -> list[str]:
    """Stems of every operation file (everything but fragments.graphql)."""
    return sorted(
        p.name.removesuffix(".graphql")
        for p in files("connectors.shopify").joinpath("graphql").iterdir()
        if p.name.endswith(".graphql") and p.name != "fragments.graphql"
    )


def inventory_document(api_version: str) -> Document:
    """The inventorySetQuantities shape the API version expects (versions compare as YYYY-MM)."""
    newer = api_version == "unstable" or api_version >= IDEMPOTENT_INVENTORY_FROM
    return load("InventorySetQuantitiesIdempotent" if newer else "InventorySetQuantities")
