"""The failures' side of the sample telemetry: the month and its releases, the true root causes (each with
its share, plugins, endpoints, timing and every surface form it shows up in) and the raw material of those
forms (status reasons, gateway HTML pages, Python traceback frames).

Data only; placeholders are filled per event by `lens_core.samples.placeholders`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Month of telemetry: day 0 is 2024-05-01 (UTC). Releases roll out on these days; two causes are
# regressions that begin with one of them.
PERIOD_DAYS = 30
RELEASES = ((0, "2024.04.3"), (8, "2024.05.1"), (20, "2024.05.2"))


@dataclass(frozen=True)
class RootCause:
    """One true cause of failures and every way it shows up.

    forms: surface form -> weight; "graph" (Graph error body), "flat" (flat JSON), "traceback", "html", "text".
    endpoints: plugin -> "METHOD /path" the failing call hit. intents: intent -> weight.
    fallback: the skill call when the intent's own plugin is not one of this cause's plugins.
    overrides: placeholder -> placeholder in skill parameters, so the call carries the bad value itself.
    timing: ("uniform",), ("after", first_day) or ("burst", share_in_bursts, ((day, hour_from, hour_to), ...)).
    """

    id: str
    plugins: tuple[str, ...]
    share: float
    description: str
    status: int | None
    codes: tuple[str, ...]
    messages: tuple[str, ...]
    forms: dict[str, int]
    endpoints: dict[str, tuple[str, ...]]
    intents: dict[str, int]
    fallback: tuple[str, str, tuple[tuple[str, str], ...]]
    texts: tuple[str, ...] = ()
    error_type: str = "HTTPError"
    overrides: dict[str, str] = field(default_factory=dict)
    extra_params: tuple[tuple[str, str], ...] = ()  # added to the intent's own call, e.g. the oversized file
    tenants: tuple[tuple[str, int], ...] = ()
    timing: tuple = ("uniform",)
    hints: tuple[str, ...] = ()


ROOT_CAUSES: tuple[RootCause, ...] = (
    RootCause("calendar_token_expired", ("Calendar",), 0.18,
        "The Calendar plugin's cached delegated access token expired and was not refreshed before calling "
        "Microsoft Graph, so calls returned 401 InvalidAuthenticationToken until the user signed in again.",
        401, ("InvalidAuthenticationToken",),
        ("Access token has expired or is not yet valid.", "Lifetime validation failed, the token is expired.",
         "IDX10223: Lifetime validation failed. The token is expired. ValidTo: '{ts_prev}', Current time: '{ts}'."),
        {"graph": 4, "traceback": 2, "flat": 1, "text": 2},
        {"Calendar": ("POST /me/events", "GET /me/calendarView", "POST /me/calendar/getSchedule",
                      "GET /me/events/{id}")},
        {"schedule_meeting": 5, "check_calendar": 3, "find_person": 1},
        ("Calendar", "get_schedule", (("schedules", "recipients"),)),
        texts=("HTTP 401 Unauthorized: access token expired for {email}",
               "[Calendar] 401 InvalidAuthenticationToken (request-id {guid})",
               "Calendar call failed: token expired {mins_ago} minutes ago; user must re-authenticate"),
        hints=("It looks like your sign-in has expired. Please sign in again and retry.",)),
    RootCause("graph_throttling", ("Mail", "Calendar"), 0.15,
        "Microsoft Graph throttled the Copilot app (429 TooManyRequests / ApplicationThrottled) during bulk-sync "
        "bursts in a few large tenants, and the Mail and Calendar plugins do not honour Retry-After.",
        429, ("TooManyRequests", "ApplicationThrottled"),
        ("Rate limit exceeded. Retry after {n} seconds.", "Too many requests. Please retry after {n} seconds.",
         "Application is over its MailboxConcurrency limit. Retry after {n} seconds."),
        {"graph": 3, "flat": 3, "text": 2},
        {"Mail": ("POST /me/sendMail", "POST /me/messages/{id}/reply", "GET /me/messages"),
         "Calendar": ("POST /me/events", "GET /me/calendarView")},
        {"send_email": 3, "reply_email": 2, "schedule_meeting": 2, "check_calendar": 2},
        ("Mail", "send_mail", (("to", "recipients"),)),
        texts=("HTTP 429 Too Many Requests: retry after {n}s",
               "[{plugin}] throttled by Microsoft Graph (ApplicationThrottled); Retry-After: {n}",
               "429 TooManyRequests from graph.microsoft.com, request-id {guid}, retry in {n} seconds"),
        tenants=(("contoso", 5), ("woodgrove", 3), ("adatum", 1)),
        timing=("burst", 0.7, ((7, 9, 12), (14, 13, 17), (21, 8, 11), (27, 14, 16))),
        hints=("The service is busy right now; please try again in a few minutes.",)),
    RootCause("teams_chat_consent_missing", ("Teams",), 0.12,
        "Admins of three tenants never granted consent for the Chat.ReadWrite permission, so Teams chat and "
        "channel posts are denied with 403 Authorization_RequestDenied.",
        403, ("Authorization_RequestDenied", "Forbidden"),
        ("Insufficient privileges to complete the operation.",
         "Missing scope permissions on the request. API requires one of 'Chat.ReadWrite, ChatMessage.Send'. "
         "Scopes on the request 'User.Read, Calendars.ReadWrite, Mail.Send'",
         "Caller does not have consent for Chat.ReadWrite in tenant {tenant_guid}."),
        {"graph": 4, "flat": 2, "text": 2},
        {"Teams": ("POST /chats/{chat}/messages", "POST /teams/{team}/channels/{chan}/messages", "POST /chats")},
        {"post_teams_message": 4, "search_content": 2},
        ("Teams", "search_messages", (("query", "topic"),)),
        texts=("HTTP 403 Forbidden: app lacks Chat.ReadWrite consent (tenant {tenant_guid})",
               "[Teams] 403 Authorization_RequestDenied - Insufficient privileges. client-request-id: {guid}"),
        tenants=(("fabrikam", 5), ("northwind", 3), ("tailspin", 2)),
        hints=("I don't have permission to use Teams chat in your organization. An admin may need to approve it.",)),
    RootCause("sharepoint_site_not_found", ("SharePoint",), 0.09,
        "The assistant built SharePoint site paths from words in the prompt ('marketing-team') instead of "
        "resolving the real site, so Graph answered 404 itemNotFound.",
        404, ("itemNotFound",),
        ("Requested site could not be found", "The requested list '{list}' was not found on site '{bad_site}'.",
         "Item not found: sites/{bad_site}"),
        {"graph": 3, "flat": 2, "text": 2},
        {"SharePoint": ("GET /sites/{host}:/sites/{bad_site}", "GET /sites/{site_id}/lists/{list_slug}/items")},
        {"open_site": 4, "find_file": 2, "summarize_document": 2, "edit_file": 1, "search_content": 1},
        ("SharePoint", "get_site", (("site", "bad_site"),)),
        texts=("HTTP 404 Not Found: site 'sites/{bad_site}' does not exist",
               "[SharePoint] itemNotFound for https://{host}/sites/{bad_site} (request-id {guid})"),
        overrides={"site_slug": "bad_site"}),
    RootCause("people_user_not_found", ("People",), 0.08,
        "The assistant guessed a colleague's address from a first name (dana@contoso.com) instead of resolving "
        "it through People search; Graph answered 404 Request_ResourceNotFound.",
        404, ("Request_ResourceNotFound",),
        ("Resource '{guess}' does not exist or one of its queried reference-property objects are not present.",
         "User '{guess}' was not found in the directory."),
        {"graph": 4, "flat": 2, "text": 1},
        {"People": ("GET /users/{guess}", "GET /users/{guess}/manager", "GET /users/{guess}/presence")},
        {"find_person": 4, "schedule_meeting": 2, "send_email": 2, "post_teams_message": 2},
        ("People", "get_user", (("user", "guess"),)),
        texts=("HTTP 404 Not Found: no user matches '{guess}'",
               "[People] user lookup failed for {guess}: Request_ResourceNotFound"),
        overrides={"recipients": "guess_recipients", "fullname": "guess", "email": "guess"}),
    RootCause("onedrive_gateway_timeout", ("OneDrive",), 0.07,
        "Large folder listings and downloads through the OneDrive plugin's proxy exceed its 30-second upstream "
        "timeout, so the gateway answers 504 (an nginx page) or the client times out first.",
        504, ("gatewayTimeout",),
        ("upstream request timeout after {elapsed} ms", "Gateway Timeout: upstream did not respond within {timeout}s"),
        {"html": 3, "text": 2, "flat": 2, "traceback": 1},
        {"OneDrive": ("GET /me/drive/root/children", "GET /me/drive/items/{item}/content",
                      "GET /me/drive/root/search(q='{file}')", "POST /me/drive/items/{item}/createLink")},
        {"find_file": 3, "share_file": 2, "summarize_document": 2, "edit_file": 1},
        ("OneDrive", "get_file_content", (("item", "file"),)),
        texts=("upstream request timeout after {elapsed} ms (OneDrive {endpoint})",
               "[OneDrive] 504 Gateway Timeout while fetching {file}",
               "HTTP 504 Gateway Time-out from onedrive-proxy-{pod}"),
        error_type="GatewayTimeout"),
    RootCause("planner_unavailable", ("Planner",), 0.06,
        "A Planner service outage on 13-14 May (plus scattered blips) returned 503 serviceNotAvailable from "
        "Graph and IIS 503 pages from the regional front end.",
        503, ("serviceNotAvailable", "ServiceUnavailable"),
        ("The service is temporarily unavailable. Please retry later.",
         "Planner is unavailable in region {region}. Retry after {n} seconds."),
        {"graph": 3, "html": 2, "text": 2, "traceback": 1},
        {"Planner": ("POST /planner/tasks", "GET /planner/plans/{plan_id}/tasks")},
        {"create_task": 4, "add_reminder": 1},
        ("Planner", "create_task", (("title", "task"),)),
        texts=("[Planner] 503 Service Unavailable (request-id {guid})",
               "HTTP 503 Service Unavailable from tasks.office.com after {elapsed} ms"),
        timing=("burst", 0.75, ((12, 9, 18), (13, 6, 11)))),
    RootCause("search_malformed_kql", ("Search",), 0.05,
        "The assistant builds KQL with unbalanced quotes or parentheses and unsupported property names, which "
        "the Microsoft Search API rejects with 400 BadRequest.",
        400, ("BadRequest",),
        ("Syntax error in query string at position {pos}: unexpected end of input.",
         "Query '{kql}' is malformed: unbalanced parenthesis or quote.", "The property '{prop}' is not queryable."),
        {"graph": 3, "flat": 2, "text": 1},
        {"Search": ("POST /search/query",)},
        {"search_content": 4, "find_file": 2, "open_site": 1},
        ("Search", "query", (("query", "kql"), ("entityTypes", "entities"))),
        texts=("HTTP 400 Bad Request: invalid KQL {kql}", "[Search] query rejected by Microsoft Search: {kql}"),
        overrides={"topic": "kql"}),
    RootCause("calendar_invalid_datetime", ("Calendar",), 0.05,
        "Since release 2024.05.1 (9 May) the assistant passes the user's words ('next Tuesday 3pm') as the "
        "event's dateTime instead of an ISO timestamp, and Graph rejects the request body with 400.",
        400, ("BadRequest", "ErrorInvalidRequest"),
        ("The value '{when}' is not a valid DateTime.",
         "Cannot convert the literal '{when}' to the expected type 'Edm.DateTimeOffset'.",
         "Invalid dateTime '{when}' in property 'start'."),
        {"graph": 3, "flat": 2, "text": 1, "traceback": 1},
        {"Calendar": ("POST /me/events", "GET /me/calendarView")},
        {"schedule_meeting": 5, "check_calendar": 1},
        ("Calendar", "create_event", (("start", "when"),)),
        texts=("HTTP 400 Bad Request: start.dateTime '{when}' could not be parsed",),
        overrides={"start": "when"}, timing=("after", 8)),
    RootCause("mail_attachment_too_large", ("Mail",), 0.04,
        "Files over the inline attachment limit are attached directly to sendMail instead of through an upload "
        "session, and Exchange rejects the message with 413.",
        413, ("ErrorMessageSizeExceeded", "RequestEntityTooLarge"),
        ("The message exceeds the maximum supported size of {limit} MB. Attachment '{file}' is {size} MB.",
         "Request entity too large: payload of {bytes} bytes exceeds the limit."),
        {"graph": 2, "flat": 2, "text": 2},
        {"Mail": ("POST /me/sendMail", "POST /me/messages/{id}/attachments")},
        {"send_email": 3, "share_file": 2},
        ("Mail", "send_mail", (("to", "recipients"), ("attachments", "files"))),
        texts=("HTTP 413 Request Entity Too Large: attachment {file} ({size} MB)",
               "[Mail] sendMail rejected, message size {size} MB > {limit} MB"),
        extra_params=(("attachments", "files"),)),
    RootCause("teams_plugin_keyerror", ("Teams",), 0.04,
        "A bug shipped in release 2024.05.2 (21 May): the Teams plugin reads payload['value'] from channel "
        "lookups whose paged response lacks it, raising KeyError: 'value' (reported as 500).",
        500, ("InternalServerError",),
        ("Unexpected error in Teams plugin: KeyError 'value'. Correlation id {guid}.",
         "An internal server error occurred while resolving channel '{channel}' (correlation id {guid})."),
        {"traceback": 4, "graph": 1, "flat": 2},
        {"Teams": ("GET /teams/{team}/channels", "GET /me/joinedTeams")},
        {"post_teams_message": 4, "search_content": 1},
        ("Teams", "list_channels", (("team", "group"),)),
        error_type="KeyError", timing=("after", 20)),
    RootCause("todo_connection_reset", ("ToDo",), 0.03,
        "The To Do plugin reuses pooled keep-alive connections that the service's load balancer already closed, "
        "so some calls die with 'Connection reset by peer' and no HTTP status.",
        None, (),
        ("[Errno 104] Connection reset by peer",
         "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"),
        {"traceback": 3, "text": 2, "flat": 1},
        {"ToDo": ("POST /me/todo/lists/{todo_list}/tasks", "GET /me/todo/lists")},
        {"add_reminder": 4, "create_task": 2},
        ("ToDo", "add_task", (("title", "task"),)),
        texts=("Connection reset by peer while calling To Do API ({elapsed} ms)",
               "[ToDo] ConnectionResetError: [Errno 104] Connection reset by peer (attempt {attempt}/3)"),
        error_type="ConnectionResetError", timing=("burst", 0.4, ((5, 0, 24), (19, 10, 20)))),
    RootCause("mail_invalid_recipient", ("Mail",), 0.025,
        "The assistant puts a display name or a truncated address ('Dana Whitfield', 'dana.whitfield@contoso') "
        "in the recipients instead of a resolved SMTP address; Exchange rejects it with 400 ErrorInvalidRecipients.",
        400, ("ErrorInvalidRecipients",),
        ("At least one recipient is not valid., Recipient '{bad}' is not resolved. All recipients must be "
         "resolved before a message can be submitted.", "Invalid recipient: '{bad}'"),
        {"graph": 3, "flat": 1, "text": 1},
        {"Mail": ("POST /me/sendMail", "POST /me/messages/{id}/send")},
        {"send_email": 3, "reply_email": 2},
        ("Mail", "send_mail", (("to", "bad_recipients"),)),
        texts=("HTTP 400 Bad Request: ErrorInvalidRecipients ({bad})",),
        overrides={"recipients": "bad_recipients"}),
    RootCause("onedrive_file_locked", ("OneDrive",), 0.015,
        "Edits to Office files a colleague has open in desktop Office fail with 423 resourceLocked; the plugin "
        "neither retries nor tells the user who holds the lock.",
        423, ("resourceLocked",),
        ("The resource you are attempting to access is locked", "The file '{file}' is locked for shared use by "
         "{lock_email}."),
        {"graph": 2, "flat": 1, "text": 1},
        {"OneDrive": ("PATCH /me/drive/items/{item}", "PUT /me/drive/items/{item}/content")},
        {"edit_file": 4, "share_file": 1},
        ("OneDrive", "update_file", (("item", "file"),)),
        texts=("HTTP 423 Locked: {file} is checked out by {lock_email}",)),
)

STATUS_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                  413: "Request Entity Too Large", 423: "Locked", 429: "Too Many Requests",
                  500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}

# Gateway pages as proxies really send them: no variable parts, so they group exactly by their text.
HTML_PAGES = {
    504: ("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway "
          "Time-out</h1></center>\r\n<hr><center>nginx/{nginx}</center>\r\n</body>\r\n</html>\r\n",),
    503: ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n<HTML><HEAD>'
          '<TITLE>Service Unavailable</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; '
          'charset=us-ascii"></HEAD>\r\n<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service '
          'is unavailable.</p>\r\n</BODY></HTML>\r\n',
          "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service "
          "Temporarily Unavailable</h1></center><hr><center>Microsoft-Azure-Application-Gateway/v2</center>"
          "</body></html>"),
}

# Traceback frames below the plugin's own frame, and the final line; {pdir} is the plugin's folder.
_FRAME = '  File "{file}", line {line}, in {func}\n    {code}\n'
_SITE = "/usr/local/lib/python3.11/site-packages"
HTTP_TRACEBACK = (
    (("resp.raise_for_status()",),
     _FRAME.format(file=_SITE + "/requests/models.py", line=1021, func="raise_for_status",
                   code="raise HTTPError(http_error_msg, response=self)"),
     "requests.exceptions.HTTPError: {status} {side} Error: {reason} for url: {url}"),
)
TRACEBACKS = {
    "teams_plugin_keyerror": (
        (("channel = self._resolve_channel(team_id, name)",),
         _FRAME.format(file="/srv/copilot/plugins/teams/client.py", line="{l2}", func="_resolve_channel",
                       code='for ch in payload["value"]:'), "KeyError: 'value'"),
        (("channels = self._list_channels(team_id)",),
         _FRAME.format(file="/srv/copilot/plugins/teams/client.py", line="{l2}", func="_list_channels",
                       code='return [c["displayName"] for c in payload["value"]]'), "KeyError: 'value'"),
    ),
    "todo_connection_reset": (
        (("resp = self.session.request(method, url, json=body, timeout=30)",),
         _FRAME.format(file=_SITE + "/requests/adapters.py", line=501, func="send",
                       code="raise ConnectionError(err, request=request)"),
         "requests.exceptions.ConnectionError: ('Connection aborted.', "
         "ConnectionResetError(104, 'Connection reset by peer'))"),
        (("data = self._sock.recv_into(buffer)",),
         _FRAME.format(file="/usr/local/lib/python3.11/ssl.py", line=1134, func="read",
                       code="return self._sslobj.read(len, buffer)"),
         "ConnectionResetError: [Errno 104] Connection reset by peer"),
    ),
    "onedrive_gateway_timeout": (
        (("resp = self.session.get(url, timeout={timeout})",),
         _FRAME.format(file=_SITE + "/requests/adapters.py", line=532, func="send",
                       code="raise ReadTimeout(e, request=request)"),
         "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='graph.microsoft.com', port=443): "
         "Read timed out. (read timeout={timeout})"),
    ),
}
