"""ErrorParser: every form a skill_output arrives in, nothing invented, and no input that raises."""

from __future__ import annotations

import json
import time

import pytest

from lens_core.parse.messages import find_status
from lens_core.parse.parsing import ErrorParser, endpoint_template, normalize_endpoint, normalize_plugin
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


def test_an_error_object_inside_a_data_list_is_read_but_the_list_data_is_not(parse):
    fedex = {"transactionId": "a45ab8b1", "output": {"completeTrackResults": [{"trackingNumber": "224696769921",
             "trackResults": [{"error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                                         "message": "Tracking number cannot be found."}}]}]}}
    got = parse({"status": 200, "body": fedex})
    assert (got.status_code, got.error_code, got.message) == (
        200, "TRACKING.TRACKINGNUMBER.NOTFOUND", "Tracking number cannot be found.")
    ups = {"trackResponse": {"shipment": [{"inquiryNumber": "1Z12", "package": [],
                                           "warnings": [{"code": "TW0001", "message": "Tracking Information Not Found"}]}]}}
    assert (parse(ups).error_code, parse(ups).message) == ("TW0001", "Tracking Information Not Found")
    # a page of data ({"value": [...]}) holds codes and statuses of the data, not of a failure
    assert parse({"value": [{"id": "1", "code": "ABC", "status": "200", "message": "hello"}]}) == ParsedError(form="json")


@pytest.mark.parametrize("body, code", [
    ({"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "content_filter",
      "message": {"role": "assistant", "content": None}}]}, "content_filter"),  # OpenAI, Azure OpenAI
    ({"object": "chat.completion", "choices": [{"finish_reason": "length"}]}, "length"),
    ({"type": "message", "role": "assistant", "stop_reason": "refusal", "content": []}, "refusal"),  # Anthropic
    ({"candidates": [{"finishReason": "SAFETY", "safetyRatings": []}]}, "SAFETY"),  # Gemini
    ({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}, "PROHIBITED_CONTENT"),
    ({"object": "chat.completion", "choices": [{"finish_reason": "stop", "message": {"content": "Hi"}}]}, None),
    ({"type": "message", "stop_reason": "end_turn", "content": []}, None),
    ({"candidates": [{"finishReason": "STOP"}]}, None),
])
def test_a_models_finish_reason_is_the_code_unless_it_is_a_normal_end(parse, body, code):
    got = parse(json.dumps(body))
    assert got.error_code == code
    assert got.error_type is None  # {"type": "message"} is the response object's kind, not an exception class


def test_response_headers_state_the_bearer_error_and_the_spent_limit(parse):
    challenge = 'Bearer realm="Service", error="invalid_token", error_description="The access token expired"'
    got = parse({"status": 401, "headers": {"Date": "Mon, 02 Sep 2024 09:13:44 GMT", "WWW-Authenticate": challenge},
                 "body": ""})
    assert (got.status_code, got.error_code, got.message) == (401, "invalid_token", "The access token expired")
    limits = {"X-AppMinLimit-Remaining": "3685", "X-MinLimit-Remaining": "9", "X-DayLimit-Remaining": "0"}
    got = parse({"status": 429, "headers": limits})
    assert (got.status_code, got.message) == (429, "rate limit spent: X-DayLimit-Remaining: 0")
    # the body's own statement outranks the headers'
    got = parse({"status": 401, "headers": {"WWW-Authenticate": challenge},
                 "body": {"error": {"code": "token_revoked", "message": "The token was revoked by the user."}}})
    assert (got.error_code, got.message) == ("token_revoked", "The token was revoked by the user.")
    assert parse({"headers": {"WWW-Authenticate": 'Basic realm="x"'}}) == ParsedError(form="json")


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


def test_an_exception_whose_whole_message_is_a_json_body_is_read_by_it(parse):
    text = ('Traceback (most recent call last):\n  File "/srv/app/tickets.py", line 9, in get\n    x()\n'
            'zenpy.lib.exception.APIException: {"error":"Couldn\'t authenticate you"}\n')
    got = parse(text)
    assert (got.error_type, got.message) == ("zenpy.lib.exception.APIException", "Couldn't authenticate you")
    got = parse(text.replace('{"error":"Couldn\'t authenticate you"}',
                             '{"error": {"code": "RecordNotFound", "message": "Not found"}}'))
    assert (got.error_code, got.message) == ("RecordNotFound", "Not found")


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


def test_text_bsd_syslog_header_is_no_message(parse):
    got = parse("Jun  3 14:55:01 toolrunner-fc30a copilot[18675]: ERROR [Planner] ServiceUnavailable (503): "
                "The service is temporarily unavailable")
    assert (got.plugin, got.error_code, got.status_code) == ("Planner", "ServiceUnavailable", 503)
    assert got.message == "The service is temporarily unavailable"


def test_text_logfmt_line_is_read_by_its_keys(parse):
    got = parse('2024-06-03T02:37:42.672Z level=warn logger=toolrunner.fedex tool=fedex.get_rate_quote '
                'req_id=e1d8e075-302a-4693-a940-85489ec10ce5 status=429 msg="throttled: too many calls in the last '
                '10s, retry after \\"53s\\""')
    assert (got.status_code, got.message, got.form) == (429, 'throttled: too many calls in the last 10s, retry after '
                                                        '"53s"', "text")
    without_status = parse('level=error err="connect ECONNREFUSED 10.0.0.7:443" tool=ups.track')
    assert (without_status.status_code, without_status.message) == (None, "connect ECONNREFUSED 10.0.0.7:443")
    # pairs inside a sentence, or pairs without a message key, are not a logfmt line
    assert parse("chat.postMessage failed: error=not_in_channel channel=C1").message == \
        "chat.postMessage failed: error=not_in_channel channel=C1"
    assert parse("level=error tool=ups.track").message == "level=error tool=ups.track"


API_EXCEPTION = (
    "(403)\nReason: Forbidden\nHTTP response headers: HTTPHeaderDict({'Date': 'Mon, 03 Jun 2024 05:26:17 GMT', "
    "'Xero-Correlation-Id': '3d1425fa-93c6-49a0-860b-1617f0725ffd'})\nHTTP response body: "
)


@pytest.mark.parametrize("body, expected", [
    ('{"error": {"code": "insufficient_scope", "message": "The token lacks accounting.transactions"}}',
     ("insufficient_scope", "The token lacks accounting.transactions")),
    ("b'{\"errorCode\":\"USER_LACKS_PERMISSIONS\",\"message\":\"This user lacks sufficient permissions\"}'",
     ("USER_LACKS_PERMISSIONS", "This user lacks sufficient permissions")),
    ("", (None, "Forbidden")),  # no body: the reason phrase
])
def test_generated_client_api_exception_is_read_by_its_parts(parse, body, expected):
    traceback = ('Traceback (most recent call last):\n  File "/app/plugins/xero/tools.py", line 12, in run\n'
                 '    raise ApiException(http_resp=r)\nxero_python.exceptions.ApiException: ' + API_EXCEPTION + body)
    for text in (traceback, "ERROR [Xero] " + API_EXCEPTION + body):  # raised, or logged as str(e)
        got = parse(text)
        assert got.status_code == 403 and (got.error_code, got.message) == expected, text
        assert "HTTPHeaderDict" not in (got.message or "") and "Correlation" not in (got.message or "")


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
    assert got.form in {"json", "traceback", "stacktrace", "xml", "html", "text", "empty"}
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
    from lens_core.parse import parsing

    texts = [json.dumps(GRAPH_EXPIRED), "503 Service Unavailable for url: https://x.test/a/1", "x" * (parsing.MEMO_CHARS + 1)]
    first = [parse(text, skill_input='{"plugin": "Teams"}') for text in texts * 2]
    parsing._memo_output.cache_clear()
    parsing._memo_hints.cache_clear()
    assert [parse(text, skill_input='{"plugin": "Teams"}') for text in texts * 2] == first


# --- JVM, .NET, Node.js and Go stack traces ------------------------------------------------------------

JAVA_CHAIN = """java.lang.RuntimeException: Failed to sync calendar
\tat com.contoso.sync.CalendarSync.run(CalendarSync.java:88)
\tat java.base/java.lang.Thread.run(Thread.java:833)
Caused by: org.springframework.web.client.HttpClientErrorException$Unauthorized: 401 Unauthorized: [no body]
\tat org.springframework.web.client.HttpClientErrorException.create(HttpClientErrorException.java:106)
\t... 12 more
Caused by: java.net.SocketTimeoutException: Read timed out
\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:283)
\t... 20 more
"""

JAVA_ROOT_WITHOUT_MESSAGE = """Exception in thread "main" java.lang.IllegalStateException: HTTP 503 Service Unavailable \
from https://api.example.com/v2/items/42
\tat com.example.Client.call(Client.java:42)
Caused by: java.lang.NullPointerException
\tat com.example.Parser.parse(Parser.java:10)
\t... 1 more
"""


def test_java_root_cause_type_and_message(parse):
    got = parse(JAVA_CHAIN)
    assert (got.form, got.error_type, got.message) == ("stacktrace", "java.net.SocketTimeoutException", "Read timed out")
    assert got.status_code == 401  # stated by a message of the chain, not by the root cause


def test_java_root_without_message_keeps_the_deepest_specific_message(parse):
    got = parse(JAVA_ROOT_WITHOUT_MESSAGE)
    assert (got.form, got.error_type, got.status_code) == ("stacktrace", "java.lang.NullPointerException", 503)
    assert got.message == "HTTP 503 Service Unavailable from https://api.example.com/v2/items/42"
    assert got.endpoint_template == "/v2/items/{id}"


def test_java_suppressed_exception_is_not_the_root_cause(parse):
    text = ("java.io.IOException: upload failed\n\tat a.B.c(B.java:1)\n"
            "\tSuppressed: java.lang.IllegalStateException: close failed\n\t\tat a.B.close(B.java:9)\n"
            "\t\tCaused by: java.lang.Error: inner\n")
    got = parse(text)
    assert (got.error_type, got.message) == ("java.io.IOException", "upload failed")


DOTNET_401 = """System.Net.Http.HttpRequestException: Response status code does not indicate success: 401 (Unauthorized).
   at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()
   at Contoso.Graph.MailClient.SendAsync(String userId) in D:\\src\\Contoso.Graph\\MailClient.cs:line 212
   at Contoso.Graph.Program.Main(String[] args) in D:\\src\\Contoso.Graph\\Program.cs:line 17"""

DOTNET_INNER = """System.Net.Http.HttpRequestException: An error occurred while sending the request.
 ---> System.IO.IOException: Unable to read data from the transport connection: Connection reset by peer.
 ---> System.Net.Sockets.SocketException (104): Connection reset by peer
   --- End of inner exception stack trace ---
   at System.Net.Sockets.Socket.AwaitableSocketAsyncEventArgs.ThrowException(SocketError error, CancellationToken token)
   --- End of inner exception stack trace ---
   at System.Net.Http.HttpConnection.SendAsyncCore(HttpRequestMessage request, Boolean async, CancellationToken token)"""


def test_dotnet_status_in_parentheses(parse):
    got = parse(DOTNET_401)
    assert (got.form, got.error_type, got.status_code) == ("stacktrace", "System.Net.Http.HttpRequestException", 401)
    assert got.message == "Response status code does not indicate success: 401 (Unauthorized)."


def test_dotnet_innermost_exception_is_the_root_cause(parse):
    got = parse(DOTNET_INNER)
    assert (got.form, got.error_type, got.status_code) == ("stacktrace", "System.Net.Sockets.SocketException", None)
    assert got.message == "Connection reset by peer"


def test_dotnet_older_one_line_inner_exception(parse):
    text = ("System.InvalidOperationException: Sync failed ---> System.TimeoutException: The operation has timed out.\n"
            "   at Contoso.Sync.Run()\n   --- End of inner exception stack trace ---\n   at Contoso.Program.Main()")
    got = parse(text)
    assert (got.error_type, got.message) == ("System.TimeoutException", "The operation has timed out.")


NODE_OCTOKIT = """HttpError: Not Found
    at /app/node_modules/@octokit/request/dist-node/index.js:86:21
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {
  status: 404,
  request: {
    method: 'GET',
    url: 'https://api.github.com/repos/octo/missing'
  }
}"""

NODE_DNS = """Error: getaddrinfo ENOTFOUND api.example.com
    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) {
  errno: -3008,
  code: 'ENOTFOUND',
  syscall: 'getaddrinfo',
  hostname: 'api.example.com'
}"""


def test_node_http_error_with_status_property(parse):
    got = parse(NODE_OCTOKIT)
    assert (got.form, got.error_type, got.message, got.status_code) == ("stacktrace", "HttpError", "Not Found", 404)


def test_node_system_error_code_from_its_properties(parse):
    got = parse(NODE_DNS)
    assert (got.form, got.error_type, got.error_code) == ("stacktrace", "Error", "ENOTFOUND")
    assert (got.message, got.status_code) == ("getaddrinfo ENOTFOUND api.example.com", None)


def test_node_type_error_and_plugin_folder(parse):
    text = ("TypeError: Cannot read properties of undefined (reading 'login')\n"
            "    at getUser (/app/plugins/teams/user.js:14:22)\n    at async Promise.all (index 0)")
    got = parse(text)
    assert (got.form, got.error_type, got.plugin) == ("stacktrace", "TypeError", "Teams")
    assert got.message == "Cannot read properties of undefined (reading 'login')"


def test_node_error_cause_is_the_root_cause(parse):
    text = ("TypeError: fetch failed\n    at Object.fetch (node:internal/deps/undici/undici:11730:11) {\n"
            "  [cause]: Error: connect ECONNREFUSED 127.0.0.1:8080\n"
            "      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {\n"
            "    errno: -111,\n    code: 'ECONNREFUSED',\n    syscall: 'connect'\n  }\n}")
    got = parse(text)
    assert (got.error_type, got.error_code, got.message) == ("Error", "ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:8080")


def test_node_bracketed_code(parse):
    got = parse("TypeError [ERR_INVALID_URL]: Invalid URL\n    at new NodeError (node:internal/errors:405:5)")
    assert (got.error_type, got.error_code, got.message) == ("TypeError", "ERR_INVALID_URL", "Invalid URL")


GO_PANIC = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48f0dd]

goroutine 1 [running]:
main.main()
\t/app/main.go:12 +0x1d
exit status 2"""


def test_go_runtime_panic(parse):
    got = parse(GO_PANIC)
    assert (got.form, got.error_type) == ("stacktrace", "runtime error")
    assert (got.message, got.status_code) == ("invalid memory address or nil pointer dereference", None)


def test_go_panic_after_log_lines(parse):
    text = ("2024/05/01 10:00:00 starting sync\npanic: GET https://api.example.com/v1/users: 503 Service Unavailable"
            "\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:20 +0x65")
    got = parse(text)
    assert (got.form, got.error_type, got.status_code, got.endpoint) == ("stacktrace", "panic", 503, "/v1/users")
    assert got.message == "GET https://api.example.com/v1/users: 503 Service Unavailable"


def test_go_error_chain_status(parse):
    got = parse("POST https://api.x.com/v1/y: 422 Validation Failed [{Resource:Issue Field:title Code:missing_field}]")
    assert (got.form, got.status_code, got.http_method, got.endpoint) == ("text", 422, "POST", "/v1/y")


def test_frame_like_english_is_not_a_stacktrace(parse):
    got = parse("Error: meeting could not be booked\n  at least one attendee is required")
    assert got.form == "text"


# --- XML error bodies --------------------------------------------------------------------------------

S3_DENIED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>'
             "<RequestId>4442587FB7D0A2F9</RequestId><HostId>aGVsbG8=</HostId></Error>")
SOAP11 = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
          'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
          "<faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID found in "
          "SessionHeader: Illegal Session</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
SOAP12 = ('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:m="urn:x">'
          "<soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode>"
          "<soap:Value>m:MessageTimeout</soap:Value></soap:Subcode></soap:Code><soap:Reason>"
          '<soap:Text xml:lang="en">Sender Timeout</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>')
AWS_QUERY = ('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
             "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>8f1e</RequestId></ErrorResponse>")


@pytest.mark.parametrize("body, code, message", [
    (S3_DENIED, "AccessDenied", "Access Denied"),
    (SOAP11, "INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session"),
    (SOAP12, "MessageTimeout", "Sender Timeout"),
    (AWS_QUERY, "Throttling", "Rate exceeded"),
    ("<error><code>E_QUOTA</code><message>Quota exceeded</message></error>", "E_QUOTA", "Quota exceeded"),
])
def test_xml_error_bodies(parse, body, code, message):
    got = parse(body)
    assert (got.form, got.error_code, got.message) == ("xml", code, message)
    assert (got.error_type, got.status_code) == (None, None)  # AWS's <Type>Sender</Type> names no class


def test_xml_soap11_server_fault_and_status_in_the_message(parse):
    body = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
            "<faultcode>s:Server</faultcode><faultstring>Upstream returned HTTP 502 Bad Gateway</faultstring>"
            "</s:Fault></s:Body></s:Envelope>")
    got = parse(body)
    assert (got.form, got.error_code, got.status_code) == ("xml", "Server", 502)


def test_xml_without_an_error_element_is_walked_like_json(parse):
    got = parse("<response><status>404</status><msg>no such item</msg></response>")
    assert (got.form, got.status_code, got.message) == ("xml", 404, "no such item")


def test_xhtml_page_stays_html(parse):
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><head><title>503 Service Unavailable</title>'
            "</head><body></body></html>")
    assert (parse(page).form, parse(page).status_code) == ("html", 503)


@pytest.mark.parametrize("body", [
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Error>",  # mismatched tag
    "<Error><Code>A</Code></Error> trailing log text",
    "<_InactiveRpcError of RPC that terminated with: oops>",
    "<Error><Code>&undefined;</Code></Error>",
])
def test_malformed_xml_falls_back_to_text(parse, body):
    assert parse(body).form == "text"


BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                            for i in range(1, 10))
                  + "]>\n<Error><Code>&lol9;</Code></Error>")


def test_entity_bomb_is_never_expanded(parse):
    start = time.perf_counter()
    got = parse(BILLION_LAUGHS)
    assert got.form == "text" and "lollollol" not in (got.message or "")
    assert got.error_code is None
    assert time.perf_counter() - start < 1.0


def test_xml_reader_refuses_dtds_even_past_the_text_check(monkeypatch):
    """The parser's own handlers refuse a DTD, an entity declaration and an external entity."""
    from lens_core.parse import xml_bodies as parse_forms

    monkeypatch.setattr(parse_forms, "_XML_REFUSED", ())
    assert parse_forms.parse_xml(BILLION_LAUGHS) is None
    external = ('<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                "<Error><Message>&x;</Message></Error>")
    assert parse_forms.parse_xml(external) is None
    assert parse_forms.parse_xml('<!DOCTYPE Error SYSTEM "http://example.invalid/e.dtd"><Error/>') is None


def test_xml_size_and_node_caps(parse):
    from lens_core.parse import xml_bodies as parse_forms

    assert parse_forms.parse_xml("<a>" + "<b/>" * (parse_forms.XML_MAX_NODES + 1) + "</a>") is None
    assert parse_forms.parse_xml("<a>" * 100 + "</a>" * 100) is None  # deeper than XML_MAX_DEPTH
    assert parse("<Error><Message>" + "x" * parse_forms.XML_MAX_CHARS + "</Message></Error>").form == "text"


def test_wrapped_json_body_still_reads(parse):
    body = json.dumps({"error": {"code": "NotFound", "message": "The item was not found."}})
    got = parse(json.dumps({"status": 404, "body": body}))
    assert (got.form, got.status_code, got.error_code, got.message) == ("json", 404, "NotFound", "The item was not found.")


# --- gRPC statuses -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, form, code, message", [
    ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: connection refused"',
     "text", "UNAVAILABLE", 'connection error: desc = "transport: Error while dialing: connection refused"'),
    ("get user 42: rpc error: code = DeadlineExceeded desc = context deadline exceeded",
     "text", "DEADLINE_EXCEEDED", "context deadline exceeded"),
    ("rpc error: code = Canceled desc = context canceled", "text", "CANCELLED", "context canceled"),
    ('<_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.UNAVAILABLE\n'
     '\tdetails = "failed to connect to all addresses"\n\tdebug_error_string = "UNKNOWN:Error received"\n>',
     "text", "UNAVAILABLE", "failed to connect to all addresses"),
    ("<_Rendezvous of RPC that terminated with (StatusCode.RESOURCE_EXHAUSTED, Quota exceeded)>",
     "text", "RESOURCE_EXHAUSTED", "Quota exceeded"),
    ("io.grpc.StatusRuntimeException: PERMISSION_DENIED: caller lacks scope", "text", "PERMISSION_DENIED",
     "caller lacks scope"),
    ("io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after 9.99s\n"
     "\tat io.grpc.stub.ClientCalls.toStatusRuntimeException(ClientCalls.java:268)",
     "stacktrace", "DEADLINE_EXCEEDED", "deadline exceeded after 9.99s"),
    ("Error: 14 UNAVAILABLE: No connection established\n"
     "    at callErrorFromStatus (/app/node_modules/@grpc/grpc-js/build/src/call.js:31:19) {\n  code: 14,\n}",
     "stacktrace", "UNAVAILABLE", "No connection established"),
    ('Grpc.Core.RpcException: Status(StatusCode="Unavailable", Detail="Error starting gRPC call.", '
     'DebugException="System.Net.Http.HttpRequestException: Connection refused")',
     "text", "UNAVAILABLE", "Error starting gRPC call."),
])
def test_grpc_statuses(parse, text, form, code, message):
    got = parse(text)
    assert (got.form, got.error_code, got.message) == (form, code, message)
    assert got.status_code is None  # a gRPC code is not an HTTP response: no status is invented


def test_grpc_status_inside_a_python_traceback(parse):
    text = ('Traceback (most recent call last):\n  File "/app/client.py", line 10, in call\n    stub.Get(req)\n'
            "grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n"
            '\tstatus = StatusCode.RESOURCE_EXHAUSTED\n\tdetails = "Quota exceeded for quota metric"\n>\n')
    got = parse(text)
    assert (got.form, got.error_type, got.error_code) == ("traceback", "grpc._channel._InactiveRpcError",
                                                          "RESOURCE_EXHAUSTED")
    assert (got.message, got.status_code) == ("Quota exceeded for quota metric", None)


def test_grpc_http_status_mapping():
    from lens_core.parse.grpc_statuses import GRPC_CODES, GRPC_HTTP_STATUS, grpc_code
    from lens_core.parse.parsing import GRPC_HTTP_STATUS as reexported

    assert reexported is GRPC_HTTP_STATUS and set(GRPC_HTTP_STATUS) == set(GRPC_CODES) and len(GRPC_CODES) == 17
    assert (GRPC_HTTP_STATUS["UNAVAILABLE"], GRPC_HTTP_STATUS["RESOURCE_EXHAUSTED"],
            GRPC_HTTP_STATUS["CANCELLED"], GRPC_HTTP_STATUS["UNAUTHENTICATED"]) == (503, 429, 499, 401)
    assert [grpc_code(n) for n in ("Unavailable", "DeadlineExceeded", "NOT_FOUND", "Canceled", "Nope")] == \
        ["UNAVAILABLE", "DEADLINE_EXCEEDED", "NOT_FOUND", "CANCELLED", None]


# --- hostile inputs for the new forms ---------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "\tat " * 250_000,  # one megabyte line of frame starts
    "java.lang.RuntimeException: boom\n" + "\tat a.b.C.d(C.java:1)\n" * 50_000,
    "Error: x\n" + "    at " * 200_000,
    "x.YException: m\n\tat a.b(C.java:1)\n" + "Caused by: x.YException: m\n" * 50_000,
    "System.Exception: a" + " ---> System.Exception: b" * 50_000 + "\n   at X.Y()",
    "Error: a\n    at f (x.js:1:1) {\n" + "  [cause]: Error: b\n" * 50_000,
    "panic: " + "x\n" * 300_000,
    "GET /" * 200_000, "x GET /" * 150_000, "401 (" * 200_000,
    "rpc error: code = Unavailable desc = " * 30_000, "StatusCode.UNAVAILABLE" + "\n" * 1_000_000,
    "14 UNAVAILABLE: " * 60_000,
    "<a>" * 20_000 + "</a>" * 20_000, "<a>" + "<b/>" * 40_000 + "</a>", "<Error>" + "<" * 100_000,
])
def test_hostile_new_forms_finish_fast(parse, value):
    start = time.perf_counter()
    got = parse(value)
    assert got.form in {"stacktrace", "xml", "text"}
    assert got.message is None or len(got.message) <= 2000
    assert time.perf_counter() - start < 1.0


