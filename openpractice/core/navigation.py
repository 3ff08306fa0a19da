"""The navigation menu. Each app registers its entries in AppConfig.ready(); a user sees an entry only if
they hold its permission somewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse


@dataclass(frozen=True, order=True)
class NavItem:
    order: int
    section: str
    label: str = field(compare=False)
    url_name: str = field(compare=False)
    permission: str | None = field(compare=False, default=None)  # None: every signed-in user
    demo_only: bool = field(compare=False, default=False)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_registry: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _registry[item.url_name] = item


def items() -> list[NavItem]:
    return sorted(_registry.values())
