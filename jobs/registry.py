"""Which jobs exist: a name, what it runs, how often, and whether it runs per store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.bootstrap import Hub

# A job body returns counts to record on its run (e.g. {"orders": 12}).
JobFunc = Callable[["Hub", "int | None"], dict[str, int]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunc
    interval_seconds: float
    per_store: bool = True
    platforms: tuple[str, ...] = ("shopify",)


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def register(self, spec: JobSpec) -> JobSpec:
        if spec.name in self._specs:
            raise ValueError(f"job {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> JobSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(self._specs))}") from None

    def names(self) -> list[str]:
        return sorted(self._specs)

    def all(self) -> list[JobSpec]:
        return list(self._specs.values())


registry = JobRegistry()
