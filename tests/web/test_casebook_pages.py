"""Casebook downloads over HTTP, on the real app and a SQLite trial, read back from the files."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.service.test_casebook import pdf_text
from tests.web.conftest import SECRET_TERM, World

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_a_participants_casebook_downloads_as_a_pdf_of_their_data(
    world: World, clients: dict
) -> None:
    client, _ = clients["inv1"]
    answer = client.get(f"/participants/{world.p1}/casebook.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'attachment; filename="{world.p1}.pdf"'
    text = pdf_text(answer.content)
    assert f"Casebook of {world.p1}" in text
    assert SECRET_TERM in text  # the toxicity record the world entered
    page = client.get(f"/participants/{world.p1}").text
    assert f'href="/participants/{world.p1}/casebook.pdf"' in page


def test_other_centres_and_roles_without_the_permission_get_nothing(
    world: World, clients: dict
) -> None:
    for user, status in (("inv2", 404), ("radiologist", 403), ("stat", 403)):
        client, _ = clients[user]
        answer = client.get(f"/participants/{world.p1}/casebook.pdf")
        assert answer.status_code == status, user
        assert SECRET_TERM not in answer.text
        assert not answer.content.startswith(b"%PDF")
    stat, _ = clients["stat"]
    assert "casebook.pdf" not in stat.get(f"/participants/{world.p1}").text
    inv2, _ = clients["inv2"]
    assert inv2.get("/centres/C01/casebooks.zip").status_code == 403


def test_a_centre_downloads_as_a_zip_of_its_own_participants(world: World, clients: dict) -> None:
    inv2, _ = clients["inv2"]
    listing = inv2.get("/casebooks").text
    assert "/centres/C02/casebooks.zip" in listing
    assert "/centres/C01/casebooks.zip" not in listing
    answer = inv2.get("/centres/C02/casebooks.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == sorted([f"{world.p2}.pdf", "index.pdf", "index.csv"])
    dm, _ = clients["dm"]
    everything = dm.get("/casebooks").text
    assert "/centres/C01/casebooks.zip" in everything
    assert "/centres/C02/casebooks.zip" in everything
    archive = zipfile.ZipFile(io.BytesIO(dm.get("/centres/C01/casebooks.zip").content))
    assert f"{world.p1}.pdf" in archive.namelist()
    assert f"{world.p2}.pdf" not in archive.namelist()
    assert SECRET_TERM in pdf_text(archive.read(f"{world.p1}.pdf"))
