from pathlib import Path

import polib
from django.utils import translation

from core.money import format_idr

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def test_indonesian_catalog_is_complete():
    po = polib.pofile(str(LOCALE / "id" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert missing == [], f"untranslated: {missing[:5]}"


def test_compiled_catalog_matches_the_source():
    po = polib.pofile(str(LOCALE / "id" / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / "id" / "LC_MESSAGES" / "django.mo"))
    compiled = {e.msgid: e.msgstr for e in mo}
    stale = [e.msgid for e in po.translated_entries() if not e.msgid_plural and compiled.get(e.msgid) != e.msgstr]
    assert stale == [], f"run compilemessages: {stale[:5]}"


def test_pages_speak_indonesian_by_default_and_english_on_request(client):
    assert "Daftar sekarang" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Register now" in client.get("/").content.decode()


def test_rupiah_follows_the_language():
    with translation.override("id"):
        assert format_idr(36800) == "Rp36.800"
    with translation.override("en"):
        assert format_idr(36800) == "Rp36,800"


def test_an_english_browser_still_gets_indonesian_until_the_switch_is_used(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Daftar sekarang" in html and 'lang="id"' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="en-US")
    assert "Register now" in client.get("/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
