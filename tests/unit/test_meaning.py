"""What an error means, apart from how it was written (lens_core.parse.meaning)."""

from __future__ import annotations

import pytest

from lens_core.parse.meaning import Meaning, code_words, family_of_meaning, meaning_of, meaning_text, meaning_texts


def _text(**fields) -> str:
    base = {"status_code": None, "error_code": None, "error_type": None, "message": None, "plugin": None}
    return meaning_text(meaning_of(**{**base, **fields}))


@pytest.mark.parametrize(("code", "words"), [
    ("sf:INVALID_SESSION_ID", "invalid session id"),
    ("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
     "provisioned throughput exceeded exception"),
    ("context_length_exceeded", "context length exceeded"),
    ("requests.exceptions.HTTPError", ""),  # a transport class: on every failure of its SDK
    ("System.Net.Http.HttpRequestException", ""),
    ("GitlabGetError", ""),  # the plugin's name and a verb: nothing about the cause
])
def test_code_words(code: str, words: str) -> None:
    assert code_words(code, "GitLab") == words


def test_forms_of_one_cause_share_their_words_and_lose_plugin_ids_and_frames() -> None:
    json_body = _text(status_code=401, error_code="InvalidAuthenticationToken",
                      message="Access token has expired for user 3fa85f64-5717-4562-b3fc-2c963f66afa6.",
                      plugin="Mail")
    assert json_body == "401 Unauthorized. invalid authentication token. Access token has expired for user ."
    assert "Mail" not in _text(status_code=401, message="Mail token expired for mailbox 42", plugin="Mail")


def test_a_grpc_code_states_its_http_status() -> None:
    assert _text(error_code="RESOURCE_EXHAUSTED", message="quota exceeded for tokens").startswith(
        "429 Too Many Requests.")


def test_a_message_that_only_restates_the_status_is_left_out() -> None:
    assert _text(status_code=400, error_type="requests.exceptions.HTTPError",
                 message="400 Client Error: Bad Request for url: https://x/y") == "400 Bad Request"
    # without a status, one word is all there is, and it stays
    assert _text(message="Service Unavailable") == "Service Unavailable"


def test_quoted_sentences_keep_their_words_and_quoted_values_do_not() -> None:
    text = _text(status_code=403, message='returned "The user does not have sufficient permissions for file".')
    assert "The user does not have sufficient permissions for file" in text
    assert "Bob Smith" not in _text(status_code=404, message="User 'Bob Smith' was not found")


@pytest.mark.parametrize(("text", "family"), [
    ("403 Forbidden. API rate limit exceeded for installation", "throttled"),  # a rate limit answered with 403
    ("500 Internal Server Error. upstream request timed out", "timeout"),
    ("403 Forbidden. insufficient scope", "permission"),
    ("enotfound. getaddrinfo ENOTFOUND gitlab.internal", "network"),  # not a missing resource
    ("TF401019: does not exist or you do not have permissions", "not_found"),
    ("Request was blocked", ""),  # "blocked" holds "locked", but is no conflict
    ("null pointer exception. Cannot invoke because the return value is null", "code_bug"),
    ("Something odd", ""),
])
def test_families(text: str, family: str) -> None:
    assert family_of_meaning(text) == family


def test_a_batch_drops_carrier_codes_and_fills_statuses_from_the_same_words() -> None:
    carrier = [Meaning(409, "vss service exception", "work item changed by someone else"),
               Meaning(401, "vss service exception", "user is not authorized to access this resource")]
    bare = Meaning(None, "", "Resource not accessible by integration")
    stated = Meaning(403, "", "Resource not accessible by integration")
    texts = meaning_texts([*carrier, bare, stated], [5, 5, 3, 7])
    assert texts[0] == "409 Conflict. work item changed by someone else"
    assert texts[1] == "401 Unauthorized. user is not authorized to access this resource"
    assert texts[2] == texts[3] == "403 Forbidden. Resource not accessible by integration"


def test_a_status_is_filled_in_only_when_most_events_agree_and_order_changes_nothing() -> None:
    meanings = [Meaning(None, "", "quota exceeded"), Meaning(429, "", "quota exceeded"),
                Meaning(403, "", "quota exceeded")]
    assert meaning_texts(meanings, [1, 5, 5])[0] == "quota exceeded"  # 429 and 403 split the events
    assert meaning_texts(meanings, [1, 9, 2])[0] == "429 Too Many Requests. quota exceeded"
    assert meaning_texts(meanings[::-1], [2, 9, 1])[::-1] == meaning_texts(meanings, [1, 9, 2])


def test_a_code_carries_its_status_to_forms_that_state_none() -> None:
    meanings = [Meaning(403, "insufficient scope", "The request requires higher privileges"),
                Meaning(None, "insufficient scope", "")]
    assert meaning_texts(meanings, [4, 1])[1] == "403 Forbidden. insufficient scope"
