"""ErrorParser: every form a skill_output arrives in, nothing invented, and no input that raises."""

from __future__ import annotations

import json
import time

import pytest

from lens_core.parsing import ErrorParser, endpoint_template, find_status, normalize_endpoint, normalize_plugin
from lens_core.schema import ParsedError

GRAPH_EXPIRED = {
    "error": {
        "code": "InvalidAuthenticationToken",
        "message": "Access token has expired.",
        "innerError": {
            "date": "2024-05-01T10:00:00",
            "request-id": "7b1c2d3e-1234-4abc-9def-0123456789ab",
            "client-request-id": "0a1b2c3d-0000-1111-2222-333344445555",
        },
    }
}


@pytest.fixture
def parse():
    return ErrorParser().parse


# --- JSON -------------------------------------------------------------------------------------------


def test_flat_dict(parse):
    got = parse({"error_type": "HTTPError", "status_code": 401, "message": "  Unauthorized \n request ",
                 "plugin": "Calendar", "endpoint": "/me/events"})
    assert got == ParsedError(plugin="Calendar", endpoint="/me/events", endpoint_template="/me/events",
                              status_code=401, error_type="HTTPError", message="Unauthorized request", form="json")


def test_graph_error_wrapped_in_a_json_string(parse):
    raw = json.dumps({"status": 401, "plugin": "calendar",
                      "url": "https://graph.microsoft.com/v1.0/me/events?$top=10", **GRAPH_EXPIRED})
    got = parse(raw)
    assert got.form == "json"
    assert (got.plugin, got.endpoint, got.status_code) == ("Calendar", "/me/events", 401)
    assert got.error_code == "InvalidAuthenticationToken"
    assert got.message == "Access token has expired."
    assert got.error_type is None  # nothing states a class


def test_nested_response_with_a_body_that_is_a_json_string(parse):
    body = json.dumps({"error": {"code": "TooManyRequests", "message": "Rate limit is exceeded."}})
    got = parse({"message": "Request failed", "response": {"status_code": 429, "body": body}})
    assert (got.status_code, got.error_code, got.message) == (429, "TooManyRequests", "Rate limit is exceeded.")


def test_innermost_code_wins(parse):
    got = parse({"code": "BadRequest", "error": {"code": "ErrorInvalidIdMalformed", "message": "Id is malformed."}})
    assert got.error_code == "ErrorInvalidIdMalformed"


def test_rfc7807_problem_json(parse):
    got = parse({"type": "https://example.com/probs/out-of-credit", "title": "You do not have enough credit.",
                 "detail": "Your current balance is 30, but that costs 50.", "status": "403"})
    assert got.status_code == 403
    assert got.message == "Your current balance is 30, but that costs 50."  # detail before title
    assert got.error_type == "out-of-credit"


def test_rfc7807_about_blank_and_title_only(parse):
    got = parse({"type": "about:blank", "title": "Not Found", "status": 404})
    assert (got.error_type, got.message, got.status_code) == (None, "Not Found", 404)


@pytest.mark.parametrize("key", ["statusCode", "status_code", "status", "httpStatus", "StatusCode"])
def test_status_key_spellings(parse, key):
    assert parse({key: 503, "msg": "down"}).status_code == 503


@pytest.mark.parametrize("value, expected", [("404", 404), (404, 404), ("Unauthorized", None), ("error", None),
                                             (True, None), (12, None), (404.0, 404)])
def test_status_values(parse, value, expected):
    assert parse({"status": value, "message": "x"}).status_code == expected


def test_numeric_code_is_a_status_and_text_code_is_a_provider_code(parse):
    assert parse({"code": 404, "message": "x"}).status_code == 404
    got = parse({"code": "ErrorItemNotFound", "message": "x"})
    assert (got.status_code, got.error_code) == (None, "ErrorItemNotFound")


