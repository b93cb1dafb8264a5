"""Search, filters and pagination of the list pages (one helper, `cairo6.web.listing`).

The helper is tried on plain rows, then over HTTP on the SYNTHETIC TOY-BP trial: a screening
log of 235 entries, the participants, the audit trail and the user accounts, asserting on the
rows each page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from cairo6.web.listing import Filter, paginate
from tests.web.conftest import login
from tests.web.toy_site import Toy, toy_site


@dataclass(frozen=True)
class Row:
    name: str
    centre: str


ROWS = [Row(f"P{i:03d}", "H01" if i % 3 else "H02") for i in range(1, 121)]
BY_CENTRE = [Filter("centre", "Centre", lambda r: r.centre, lambda c: f"Hospital {c}")]


def _page(params: dict[str, str]) -> list[str]:
    shown = paginate(params, ROWS, text=lambda r: r.name, filters=BY_CENTRE)
    return [r.name for r in shown.rows]


def test_a_list_is_cut_into_pages_that_keep_the_order() -> None:
    first = paginate({}, ROWS, text=lambda r: r.name)
    assert (first.page, first.pages, first.first, first.last) == (1, 3, 1, 50)
    assert [r.name for r in first.rows] == [r.name for r in ROWS[:50]]
    last = paginate({"page": "3"}, ROWS, text=lambda r: r.name)
    assert [r.name for r in last.rows] == [r.name for r in ROWS[100:]]
    assert (last.first, last.last, last.matched) == (101, 120, 120)
    # An old link past the end opens the last page; nonsense opens the first.
    assert paginate({"page": "99"}, ROWS, text=lambda r: r.name).page == 3
    assert paginate({"page": "x"}, ROWS, text=lambda r: r.name).page == 1
    assert len(paginate({"per": "25"}, ROWS, text=lambda r: r.name).rows) == 25
    assert len(paginate({"per": "7"}, ROWS, text=lambda r: r.name).rows) == 50


def test_search_and_filters_narrow_the_rows_and_links_keep_them() -> None:
    assert _page({"q": "p01"}) == [r.name for r in ROWS if r.name.startswith("P01")]
    h02 = [r.name for r in ROWS if r.centre == "H02"]
    assert _page({"centre": "H02"}) == h02
    assert _page({"centre": "H02", "q": "P00"}) == [n for n in h02 if n.startswith("P00")]
    assert _page({"centre": "H09"}) == []
    shown = paginate({"centre": "H01", "q": "p"}, ROWS, text=lambda r: r.name, filters=BY_CENTRE)
    assert shown.narrowed
    assert shown.total == 120
    assert shown.matched == 80
    assert shown.url(page=2) == "?q=p&centre=H01&page=2"
    # The filter offers the values present, by their labels.
    assert shown.choices[0][1] == [("H01", "Hospital H01"), ("H02", "Hospital H02")]


@pytest.fixture
def toy(tmp_path: Path) -> Toy:
    return toy_site(tmp_path)


def _first_cells(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr>\s*<th scope="row"><a href="[^"]+">([^<]+)</a>', body)


def test_the_screening_log_of_235_entries_is_searched_filtered_and_paged(toy: Toy) -> None:
    numbers = [toy.screened("H01" if i % 5 else "H02") for i in range(235)]
    newest_first = numbers[::-1]
    client, _ = login(toy.app, "dm")
    first = client.get("/screening")
    assert first.status_code == 200
    assert _first_cells(first.text) == newest_first[:50]
    assert "1–50 of 235 entries" in first.text
    assert 'href="/screening?page=5"' in first.text  # the last page
    last = client.get("/screening?page=5")
    assert _first_cells(last.text) == newest_first[200:]
    assert "201–235 of 235 entries" in last.text
    at_h02 = [n for i, n in enumerate(numbers) if not i % 5][::-1]
    filtered = client.get("/screening?centre=H02&per=100")
    assert _first_cells(filtered.text) == at_h02
    assert f"1–{len(at_h02)} of {len(at_h02)} entries matching (of 235)" in filtered.text
    one = client.get("/screening", params={"q": numbers[17]})
    assert _first_cells(one.text) == [numbers[17]]
    # A centre-bound nurse searches only her own centre's entries.
    nurse, _ = login(toy.app, "nurse")
    assert _first_cells(nurse.get("/screening?centre=H02").text) == []
    assert "235" not in nurse.get("/screening").text.split("<tbody>")[0]


def test_participants_are_filtered_by_centre_and_arm_label(toy: Toy) -> None:
    made = [toy.randomised("H01" if i % 2 else "H02") for i in range(6)]
    client, _ = login(toy.app, "dm")
    everyone = client.get("/participants")
    assert _first_cells(everyone.text) == sorted(made)
    h02 = client.get("/participants?centre=H02")
    assert _first_cells(h02.text) == sorted(n for n in made if "-H02-" in n)
    # The arm filter offers the arms' labels, never their codes.
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', everyone.text)
    arms = {
        code: label for code, label in options if code in ("usual_care", "low_dose", "high_dose")
    }
    assert arms
    assert all(label[0].isupper() and "_" not in label for label in arms.values())
    for code in arms:
        listed = _first_cells(client.get(f"/participants?arm={code}").text)
        assert listed
        assert set(listed) <= set(made)


def test_the_audit_trail_and_the_accounts_list_are_searchable(toy: Toy) -> None:
    number = toy.randomised()
    client, _ = login(toy.app, "dm")
    trail = client.get(f"/participants/{number}/audit")
    assert trail.status_code == 200
    assert "changes" in trail.text
    assert 'name="q"' in trail.text
    allocation = client.get(f"/participants/{number}/audit?record=Allocation")
    rows = allocation.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")
    assert 0 < rows < trail.text.split("<tbody>", 1)[1].count("<tr>")
    admin, _ = login(toy.app, "admin")
    nurses = admin.get("/admin/users?role=investigator")
    names = re.findall(r'<th scope="row">([a-z]+)</th>', nurses.text)
    assert names == ["nurse", "other"]
    assert re.findall(r'<th scope="row">([a-z]+)</th>', admin.get("/admin/users?q=oth").text) == [
        "other"
    ]
