"""Search, filters and pagination for every list page, done on the server, in one place.

A list page hands over the rows its service already allowed the user to see, says how a row
reads as text (for the search box) and which columns can be filtered, and renders the result
with the `list_controls` / `list_pages` macros of `_listing.html`:

    shown = listing(
        request,
        rows,
        text=lambda r: f"{r.study_number} {r.centre}",
        filters=[Filter("centre", "Centre", lambda r: r.centre)],
    )
    return page(request, "participants.html", {"list": shown})

    {% import "_listing.html" as lst with context %}
    {{ lst.list_controls(list, "participants") }}   {# search box, filters, "1-50 of 235" #}
    {% for r in list.rows %}...{% endfor %}          {# the rows of this page only #}
    {{ lst.list_pages(list) }}                       {# previous / next #}

The query string is `?q=text&<filter>=value&page=N&per=50`; every link keeps the others, so a
filtered list can be bookmarked or sent to a colleague. Search is case-insensitive, all words
must occur; a filter's choices are the values present in the rows (labels through `label`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

T = TypeVar("T")

PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class Filter(Generic[T]):
    """A column people can narrow the list by: its query name, label and a row's value."""

    name: str
    label: str
    value: Callable[[T], str]
    label_of: Callable[[str], str] = str
    """The words shown for a value in the choice list (a code's label)."""


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a searched and filtered list, and what the controls need to show it."""

    rows: list[T]
    total: int
    """Rows before search and filters (what the user may see)."""
    matched: int
    """Rows after search and filters."""
    page: int
    pages: int
    per_page: int
    search: str
    chosen: dict[str, str]
    choices: list[tuple[Filter[T], list[tuple[str, str]]]] = field(default_factory=list)
    path: str = ""

    @property
    def first(self) -> int:
        """Position (1-based) of the first row on this page; 0 when nothing matched."""
        return (self.page - 1) * self.per_page + 1 if self.matched else 0

    @property
    def last(self) -> int:
        """Position of the last row on this page."""
        return min(self.page * self.per_page, self.matched)

    @property
    def narrowed(self) -> bool:
        """A search or a filter is in force."""
        return bool(self.search or self.chosen)

    def params(self, **changes: str | int) -> dict[str, str]:
        """The query parameters of this view with some changed (empty values left out)."""
        base: dict[str, str | int] = {"q": self.search, **self.chosen, "page": self.page}
        if self.per_page != DEFAULT_PER_PAGE:
            base["per"] = self.per_page
        base.update(changes)
        # Page 1 is the default: leaving it out keeps the links short.
        return {
            k: str(v) for k, v in base.items() if v != "" and not (k == "page" and str(v) == "1")
        }

    def url(self, **changes: str | int) -> str:
        """A link to this view with some parameters changed, e.g. `url(page=2)`."""
        query = urlencode(self.params(**changes))
        return f"{self.path}?{query}" if query else self.path


def _int(text: str | None, default: int, allowed: Iterable[int] | None = None) -> int:
    try:
        number = int(text or "")
    except ValueError:
        return default
    if allowed is not None:
        return number if number in allowed else default
    return max(number, 1)


def matches(text: str, search: str) -> bool:
    """Every word of the search occurs in the text (case-insensitive)."""
    folded = text.casefold()
    return all(word in folded for word in search.casefold().split())


def paginate(
    params: Mapping[str, str],
    rows: Sequence[T],
    *,
    text: Callable[[T], str],
    filters: Sequence[Filter[T]] = (),
    path: str = "",
) -> Listing[T]:
    """Search, filter and cut `rows` to the page the query parameters ask for.

    Unknown filter values and page numbers past the end are not errors: the list simply shows
    nothing or the last page, so an old bookmark still opens.
    """
    search = params.get("q", "").strip()[:200]
    chosen = {f.name: params[f.name] for f in filters if params.get(f.name, "")}
    kept = [
        row
        for row in rows
        if (not search or matches(text(row), search))
        and all(f.value(row) == chosen[f.name] for f in filters if f.name in chosen)
    ]
    per_page = _int(params.get("per"), DEFAULT_PER_PAGE, PAGE_SIZES)
    pages = max(1, -(-len(kept) // per_page))
    current = min(_int(params.get("page"), 1), pages)
    choices = [
        (f, sorted({(v, f.label_of(v)) for v in map(f.value, rows) if v}, key=lambda c: c[1]))
        for f in filters
    ]
    start = (current - 1) * per_page
    return Listing(
        rows=list(kept[start : start + per_page]),
        total=len(rows),
        matched=len(kept),
        page=current,
        pages=pages,
        per_page=per_page,
        search=search,
        chosen=chosen,
        choices=choices,
        path=path,
    )


def listing(
    request: Request,
    rows: Sequence[T],
    *,
    text: Callable[[T], str],
    filters: Sequence[Filter[T]] = (),
) -> Listing[T]:
    """`paginate` with the request's query parameters and path."""
    return paginate(
        dict(request.query_params), rows, text=text, filters=filters, path=request.url.path
    )