def test_oauth_error_string(parse):
    got = parse({"error": "invalid_grant", "error_description": "AADSTS70008: The refresh token has expired."})
    assert (got.error_code, got.message) == ("invalid_grant", "AADSTS70008: The refresh token has expired.")


def test_error_phrase_is_a_message_not_a_code(parse):
    got = parse({"timestamp": "2024-05-01T10:00:00Z", "status": 404, "error": "Not Found", "path": "/api/tasks/7"})
    assert (got.error_code, got.message, got.endpoint_template) == (None, "Not Found", "/api/tasks/{id}")


@pytest.mark.parametrize("key", ["exception", "errorType", "error_type", "type"])
def test_type_key_spellings(parse, key):
    assert parse({key: "TimeoutError", "message": "slow"}).error_type == "TimeoutError"


def test_exception_string_with_message(parse):
    got = parse({"exception": "ConnectionError: Connection aborted."})
    assert (got.error_type, got.message) == ("ConnectionError", "Connection aborted.")


def test_sharepoint_odata_error(parse):
    got = parse({"odata.error": {"code": "-2130575338, Microsoft.SharePoint.SPException",
                                 "message": {"lang": "en-US", "value": "The file does not exist."}}})
    assert got.message == "The file does not exist."
    assert got.error_code == "-2130575338, Microsoft.SharePoint.SPException"


def test_errors_list(parse):
    got = parse({"errors": [{"code": "E_QUOTA", "message": "Quota exceeded"}]})
    assert (got.error_code, got.message) == ("E_QUOTA", "Quota exceeded")


@pytest.mark.parametrize("key", ["plugin", "pluginName", "skill", "service"])
def test_plugin_key_spellings(parse, key):
    assert parse({key: "teams", "message": "x"}).plugin == "Teams"


@pytest.mark.parametrize("key", ["endpoint", "url", "uri", "path"])
def test_endpoint_key_spellings(parse, key):
    assert parse({key: "https://graph.microsoft.com/beta/me/messages/AAMkAGI2=?$x=1"}).endpoint_template == \
        "/me/messages/{id}"


def test_method_key(parse):
    assert parse({"method": "post", "message": "x"}).http_method == "POST"
    assert parse({"method": "create_event", "message": "x"}).http_method is None


def test_status_and_url_stated_inside_a_json_message(parse):
    got = parse({"error_type": "HTTPError",
                 "message": "503 Server Error: Service Unavailable for url: https://graph.microsoft.com/v1.0/me/events"})
    assert (got.status_code, got.endpoint) == (503, "/me/events")


def test_double_encoded_json_string(parse):
    got = parse(json.dumps(json.dumps(GRAPH_EXPIRED)))
    assert (got.form, got.error_code) == ("json", "InvalidAuthenticationToken")


def test_json_with_nothing_known_invents_nothing(parse):
    assert parse({"foo": "bar", "n": 1}) == ParsedError(form="json")
    assert parse("[1, 2, 3]") == ParsedError(form="json")


def test_bounded_depth_walk(parse):
    node: dict = {"message": "deep"}
    for _ in range(50):
        node = {"wrapper": node}
    got = parse({"message": "shallow", "inner": node})
    assert got.message == "shallow"  # beyond MAX_DEPTH nothing is read, and nothing recursed without limit


# --- tracebacks --------------------------------------------------------------------------------------

TEAMS_TB = """Traceback (most recent call last):
  File "/app/runner.py", line 12, in run
    return plugin.send(msg)
  File "plugins/teams/client.py", line 88, in send
    data = resp["value"]
           ~~~~^^^^^^^^^
KeyError: 'value'
"""

HTTP_TB = """Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/requests/models.py", line 1021, in raise_for_status
    raise HTTPError(http_error_msg, response=self)
requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: https://graph.microsoft.com/v1.0/me/events?$top=5
"""


def test_traceback_final_line_and_plugin_folder(parse):
    got = parse(TEAMS_TB)
    assert got == ParsedError(plugin="Teams", error_type="KeyError", message="'value'", form="traceback")


