import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from core.nik import nik_decrypt
from enrollment import wizard
from tests.conftest import VALID_NIK_WOMAN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

IDENTITY = {"nik": VALID_NIK_WOMAN, "full_name": "Siti Rahayu", "birth_place": "Jakarta",
            "birth_date": "1990-08-17", "gender": "P"}


def test_answers_round_trip_with_nik_encrypted():
    session = SessionStore()
    wizard.save_answers(session, "identity", {**IDENTITY, "csrfmiddlewaretoken": "x", "action": "next"})
    stored = session[wizard.SESSION_KEY]["identity"]
    assert set(stored) == set(IDENTITY)  # only the step's own fields are kept
    assert stored["nik"] != VALID_NIK_WOMAN
    assert nik_decrypt(stored["nik"]) == VALID_NIK_WOMAN
    assert VALID_NIK_WOMAN not in json.dumps(dict(session))
    assert wizard.answers(session, "identity") == IDENTITY


def test_saved_session_never_holds_the_clear_nik():
    session = SessionStore()
    wizard.save_answers(session, "identity", IDENTITY)
    session.save()
    row = Session.objects.get(session_key=session.session_key)
    assert VALID_NIK_WOMAN not in json.dumps(row.get_decoded())
    assert VALID_NIK_WOMAN not in row.session_data


def test_first_incomplete(reference_data, regions, village_code):
    session = SessionStore()
    assert wizard.first_incomplete(session, "review").name == "identity"
    assert wizard.first_incomplete(session, "identity") is None
    wizard.save_answers(session, "identity", IDENTITY)
    assert wizard.first_incomplete(session, "review").name == "address"
    wizard.save_answers(session, "address", {"province": "31", "regency": "31.74", "district": "31.74.01",
                                            "village": village_code, "address_line": "Jl. Melati 5",
                                            "occupation": "ojek-online"})
    assert wizard.first_incomplete(session, "review").name == "contribution"
    wizard.save_answers(session, "contribution", {"income_base_idr": "1000000"})
    assert wizard.first_incomplete(session, "review") is None
    # An answer that stops being valid sends the worker back to that step.
    wizard.save_answers(session, "identity", {**IDENTITY, "nik": "1234"})
    assert wizard.first_incomplete(session, "review").name == "identity"


def test_clear_and_neighbours():
    session = SessionStore()
    wizard.save_answers(session, "identity", IDENTITY)
    wizard.clear(session)
    assert wizard.SESSION_KEY not in session
    assert wizard.answers(session, "identity") == {}
    previous, following = wizard.neighbours("identity")
    assert previous is None and following.name == "address"
    previous, following = wizard.neighbours("review")
    assert previous.name == "contribution" and following is None
