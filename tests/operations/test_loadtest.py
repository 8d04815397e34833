"""The load bench: what its client counts as an error, its percentiles and cookies, and its check of the final answers."""

import io
import os
import random

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from assessments import services
from assessments.models import Answer, Round
from indicators.models import Indicator
from operations import benchprocs
from operations.loadtest import (
    Browser,
    Load,
    Sample,
    conflict_reason,
    is_error,
    percentiles,
    revisions_in,
    summary,
)
from operations.management.commands.bench_load import Command as BenchLoad
from operations.management.commands.bench_load import prepare, verify


def test_percentiles_are_nearest_rank_so_a_single_slow_request_shows():
    assert percentiles([float(n) for n in range(1, 101)]) == (50.0, 95.0, 99.0)
    assert percentiles([10.0] * 98 + [900.0, 1000.0]) == (10.0, 10.0, 900.0)
    assert percentiles([7.0]) == (7.0, 7.0, 7.0)
    assert percentiles([]) == (0.0, 0.0, 0.0)


def test_an_answer_outside_2xx_and_3xx_and_a_redirect_to_the_log_in_page_are_errors():
    assert not is_error(Sample("autosave", 200, 10, 0))
    assert not is_error(Sample("log-in", 302, 10, 0))
    assert is_error(Sample("autosave", 302, 10, 0, "signed out (redirect to the log-in page)"))
    assert is_error(Sample("autosave", 409, 10, 0, "answer conflict"))
    assert is_error(Sample("autosave", 503, 10, 0))
    assert is_error(Sample("autosave", 0, 10, 0, "ConnectError()"))


def test_a_conflict_is_told_apart_from_a_refusal():
    panel = '<div id="state-VC-01"><button type="submit" name="overwrite" value="3">Keep my version</button></div>'
    assert conflict_reason(panel).startswith("answer conflict")
    refusal = '<p id="state-VC-01"><span class="text-danger">Not saved: This round was submitted.</span></p>'
    assert conflict_reason(refusal) == "Not saved: This round was submitted."


def test_the_summary_counts_conflicts_apart_with_why():
    samples = [
        Sample("autosave", 200, 40, 1),
        Sample("autosave", 409, 50, 2, "answer conflict"),
        Sample("form page", 200, 90, 3),
    ]
    text = "\n".join(summary(samples, 10))
    assert "409 conflicts: 1\n  1 × answer conflict" in text
    assert "other errors: 0" in text
    assert "throughput: 0.3 requests/s" in text


def test_the_browser_keeps_secure_cookies_over_plain_http_and_drops_deleted_ones():
    browser = Browser(None, "http://127.0.0.1:1", Load(), 0)
    browser._keep_cookies(
        httpx.Response(
            302,
            headers=[
                ("set-cookie", "csrftoken=abc; Path=/; SameSite=Lax; Secure"),
                ("set-cookie", "sessionid=s1; HttpOnly; Path=/; SameSite=Lax; Secure"),
            ],
        )
    )
    assert browser.cookies == {"csrftoken": "abc", "sessionid": "s1"}
    browser._keep_cookies(
        httpx.Response(
            302, headers=[("set-cookie", 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/')]
        )
    )
    assert browser.cookies == {"csrftoken": "abc"}
    assert browser.csrf() == "abc"


def test_the_memory_of_a_process_is_read_from_proc():
    me = os.getpid()
    assert me in benchprocs.process_tree(me)
    assert benchprocs.peak_rss_kib(me) >= benchprocs.rss_kib(me) > 1000
    assert benchprocs.rss_kib(2**22 + 1) == 0  # no such process


def test_revisions_are_read_from_the_form_and_from_a_saves_answer_whatever_the_attribute_order():
    page = (
        '<input type="hidden" name="VC-01-revision" id="revision-VC-01" value="3">'
        '<input type="hidden" name="VC-01-save_id" value="">'
        '<input value="0" type="hidden" id="revision-DE-02" name="DE-02-revision">'
    )
    assert revisions_in(page) == {"VC-01": 3, "DE-02": 0}
    saved = '<p id="state-VC-01">Saved</p><input type="hidden" name="VC-01-revision" id="revision-VC-01" value="4" hx-swap-oob="true">'
    assert revisions_in(saved) == {"VC-01": 4}


def test_an_answer_that_differs_from_the_last_value_sent_is_a_correctness_failure(catalogue):
    officials, _reviewers = prepare(1, 0, 0, "pw", random.Random(1))
    official = officials[0]
    code = official.dimensions[0][1][0][0]
    current = Answer.objects.filter(round_id=official.round_pk, indicator__code=code).first()
    services.answer_save(
        round=Round.objects.get(pk=official.round_pk),
        indicator=Indicator.objects.get(version=catalogue, code=code),
        actor=get_user_model().objects.get(username=official.username),
        response="level",
        level=3,
        justification="Saved last.",
        base_revision=current.revision if current else 0,
    )
    official.sent[code] = ("3", "Saved last.")
    assert verify(officials) == []

    official.sent[code] = ("2", "Sent but never saved.")
    official.outcome[code] = 503
    (mismatch,) = verify(officials)
    assert "database has '3' 'Saved last.'" in mismatch and "answered 503" in mismatch
    with pytest.raises(CommandError, match="CORRECTNESS FAILURE"):
        BenchLoad(stdout=io.StringIO()).verdict(officials, [mismatch])