def test_traceback_dotted_class_status_and_url(parse):
    got = parse(HTTP_TB)
    assert got.error_type == "requests.exceptions.HTTPError"
    assert (got.status_code, got.endpoint, got.plugin) == (503, "/me/events", None)
    assert got.message.startswith("503 Server Error: Service Unavailable")


def test_chained_traceback_reports_the_last_exception(parse):
    text = TEAMS_TB + "\nDuring handling of the above exception, another exception occurred:\n\n" + \
        'Traceback (most recent call last):\n  File "/app/x.py", line 3, in f\n    raise X\n' \
        "msal.TokenExpiredError: token expired\n  second line of the message"
    got = parse(text)
    assert (got.error_type, got.message) == ("msal.TokenExpiredError", "token expired second line of the message")
    assert got.plugin == "Teams"  # the innermost plugins/ frame anywhere in the tail


def test_traceback_without_plugin_folder_leaves_plugin_none(parse):
    text = 'Traceback (most recent call last):\n  File "/srv/app/calendar_client.py", line 5, in get\n' \
           "    x()\nrequests.exceptions.ConnectTimeout: timed out\n"
    got = parse(text)
    assert (got.plugin, got.error_type, got.status_code) == (None, "requests.exceptions.ConnectTimeout", None)


# --- HTML --------------------------------------------------------------------------------------------

NGINX = ("<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1>"
         "</center><hr><center>nginx</center></body></html>")
IIS = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html><head><meta charset="utf-8">'
       "<title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title>"
       "</head><body><div id=\"content\"><h2>502 - Web server received an invalid response while acting as a "
       "gateway or proxy server.</h2></div></body></html>")


def test_html_nginx(parse):
    assert parse(NGINX) == ParsedError(status_code=504, message="Gateway Time-out", form="html")


def test_html_iis(parse):
    got = parse(IIS)
    assert got.status_code == 502
    assert got.message == "Web server received an invalid response while acting as a gateway or proxy server."
    assert got.error_type is None  # no type is invented from a status


def test_html_status_in_a_heading_only(parse):
    page = "<!doctype html><html><body><h1>Error</h1><h2>503 &amp; Service Unavailable</h2></body></html>"
    got = parse(page)
    assert (got.status_code, got.message) == (503, "& Service Unavailable")


def test_html_without_status(parse):
    got = parse("<html><body><script>var x = 1;</script><p>Something broke</p></body></html>")
    assert (got.form, got.status_code, got.message) == ("html", None, "Something broke")


# --- text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, status", [
    ("HTTP 429 Too Many Requests: retry after 30s", 429),
    ("503 Service Unavailable", 503),
    ("Request failed with status code 403", 403),
    ("upstream returned 500", 500),
    ("statusCode=401", 401),
    ("HTTP/1.1 502 Bad Gateway", 502),
    ("retry after 300 seconds", None),
    ("Error 1020: access denied", None),
])
def test_text_status(parse, text, status):
    assert parse(text).status_code == status


def test_text_method_url_and_status(parse):
    got = parse("POST https://graph.microsoft.com/v1.0/me/sendMail failed: 413 Request Entity Too Large")
    assert (got.http_method, got.endpoint, got.status_code, got.form) == ("POST", "/me/sendMail", 413, "text")


def test_text_leading_exception_name(parse):
    got = parse("TimeoutError: plugin did not respond within 30 seconds")
    assert got == ParsedError(error_type="TimeoutError", message="plugin did not respond within 30 seconds",
                              form="text")


def test_text_plugin_api(parse):
    got = parse("Connection reset by peer while calling To Do API")
    assert (got.plugin, got.error_type, got.status_code) == ("To Do", None, None)
    assert got.message == "Connection reset by peer while calling To Do API"


def test_text_log_line_with_bracket_plugin_and_code(parse):
    got = parse("ERROR [Planner] ServiceUnavailable (503): The service is temporarily unavailable")
    assert (got.plugin, got.error_code, got.status_code) == ("Planner", "ServiceUnavailable", 503)
    assert got.message == "The service is temporarily unavailable"


