"""Every page names its icon and web-app manifest, /favicon.ico leads to the icon, and both files exist."""

import json
from pathlib import Path

from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_pages_name_the_icon_and_the_manifest(db):
    html = Client().get("/").content.decode()
    assert 'rel="icon"' in html and "img/icon.svg" in html and 'rel="manifest"' in html


def test_favicon_ico_leads_to_the_icon(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/icon.svg")


def test_the_manifest_and_icon_exist():
    manifest = json.loads((ROOT / "static" / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["start_url"] == "/" and manifest["lang"] == "id"
    for icon in manifest["icons"]:
        assert (ROOT / icon["src"].lstrip("/")).exists()


def test_the_footer_api_link_goes_to_a_light_page_for_developers(db):
    client = Client()
    client.cookies["bpu_lang"] = "id"
    home = client.get("/").content.decode()
    assert 'href="/pengembang/">API</a>' in home and 'href="/api/docs/"' not in home
    page = client.get("/pengembang/")
    html = page.content.decode()
    assert page.status_code == 200 and "API, untuk pengembang" in html and 'href="/api/docs/"' in html
    assert len(page.content) < 20_000
