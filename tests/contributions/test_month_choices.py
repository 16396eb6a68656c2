"""Month counts read as words in the reader's language: "1 bulan", "3 bulan" (the pay page and the agent's cash)."""

import re

import pytest
from django.utils import translation

from agents.forms import CashForm
from contributions.forms import PayForm


@pytest.mark.parametrize(("language", "words"), [("id", ["1 bulan", "3 bulan", "12 bulan"]),
                                                 ("en", ["1 month", "3 months", "12 months"])])
def test_month_choices_are_words(language, words):
    with translation.override(language):
        for form in (PayForm(), CashForm()):
            labels = [str(label) for _value, label in form.fields["months"].choices]
            assert all(word in labels for word in words if word.split()[0] in {"1", "3", "12"})


@pytest.mark.django_db
def test_the_cash_page_shows_no_error_before_anything_is_typed_and_takes_one_month(client):
    from tests.contributions.helpers import member_make
    from tests.factories.members import AgentFactory

    client.force_login(AgentFactory().user)
    client.cookies["bpu_lang"] = "en"
    html = client.get("/agen/tunai/").content.decode()
    assert 'class="error"' not in html
    member = member_make()
    html = client.get(f"/agen/tunai/?kpj={member.kpj}").content.decode()
    assert 'class="error"' not in html, html[html.find('class="error"'):][:300]
    assert re.search(r'value="1"[^>]*checked', html) and "Cash to receive" in html