def test_text_with_embedded_json(parse):
    got = parse('Graph call failed (401): {"error": {"code": "InvalidAuthenticationToken", "message": "Expired"}}')
    assert (got.status_code, got.error_code, got.message, got.form) == (401, "InvalidAuthenticationToken",
                                                                         "Expired", "text")


def test_text_states_nothing_structured(parse):
    got = parse("Something went wrong while saving your event")
    assert got == ParsedError(message="Something went wrong while saving your event", form="text")


@pytest.mark.parametrize("text", ["Error: calendar exploded", "Failed: the Graph API said no", "SharePoint: denied"])
def test_text_ordinary_words_are_not_types_or_plugins(parse, text):
    got = parse(text)
    assert (got.error_type, got.error_code, got.plugin) == (None, None, None)


# --- empty, skill_input fallback ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   \n\t", b"", b"  "])
def test_empty(parse, value):
    assert parse(value) == ParsedError(form="empty")


def test_skill_input_json_fills_plugin_endpoint_method(parse):
    skill_input = json.dumps({"plugin": "Calendar", "action": "create_event", "endpoint": "/me/events",
                              "method": "POST", "subject": "Sync"})
    got = parse("503 Service Unavailable", skill_input=skill_input)
    assert (got.plugin, got.endpoint, got.http_method, got.status_code) == ("Calendar", "/me/events", "POST", 503)


def test_skill_input_never_overrides_the_output(parse):
    got = parse({"plugin": "Mail", "message": "x"}, skill_input='{"plugin": "Calendar"}')
    assert got.plugin == "Mail"


def test_skill_input_free_text_call(parse):
    got = parse("boom", skill_input="Calendar.create_event(subject='Sync', start='2024-05-01T10:00')")
    assert (got.plugin, got.endpoint, got.message) == ("Calendar", None, "boom")


def test_a_status_the_skill_input_mentions_is_not_the_calls_status(parse):
    # the input is what the assistant asked for; only the output says how the call ended
    got = parse("boom", skill_input="Mail.send_mail(subject='HTTP 500 postmortem', body='error code 404 again')")
    assert (got.plugin, got.status_code) == ("Mail", None)


def test_skill_input_path_is_not_an_endpoint(parse):
    got = parse("boom", skill_input='{"plugin": "onedrive", "path": "/Documents/report.docx"}')
    assert (got.plugin, got.endpoint) == ("OneDrive", None)


# --- helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, template", [
    ("/users/jane@contoso.com/events/AAMkAGI2=", "/users/{id}/events/{id}"),
    ("/sites/contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A,"
     "2D2244C3-251A-49EA-93A8-39E1C3A060FE/lists", "/sites/{id}/lists"),
    ("/me/events", "/me/events"),
    ("/groups/02bd9fd6-8f93-4758-87c3-1fb73740a315/planner/plans", "/groups/{id}/planner/plans"),
    ("/teams/19:abc123@thread.tacv2/channels", "/teams/{id}:{id}/channels"),
    ("/me/drive/root:/Documents/Report 2024.docx:/content", "/me/drive/root:{path}:/content"),
    ("/users('jane@contoso.com')/calendarView", "/users({id})/calendarView"),
    ("/_api/web/GetFileByServerRelativeUrl('/sites/hr/Q3 plan.docx')", "/_api/web/GetFileByServerRelativeUrl({id})"),
    ("/contoso.onmicrosoft.com/oauth2/v2.0/token", "/{id}/oauth2/v2.0/token"),
    ("/me/events/{event-id}", "/me/events/{id}"),
    ("/me/todo/lists/deadbeef00/tasks", "/me/todo/lists/{id}/tasks"),
    ("", ""),
])
def test_endpoint_template(path, template):
    assert endpoint_template(path) == template