# --- messages in lists and maps, wrapper bodies, tagged unions, Python reprs -----------------------


@pytest.mark.parametrize(("blob", "expected"), [
    ('{"errorMessages": ["Rate limit exceeded."], "errors": {}}', {"message": "Rate limit exceeded."}),
    ('{"status": 400, "body": {"errorMessages": [], "errors": {"customfield_10020": "Field cannot be set."}}}',
     {"status_code": 400, "message": "Field cannot be set."}),
    ('{"http_status": 401, "response": [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]}',
     {"status_code": 401, "error_code": "INVALID_SESSION_ID", "message": "Session expired or invalid"}),
    ('{"errors": "[API] This action requires merchant approval for write_orders scope."}',
     {"message": "[API] This action requires merchant approval for write_orders scope."}),
    ('{"error_summary": "path/not_found/..", "error": {".tag": "path", "path": {".tag": "not_found"}}}',
     {"error_code": "not_found", "message": "path/not_found/.."}),
    # a "message" key still wins over a list of messages
    ('{"error": {"code": "X", "message": "the message"}, "errors": ["another"]}',
     {"error_code": "X", "message": "the message"}),
])
def test_messages_from_lists_maps_and_wrapper_bodies(parse, blob: str, expected: dict) -> None:
    parsed = parse(blob)
    assert {name: getattr(parsed, name) for name in expected} == expected


