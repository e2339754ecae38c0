"""One page of a list: every list the API returns is paged the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    """One page of items, and how many there are in all."""

    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``items``, ``page``, ``per_page``, ``total``."""
        return {
            "items": self.items,
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
        }


def fetch_page(
    session: Session, statement: Select[Any], page: int, per_page: int
) -> tuple[list[Any], int]:
    """(rows of page ``page``, total row count) of an ordered ``statement``.

    Rows are entities when the statement selects one entity, tuples otherwise.
    """
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    window = statement.offset((page - 1) * per_page).limit(per_page)
    single = len(statement.column_descriptions) == 1
    rows = list(session.scalars(window)) if single else list(session.execute(window))
    return rows, int(total or 0)