@pytest.mark.parametrize("raw, path", [
    ("https://graph.microsoft.com/v1.0/me/events?$top=10", "/me/events"),
    ("https://graph.microsoft.com/beta/me", "/me"),
    ("https://contoso.sharepoint.com/sites/hr/_api/web?x=1#frag", "/sites/hr/_api/web"),
    ("/v1.0/me/messages", "/me/messages"),
    ("me/messages?$top=1", "/me/messages"),
    ("create_event", "create_event"),
    ("http://[::1", None),
    ("", None),
])
def test_normalize_endpoint(raw, path):
    assert normalize_endpoint(raw) == path


@pytest.mark.parametrize("raw, name", [("calendar", "Calendar"), ("CalendarPlugin", "Calendar"),
                                       ("calendar_plugin", "Calendar"), ("todo", "To Do"), ("TO_DO", "To Do"),
                                       ("sharepoint", "SharePoint"), ("outlook_calendar", "Outlook Calendar"),
                                       ("MyCRM", "MyCRM"), ("Calendar.create_event", "Calendar"), ("plugin", None)])
def test_normalize_plugin(raw, name):
    assert normalize_plugin(raw) == name


def test_find_status_is_none_without_a_status():
    assert find_status("within 30 seconds, 1500 items") is None


# --- garbage never raises ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "x" * 1_000_000,
    "{" + "x" * 1_000_000,
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    "{not json",
    "{'error': 'python repr'}",
    "42", 42, 3.5, True, b"\xff\xfe\x00garbage", bytearray(b"abc"),
    [], [None, 1, "x"], {1: 2, None: 3}, {"status": float("nan")}, {"code": float("inf")},
    "<html>" + "<" * 100_000, "<html>" + "<title>" * 50_000,
    "Traceback (most recent call last):\n", "Traceback (most recent call last):" + "x" * 1_000_000,
    object(),
])
def test_garbage_never_raises(parse, value):
    start = time.perf_counter()
    got = parse(value, skill_input=value if isinstance(value, str) else "")
    assert isinstance(got, ParsedError)
    assert got.form in {"json", "traceback", "html", "text", "empty"}
    assert got.message is None or len(got.message) <= 2000
    assert time.perf_counter() - start < 2.0  # linear scans: no catastrophic backtracking


def test_deep_json_string_is_text_not_a_crash(parse):
    got = parse("[" * 10_000 + "]" * 10_000)
    assert got.form == "text"


def test_a_repeated_blob_gives_each_input_its_own_hints(parse) -> None:
    """Recent blobs are remembered; what a skill_input adds must not stick to the remembered fields."""
    blob = json.dumps({"status_code": 403, "message": "Forbidden \u00e9\u0000 here"})
    calendar = parse(blob, skill_input='{"plugin": "Calendar", "endpoint": "/me/events"}')
    mail = parse(blob, skill_input="Mail.send_message(to='a@b.c')")
    alone = parse(blob)
    assert (calendar.plugin, calendar.endpoint_template) == ("Calendar", "/me/events")
    assert (mail.plugin, mail.endpoint) == ("Mail", None)
    assert (alone.plugin, alone.endpoint) == (None, None)
    assert calendar.message == mail.message == alone.message == "Forbidden \u00e9 here"  # NUL dropped each time
    assert parse(blob) == alone


def test_remembered_blobs_parse_as_new_ones(parse) -> None:
    """The memo changes no result: the same texts parsed with the memo emptied give equal errors."""
    from lens_core import parsing

    texts = [json.dumps(GRAPH_EXPIRED), "503 Service Unavailable for url: https://x.test/a/1", "x" * (parsing.MEMO_CHARS + 1)]
    first = [parse(text, skill_input='{"plugin": "Teams"}') for text in texts * 2]
    parsing._memo_output.cache_clear()
    parsing._memo_hints.cache_clear()
    assert [parse(text, skill_input='{"plugin": "Teams"}') for text in texts * 2] == first