def test_a_python_dict_repr_ending_a_traceback_message_is_read(parse) -> None:
    parsed = parse(
        "Traceback (most recent call last):\n  File \"/opt/tools/chat.py\", line 9, in ask\n    client.create()\n"
        "openai.BadRequestError: Error code: 400 - {'error': {'message': \"This model's maximum context length "
        "is 8192 tokens.\", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}"
    )
    assert parsed.form == "traceback" and parsed.error_type == "openai.BadRequestError"
    assert parsed.status_code == 400 and parsed.error_code == "context_length_exceeded"
    assert parsed.message == "This model's maximum context length is 8192 tokens."
    slack = parse("SlackApiError: The request to the API failed. The server responded with: "
                  "{'ok': False, 'error': 'not_in_channel'}")
    assert slack.error_code == "not_in_channel"


def test_python_reprs_are_read_as_literals_only_and_bounded(parse) -> None:
    for hostile in ("failed: {'a': __import__('os').system('true')}", "failed: {" + "{" * 5000 + "}",
                    "failed: {'x': '" + "y" * 50_000 + "'}"):
        assert parse(hostile).form == "text"  # nothing evaluated, nothing raised


def test_a_cpp_scope_is_no_leading_error_name(parse) -> None:
    parsed = parse("AppleCamIn::wakeEventHandlerThread")
    assert parsed.error_code is None and parsed.message == "AppleCamIn::wakeEventHandlerThread"


