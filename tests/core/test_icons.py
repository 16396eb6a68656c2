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