def test_a_dotnet_chain_whose_inner_messages_are_framework_defaults_keeps_the_outer_message(parse) -> None:
    parsed = parse(
        "System.Threading.Tasks.TaskCanceledException: The request was canceled due to the configured "
        "HttpClient.Timeout of 100 seconds elapsing.\n"
        " ---> System.TimeoutException: The operation was canceled.\n"
        " ---> System.Threading.Tasks.TaskCanceledException: The operation was canceled.\n"
        "   --- End of inner exception stack trace ---\n"
        "   at System.Net.Http.HttpClient.HandleFailure(Exception e, Boolean telemetryStarted)\n"
        "   at Contoso.Crm.Client.GetAsync(String path) in D:\\src\\Client.cs:line 88"
    )
    assert parsed.form == "stacktrace" and parsed.error_type == "System.Threading.Tasks.TaskCanceledException"
    assert parsed.message.startswith("The request was canceled due to the configured HttpClient.Timeout")


def test_a_node_printed_object_in_a_stack_trace_message_is_read(parse) -> None:
    parsed = parse(
        "HttpException: Request failed with status code 400\n"
        "  data: { errorMessages: [], errors: { environment: \"Field 'environment' cannot be set.\" } }\n"
        "    at settle (/app/node_modules/axios/lib/core/settle.js:19:12)\n"
        "    at IncomingMessage.handleStreamEnd (/app/node_modules/axios/lib/adapters/http.js:585:11)"
    )
    assert parsed.form == "stacktrace" and parsed.status_code == 400
    assert parsed.message == "Field 'environment' cannot be set."
    assert parse("lookup failed: { code: 'ENOTFOUND', hostname: 'db.internal' }").error_code == "ENOTFOUND"


def test_hostile_object_literals_finish_fast(parse) -> None:
    for hostile in ("x: {" + "'\\\\" * 1990 + "}", "x: {" + "a:" * 1999 + "}", "x: { '" + "a" * 3990 + "}"):
        started = time.perf_counter()
        assert parse(hostile).form == "text"
        assert time.perf_counter() - started < 1.0


def test_hostile_log_wrappers_finish_fast(parse) -> None:
    # a whole-line logfmt regex backtracked exponentially on the first two (8 s at 25 pairs)
    hostile = ("k=" + "a=" * 5000 + '"', "a" + "=a" * 5000 + ' "', 'msg="' + "x\\" * 5000,
               "(400)\nReason: " + " " * 10_000 + "\nHTTP response body:" + " \n" * 5000 + "x",
               "Jun  3 14:55:01 " + "h" * 10_000 + " " + "p" * 5000 + "[1" * 1000)
    for text in hostile:
        started = time.perf_counter()
        assert parse(text).form == "text"
        assert time.perf_counter() - started < 1.0


def test_aws_json_type_names_its_exception(parse) -> None:
    parsed = parse('{"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", '
                   '"message": "The level of configured provisioned throughput for the table was exceeded."}')
    assert parsed.error_type == "ProvisionedThroughputExceededException"


def test_urllib3_names_the_root_cause_inside_its_carrier(parse) -> None:
    text = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries "
            'exceeded with url: /v1/x (Caused by NameResolutionError("<urllib3.connection.HTTPSConnection object at '
            "0x7f1>: Failed to resolve 'api.example.com' ([Errno -2] Name or service not known)\"))")
    assert parse(text).error_type == "NameResolutionError"
    traceback = 'Traceback (most recent call last):\n  File "/opt/a.py", line 3, in f\n    get(u)\n' + text
    assert parse(traceback).error_type == "NameResolutionError"


@pytest.mark.parametrize("value", [
    json.dumps({"data": [[{"rows": [{"x": i} for i in range(300)]}] * 300]}),  # wide data lists
    json.dumps({"results": [{"results": [{"results": []}] * 100}] * 100}),
    json.dumps({"headers": {"WWW-Authenticate": 'error="' + "\\\\" * 100_000}}),  # unclosed challenge
    json.dumps({"headers": {f"X-Limit-{i}": "0" for i in range(10_000)}}),
])
def test_hostile_data_lists_and_headers_finish_fast(parse, value):
    start = time.perf_counter()
    got = parse(value)
    assert got.form == "json"
    assert time.perf_counter() - start < 1.0
