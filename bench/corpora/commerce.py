#!/usr/bin/env python3
"""Labelled benchmark corpus: failed business/CRM/commerce plugin calls.

Plugins: salesforce, stripe, servicenow, zendesk, hubspot, shopify, sap.
Each event is one failed plugin call; truth labels the ROOT CAUSE only.  A cause
shows up in 2-4 surface forms (raw JSON bodies, wrapped bodies, SOAP faults,
.NET / Java / Python stack traces, one-line log messages) and often on several
plugins, each with its own vocabulary.  Ids, hosts, request ids, amounts, line
numbers and timestamps vary per event.

Causes (share, plugins: forms)
  rate_limited              19%   salesforce REQUEST_LIMIT_EXCEEDED (403 json) | hubspot RATE_LIMIT(S) json
                                  | shopify REST "Exceeded 2 calls" / GraphQL THROTTLED | stripe rate_limit_error log line
  expired_oauth_session     13%   salesforce INVALID_SESSION_ID json | salesforce SOAP fault
                                  | servicenow "User Not Authenticated" | zendesk .NET 401 stack
  record_not_found          11%   stripe resource_missing | zendesk RecordNotFound | salesforce ENTITY_IS_DELETED /
                                  NOT_FOUND on a current-version URL | sap V1/302 document not in database
  upstream_timeout           8%   .NET TaskCanceledException (HttpClient.Timeout) | java SocketTimeoutException
                                  | 504 HTML gateway page | servicenow "maximum execution time exceeded"
  org_validation_rule        8%   salesforce FIELD_CUSTOM_VALIDATION_EXCEPTION (400) | servicenow Data Policy
                                  Exception (403) | zendesk RecordInvalid RequiredFieldMissing (422)
  card_declined              7%   stripe card_error json (402) | stripe log line | .NET StripeException
  malformed_query            6%   salesforce MALFORMED_QUERY / INVALID_FIELD (400) | java wrapper "Caused by"
                                  | sap OData invalid $filter
  missing_oauth_scope        5%   hubspot MISSING_SCOPES (403) | shopify REST merchant approval (403)
                                  | shopify GraphQL ACCESS_DENIED
  row_lock_contention        4%   salesforce UNABLE_TO_LOCK_ROW json | Apex DmlException log | sap V1/042 (409)
  payment_requires_authentication 3.5%  stripe authentication_required (402) | plugin SCA requires_action json | log line
  plugin_null_handling_bug   3.5%  .NET NullReferenceException (shopify) | python KeyError/TypeError (hubspot)
                                  | java NullPointerException (sap)
  api_access_disabled        3%   salesforce API_DISABLED_FOR_ORG / API_CURRENTLY_DISABLED (403) | SOAP fault
                                  | java WSC ApiFault
  network_unreachable        2.5% java ConnectException/UnknownHostException | .NET "No such host is known"
                                  | node ECONNREFUSED (sap, servicenow)
  idempotency_key_reuse      2.5% stripe idempotency_error json (400/409) | log line
  wrong_api_version          2.5% salesforce 404 NOT_FOUND on retired /vNN.0 URL | shopify 404 on old /admin/api/
                                  | sap /IWFND/MED/170 no service version | hubspot 404 on sunset v1 endpoint
  tls_cert_untrusted         1.5% sap on-prem gateway: java PKIX | .NET UntrustedRoot | python SSLCertVerificationError

Confusable pairs (same status / vocabulary, different fix):
  card_declined (402 card_error) vs payment_requires_authentication (402 card_error, "requires authentication")
  org_validation_rule (400 FIELD_CUSTOM_VALIDATION_EXCEPTION) vs malformed_query (400 MALFORMED_QUERY)
  missing_oauth_scope (403) vs api_access_disabled (403) vs rate_limited on salesforce (403 REQUEST_LIMIT_EXCEEDED)
  row_lock_contention (409 lock) vs idempotency_key_reuse (409 idempotency_error)
  record_not_found (404 NOT_FOUND / OBJECT_NOT_FOUND) vs wrong_api_version (404 on a retired endpoint)

Usage: python3 bench/corpora/commerce.py --out DIR [--events N] [--seed S]
"""
import argparse
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
FIRST = ["Maria", "James", "Aisha", "Chen", "Lukas", "Priya", "Diego", "Sofia", "Tom", "Yuki", "Omar", "Elena",
         "Noah", "Fatima", "Liam", "Grace", "Ravi", "Hannah", "Mateo", "Ingrid"]
LAST = ["Garcia", "Smith", "Khan", "Wang", "Becker", "Patel", "Lopez", "Rossi", "Nguyen", "Tanaka", "Haddad",
        "Ivanova", "Brown", "Okafor", "Murphy", "Larsen", "Kowalski", "Dubois", "Silva", "Fischer"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Foods", "Hooli",
             "Northwind Traders", "Contoso Retail", "Fabrikam", "Tailspin Toys", "Wide World Importers",
             "Blue Yonder Airlines", "Litware", "Proseware", "Adventure Works"]
PRODUCTS = ["trail running shoes", "espresso grinder", "standing desk", "wireless earbuds", "yoga mat",
            "4K monitor", "cast iron skillet", "merino hoodie", "LED desk lamp", "carry-on suitcase"]
ISSUES = ["the VPN drops every 10 minutes", "the invoice portal shows a blank page", "printers on floor 3 are offline",
          "the customer can't reset their password", "checkout is charging tax twice", "SSO login loops back",
          "the mobile app crashes on launch", "order confirmation emails are not sent"]
TENANTS = ["acme", "globex", "initech", "umbrella", "starklog", "waynefoods", "hooli", "northwind", "contoso",
           "fabrikam", "tailspin", "wwi"]
DISPLAY = {"salesforce": "Salesforce", "stripe": "Stripe", "servicenow": "ServiceNow", "zendesk": "Zendesk",
           "hubspot": "HubSpot", "shopify": "Shopify", "sap": "SAP"}
REASON = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
          409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests", 504: "Gateway Timeout"}
SAP_USERS = ["JSMITH", "MMUELLER", "BATCH_SD01", "KTANAKA", "WF-BATCH", "PSCHULZ"]

def hx(r, n): return "".join(r.choice("0123456789abcdef") for _ in range(n))
def an(r, n, al=ALNUM): return "".join(r.choice(al) for _ in range(n))
def guid(r): return f"{hx(r, 8)}-{hx(r, 4)}-{hx(r, 4)}-{hx(r, 4)}-{hx(r, 12)}"
def sfid(r, pfx): return pfx + r.choice(["5g0", "5e0", "8d0", "3x0", "Hn0"]) + "0000" + an(r, 5) + an(r, 3, UPNUM)
def sid(r, pfx): return f"{pfx}_{an(r, r.choice([14, 24]))}"
def reqid(r): return "req_" + an(r, 14)
def J(o): return json.dumps(o, separators=(",", ":"))
def camel(op): return "".join(w.capitalize() for w in op.split("_"))

def wrap(r, status, body):
    """Plugins sometimes hand back the raw body, sometimes an envelope."""
    k = r.random()
    if k < 0.5:
        return body
    if k < 0.7:
        return J({"statusCode": status, "body": body})
    if k < 0.9:
        try:
            resp = json.loads(body)
        except ValueError:
            resp = body
        return J({"http_status": status, "response": resp})
    return f"HTTP {status} {REASON[status]}: {body}"

# ----------------------------------------------------------------------------- operations
def _ctx_common(r, c):
    c["person"] = f"{r.choice(FIRST)} {r.choice(LAST)}"
    c["email"] = c["person"].lower().replace(" ", ".") + "@" + r.choice(["gmail.com", "outlook.com", "example.org"])
    c["company"] = r.choice(COMPANIES)
    c["amount"] = r.choice([49, 99, 120, 250, 480, 1200, 2500, 7800, 15000, 42000])
    c["qty"] = r.randint(2, 400)
    c["product"] = r.choice(PRODUCTS)
    c["issue"] = r.choice(ISSUES)
    c["inc"] = f"INC{r.randint(10000, 999999):07d}"
    c["tk"] = r.randint(10000, 999999)
    c["order"] = r.randint(1001, 98000)
    c["tracking"] = "1Z" + an(r, 16, UPNUM)
    c["so"] = f"{r.randint(1000, 99999):010d}"
    c["mat"] = f"TG{r.randint(10, 99)}-{r.randint(100, 999)}"
    c["date"] = r.choice(["next Friday", "June 3rd", "the end of the month", "Monday"])

def _sf_query(r, c):
    return {"soql": r.choice([
        f"SELECT Id, Name, StageName, Amount, CloseDate FROM Opportunity WHERE Account.Name = '{c['company']}' AND IsClosed = false",
        f"SELECT Id, Name, Email, Title FROM Contact WHERE Account.Name = '{c['company']}' LIMIT 50",
        f"SELECT Id, Name, Amount FROM Opportunity WHERE CloseDate = THIS_QUARTER AND Account.Name = '{c['company']}'"])}

OPS = {
    "salesforce": [
        ("query", _sf_query, ["Show me the open opportunities for {company}.", "What deals with {company} are still open?",
                              "list all opps for {company} closing this quarter", "Who are our contacts at {company}?"]),
        ("update_record", lambda r, c: {"sobject": "Opportunity", "id": c["rid"], "fields": {"StageName": "Closed Won", "Amount": c["amount"]}},
         ["Mark the {company} opportunity as Closed Won at ${amount}.", "Update the {company} deal to {amount} dollars and close it.",
          "set {company} opp stage to closed won pls"]),
        ("create_record", lambda r, c: {"sobject": "Lead", "fields": {"FirstName": c["person"].split()[0], "LastName": c["person"].split()[1],
                                                                       "Company": c["company"], "Email": c["email"]}},
         ["Add {person} from {company} as a new lead, email {email}.", "Create a lead for {person} ({email}) at {company}.",
          "new lead: {person}, {company}"]),
        ("get_record", lambda r, c: {"sobject": "Account", "id": c["rid"], "fields": ["Name", "OwnerId", "Industry"]},
         ["Who owns the {company} account?", "Give me the account summary for {company}.",
          "what industry is {company} listed under in salesforce?"]),
    ],
    "stripe": [
        ("create_payment_intent", lambda r, c: {"amount": c["amount"] * 100, "currency": "usd", "customer": c["cus"],
                                                 "payment_method": sid(r, "pm"), "confirm": True},
         ["Charge {person} ${amount} for the renewal.", "Bill {company} ${amount} on the card on file.",
          "Take a payment of ${amount} from {email}."]),
        ("create_refund", lambda r, c: {"charge": c["ch"], "amount": c["amount"] * 100},
         ["Refund ${amount} to {person}.", "Issue a refund for {company}'s last charge.",
          "please refund {email} ${amount}, they were double charged"]),
        ("retrieve_customer", lambda r, c: {"customer": c["cus"]},
         ["Look up the Stripe customer for {email}.", "What's the billing status of {company}?", "Is {person}'s card still on file?"]),
        ("create_invoice", lambda r, c: {"customer": c["cus"], "collection_method": "send_invoice", "days_until_due": 30},
         ["Send {company} an invoice for ${amount}.", "Invoice {person} for this month's usage."]),
    ],
    "servicenow": [
        ("create_incident", lambda r, c: {"short_description": c["issue"], "urgency": r.choice(["1", "2", "3"]), "caller_id": c["email"]},
         ["Open an incident: {issue}.", "Log a ticket in ServiceNow that {issue}.", "raise a P2 because {issue}"]),
        ("update_incident", lambda r, c: {"number": c["inc"], "state": "6", "close_notes": "Resolved via assistant"},
         ["Resolve {inc} with a note that it's fixed.", "Close incident {inc}.", "Add a work note to {inc} saying we're on it."]),
        ("get_incident", lambda r, c: {"number": c["inc"], "sysparm_display_value": "true"},
         ["What's the status of {inc}?", "Who is assigned to {inc}?"]),
    ],
    "zendesk": [
        ("create_ticket", lambda r, c: {"ticket": {"subject": c["issue"], "requester": {"email": c["email"]}, "priority": "high"}},
         ["Create a Zendesk ticket for {person}: {issue}.", "Open a support ticket on behalf of {email} about {issue}."]),
        ("update_ticket", lambda r, c: {"id": c["tk"], "ticket": {"status": r.choice(["solved", "pending"]), "comment": {"body": "Update from support"}}},
         ["Mark ticket #{tk} as solved.", "Reply to ticket {tk} and tell the customer we shipped a fix.", "set zendesk #{tk} to pending"]),
        ("get_ticket", lambda r, c: {"id": c["tk"]}, ["Summarize ticket #{tk} for me.", "What did the customer say in ticket {tk}?"]),
        ("search_tickets", lambda r, c: {"query": f"type:ticket requester:{c['email']} status<solved"},
         ["Find all open tickets from {email}.", "Are there unresolved tickets from {company}?"]),
    ],
    "hubspot": [
        ("get_contact", lambda r, c: {"contactId": c["hsid"], "properties": ["email", "lifecyclestage"]},
         ["Pull up {person}'s HubSpot record.", "When did {email} last engage with us?"]),
        ("update_contact", lambda r, c: {"contactId": c["hsid"], "properties": {"lifecyclestage": "opportunity"}},
         ["Move {person} to the opportunity lifecycle stage.", "Update {email}'s phone number in HubSpot."]),
        ("create_deal", lambda r, c: {"properties": {"dealname": f"{c['company']} - Expansion", "amount": str(c["amount"]),
                                                      "pipeline": "default", "dealstage": "appointmentscheduled"}},
         ["Create a deal for {company} worth ${amount}.", "Add a new {company} expansion deal to the pipeline."]),
        ("search_contacts", lambda r, c: {"filterGroups": [{"filters": [{"propertyName": "company", "operator": "EQ", "value": c["company"]}]}]},
         ["Find every HubSpot contact at {company}.", "who do we know at {company}?"]),
    ],
    "shopify": [
        ("get_order", lambda r, c: {"order_id": c["order"]},
         ["Where is order #{order}?", "Has order {order} shipped yet?", "check status of shopify order {order}"]),
        ("update_inventory", lambda r, c: {"inventory_item_id": r.randint(10**10, 10**11), "location_id": r.randint(10**9, 10**10),
                                            "available_adjustment": c["qty"]},
         ["Add {qty} units of {product} to inventory.", "We received {qty} more {product}, update stock."]),
        ("create_fulfillment", lambda r, c: {"order_id": c["order"], "tracking_number": c["tracking"], "notify_customer": True},
         ["Mark order #{order} as fulfilled with tracking {tracking}.", "Fulfill {order} and email the customer."]),
        ("list_orders", lambda r, c: {"status": "open", "fulfillment_status": "unfulfilled", "limit": 50},
         ["List today's unfulfilled orders.", "How many open orders do we have this week?"]),
    ],
    "sap": [
        ("get_sales_order", lambda r, c: {"SalesOrder": c["so"], "$expand": "to_Item"},
         ["What's the delivery status of sales order {so}?", "Look up SAP order {so}."]),
        ("create_sales_order", lambda r, c: {"SalesOrderType": "OR", "SoldToParty": f"{r.randint(1000000, 1999999)}",
                                              "to_Item": [{"Material": c["mat"], "RequestedQuantity": str(c["qty"])}]},
         ["Create a sales order for {qty} x {product} for {company}.", "Book an order in SAP: {company}, {qty} units of {product}."]),
        ("update_sales_order", lambda r, c: {"SalesOrder": c["so"], "RequestedDeliveryDate": "2024-06-03"},
         ["Push the delivery date of order {so} to {date}.", "Change the quantity on SAP order {so} to {qty}."]),
        ("check_stock", lambda r, c: {"Material": c["mat"], "Plant": r.choice(["1010", "1710", "2000"])},
         ["How much {product} do we have in plant 1010?", "Check SAP stock for material {mat}."]),
    ],
}

def skill_input(r, plugin, op, args):
    k = r.randrange(4)
    if k == 0:
        return json.dumps({"plugin": plugin, "operation": op, "args": args})
    if k == 1:
        return f"{plugin}.{op}(" + ", ".join(f"{a}={json.dumps(v)}" for a, v in args.items()) + ")"
    if k == 2:
        return J({"tool": f"{plugin}_{op}", "parameters": args})
    return f"invoke {DISPLAY[plugin]}/{camel(op)} {json.dumps(args)}"

AI_OUT = ["I'm sorry, I wasn't able to complete that request right now. Please try again in a few minutes.",
          "Something went wrong while I was talking to {D}. Please try again later.",
          "I ran into an error and couldn't finish this. You may want to retry or contact your administrator.",
          "Sorry, that didn't work. {D} returned an error.",
          "I couldn't complete that request because of an unexpected error."]

# ----------------------------------------------------------------------------- stack helpers
def dotnet(r, c, head, ns, extra=""):
    cls = DISPLAY[c["plugin"]] + "Client"
    return (f"{head}\n{extra}"
            f"   at Contoso.Plugins.{ns}.{cls}.{camel(c['op'])}Async(CancellationToken ct) in D:\\a\\1\\s\\src\\{cls}.cs:line {r.choice([88, 131, 212, 247, 305])}\n"
            f"   at Contoso.Plugins.Runtime.SkillInvoker.InvokeAsync(SkillRequest request, CancellationToken ct) in "
            f"D:\\a\\1\\s\\src\\Runtime\\SkillInvoker.cs:line {r.choice([54, 61, 77])}")

def dotnet_http(r, c, status, ns):
    return dotnet(r, c, f"System.Net.Http.HttpRequestException: Response status code does not indicate success: {status} ({REASON[status]}).",
                  ns, "   at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()\n")

def jframes(r, pkg, cls, meth):
    return (f"\tat com.contoso.{pkg}.{cls}.{meth}({cls}.java:{r.randint(60, 420)})\n"
            f"\tat com.contoso.plugins.runtime.SkillDispatcher.dispatch(SkillDispatcher.java:{r.choice([97, 103, 118])})\n"
            f"\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)")

def sf_soap(code, msg):
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {msg}</faultstring><detail>"
            f'<sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
            f"<sf:exceptionMessage>{msg}</sf:exceptionMessage></sf:UnexpectedErrorFault></detail></soapenv:Fault>"
            "</soapenv:Body></soapenv:Envelope>")

def sap_err(r, c, code, value):
    t = c["ts"].replace("-", "").replace(":", "").replace("T", "")[:14]
    return J({"error": {"code": code, "message": {"lang": "en", "value": value},
                        "innererror": {"application": {"component_id": "SD-SLS", "service_namespace": "/SAP/",
                                                       "service_id": "API_SALES_ORDER_SRV", "service_version": "0001"},
                                       "transactionid": hx(r, 32).upper(), "timestamp": f"{t}.{r.randint(1000000, 9999999)}",
                                       "Error_Resolution": {"SAP_Transaction": "For backend administrators: use ADT feed reader \"SAP Gateway Error Log\" or run transaction /IWFND/ERROR_LOG on SAP Gateway hub system and search for entries with the timestamp above for more details",
                                                            "SAP_Note": "See SAP Note 1797736 for error analysis (https://service.sap.com/sap/support/notes/1797736)"}}}})

def stripe_err(r, c, **kw):
    kw["request_log_url"] = f"https://dashboard.stripe.com/logs/{reqid(r)}?t={c['epoch']}"
    return J({"error": kw})

def sf_url(c, ver, path):
    return f"https://{c['tenant']}.my.salesforce.com/services/data/v{ver}/{path}"

# ----------------------------------------------------------------------------- forms per cause
# each form: (plugin, allowed ops or None, fn(r, c) -> skill_output)
def f_sf_limit(r, c):
    return wrap(r, 403, J([{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": r.choice(
        ["TotalRequests Limit exceeded.", "ConcurrentPerOrgLongTxn Limit exceeded.",
         f"TotalRequests Limit exceeded. Limit: {r.choice([100000, 250000, 1000000])}, Used: {r.randint(100001, 1100000)}"])}]))
def f_hs_limit(r, c):
    if r.random() < 0.5:
        b = {"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT",
             "correlationId": guid(r), "policyName": "SECONDLY", "groupName": "publicapi"}
    else:
        b = {"status": "error", "message": f"You have reached your daily limit of {r.choice([250000, 500000, 1000000])} requests.",
             "correlationId": guid(r), "category": "RATE_LIMITS", "policyName": "DAILY"}
    return wrap(r, 429, J(b))
def f_shop_limit(r, c):
    if r.random() < 0.5:
        avail = r.randint(0, 40)
        return J({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                  "extensions": {"cost": {"requestedQueryCost": r.randint(52, 900), "actualQueryCost": None,
                                          "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": avail, "restoreRate": 50.0}}}})
    body = J({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
    return f"HTTP 429 Too Many Requests (Retry-After: {r.choice(['1.0', '2.0', '4.0'])}) {body}" if r.random() < 0.5 else wrap(r, 429, body)
def f_stripe_limit(r, c):
    msg = r.choice(["Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."])
    return (f"stripe {c['op']} failed status=429 type=rate_limit_error code=rate_limit msg=\"{msg}\" "
            f"req={reqid(r)} attempt={r.randint(1, 4)}")
def f_sf_session(r, c):
    return wrap(r, 401, J([{"message": r.choice(["Session expired or invalid", "Session expired or invalid: token revoked"]),
                            "errorCode": "INVALID_SESSION_ID"}]))
def f_sf_session_soap(r, c):
    return sf_soap("INVALID_SESSION_ID", f"Invalid Session ID found in SessionHeader: Illegal Session. Session not found, "
                   f"missing session hash: {an(r, 43)}\nThis error usually occurs after a session expires or a user logs out.")
def f_snow_session(r, c):
    return wrap(r, 401, J({"error": {"message": "User Not Authenticated", "detail": r.choice(
        ["Required to provide Auth information", "Required to provide Auth information (OAuth access token expired)"])},
        "status": "failure"}))
def f_zd_session(r, c):
    return dotnet_http(r, c, 401, "Support")
def f_stripe_missing(r, c):
    kind, val, param = {"retrieve_customer": ("customer", c["cus"], "customer"), "create_refund": ("charge", c["ch"], "charge"),
                        "create_payment_intent": ("customer", c["cus"], "customer"),
                        "create_invoice": ("customer", c["cus"], "customer")}[c["op"]]
    return wrap(r, 404, stripe_err(r, c, code="resource_missing", doc_url="https://stripe.com/docs/error-codes/resource-missing",
                                   message=f"No such {kind}: '{val}'", param=param, type="invalid_request_error"))
def f_zd_missing(r, c):
    b = J({"error": "RecordNotFound", "description": "Not found"})
    return (f"GET https://{c['tenant']}.zendesk.com/api/v2/tickets/{c['tk']}.json returned 404: {b}"
            if r.random() < 0.4 else wrap(r, 404, b))
def f_sf_missing(r, c):
    if r.random() < 0.5:
        return wrap(r, 404, J([{"errorCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]))
    url = sf_url(c, r.choice(["58.0", "59.0", "60.0"]), f"sobjects/{r.choice(['Account', 'Opportunity'])}/{c['rid']}")
    return f"GET {url} -> 404 Not Found\n" + J([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
def f_sap_missing(r, c):
    return wrap(r, 404, sap_err(r, c, "V1/302", f"SD document {c['so']} is not in the database or has been archived"))
def f_net_timeout(r, c):
    s = r.choice([30, 100, 100, 120])
    return dotnet(r, c, f"System.Threading.Tasks.TaskCanceledException: The request was canceled due to the configured "
                  f"HttpClient.Timeout of {s} seconds elapsing.\n ---> System.TimeoutException: The operation was canceled.\n"
                  " ---> System.Threading.Tasks.TaskCanceledException: The operation was canceled.\n"
                  "   --- End of inner exception stack trace ---", "Crm",
                  "   at System.Net.Http.HttpClient.HandleFailure(Exception e, Boolean telemetryStarted, HttpResponseMessage response, "
                  "CancellationTokenSource cts, CancellationToken cancellationToken, CancellationTokenSource pendingRequestsCts)\n")
def f_java_timeout(r, c):
    return (f"com.contoso.sap.odata.ODataClientException: Request to /sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder failed\n"
            + jframes(r, "sap.odata", "ODataClient", "execute") + "\nCaused by: java.net.SocketTimeoutException: "
            + r.choice(["Read timed out", "timeout", "Read timed out after 60000 ms"]) + "\n"
            "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)\n"
            "\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)\n\t... 14 more")
def f_504(r, c):
    if r.random() < 0.5:
        return ("<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1>"
                "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>")
    return wrap(r, 504, f"<!DOCTYPE html><html><head><title>{c['tenant']}.zendesk.com | 504: Gateway time-out</title></head>"
                f"<body><h1>Gateway time-out</h1><p>Error code 504</p><p>Cloudflare Ray ID: {hx(r, 16)} &bull; "
                f"{c['ts'].replace('T', ' ')}</p></body></html>")
def f_snow_timeout(r, c):
    m = "Transaction cancelled: maximum execution time exceeded"
    return J({"error": {"message": m, "detail": m + ". Check logs for error trace or enable glide.rest.debug property to verify REST request processing"},
              "status": "failure"})
VALIDATION_MSGS = [("Close Date cannot be in the past for open opportunities.", ["CloseDate"]),
                   ("A Discount Approval is required when Amount exceeds $50,000.", ["Discount_Approval__c"]),
                   ("Region must be selected for leads outside North America.", ["Region__c"]),
                   ("Industry is required before an Account can be set to Customer.", [])]
def f_sf_validation(r, c):
    m, f = r.choice(VALIDATION_MSGS)
    return wrap(r, 400, J([{"message": m, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": f}]))
def f_snow_policy(r, c):
    fields = r.choice(["Assignment group", "Configuration item", "Assignment group, Category", "Business service"])
    return wrap(r, 403, J({"error": {"message": "Operation Failed", "detail": f"Data Policy Exception: \n The following fields are mandatory: {fields}"},
                           "status": "failure"}))
def f_zd_invalid(r, c):
    fld = r.choice(["Ticket Type", "Product Area", "Customer Tier", "Root Cause"])
    return wrap(r, 422, J({"error": "RecordInvalid", "description": "Record validation errors",
                           "details": {"base": [{"description": f"{fld}: needs to be selected", "error": "RequiredFieldMissing",
                                                 "field_key": r.randint(360000000000, 369999999999)}]}}))
def _bad_soql(r, c):
    col = r.randint(18, 96)
    return r.choice([
        ("MALFORMED_QUERY", f"\nAmount, CloseDate FROM Opportunity WHERE Account.Name = {c['company'].split()[0]}\n{' ' * 48}^\n"
                            f"ERROR at Row:1:Column:{col}\nunexpected token: {c['company'].split()[0]}"),
        ("MALFORMED_QUERY", f"\nFROM Opportunity WHERE CloseDate = THIS_QUARTER LIMT 50\n{' ' * 44}^\nERROR at Row:1:Column:{col}\nunexpected token: LIMT"),
        ("INVALID_FIELD", f"\nSELECT Id, Name, Stage FROM Opportunity\n{' ' * 17}^\nERROR at Row:1:Column:{col}\nNo such column 'Stage' on entity "
                          "'Opportunity'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
                          "Please reference your WSDL or the describe call for the appropriate names.")])
def f_sf_soql(r, c):
    code, msg = _bad_soql(r, c)
    return wrap(r, 400, J([{"message": msg, "errorCode": code}]))
def f_sf_soql_java(r, c):
    code, msg = _bad_soql(r, c)
    return (f"com.contoso.crm.salesforce.SoqlExecutionException: query() failed with HTTP 400\n"
            + jframes(r, "crm.salesforce", "SoqlRunner", "run") + f"\nCaused by: com.sforce.ws.SoapFaultException: {code}: "
            + msg.replace("\n", " ").strip() + "\n\t... 9 more")
def f_sap_filter(r, c):
    v = r.choice([f"Invalid filter expression: 'SoldToParty eq {r.randint(1000000, 1999999)}'.",
                  f"Property 'DeliveryState' is invalid at offset '{r.randint(0, 40)}'.",
                  f"Invalid token detected at position {r.randint(5, 60)}"])
    return wrap(r, 400, sap_err(r, c, "/IWBEP/CM_MGW_RT/022", v))
DECLINES = [("insufficient_funds", "Your card has insufficient funds."), ("generic_decline", "Your card was declined."),
            ("do_not_honor", "Your card was declined."), ("card_velocity_exceeded", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.")]
def f_stripe_decline(r, c):
    dc, m = r.choice(DECLINES)
    return wrap(r, 402, stripe_err(r, c, charge=sid(r, "ch"), code="card_declined", decline_code=dc,
                                   doc_url="https://stripe.com/docs/error-codes/card-declined", message=m, type="card_error"))
def f_stripe_decline_log(r, c):
    dc, _ = r.choice(DECLINES)
    what = r.choice(["stripe charge create failed", "stripe payment_intent confirm failed", "billing: stripe call failed"])
    return (f"{what} status=402 code=card_declined decline_code={dc} amount={c['amount'] * 100} currency=usd "
            f"customer={c['cus']} req={reqid(r)}")
def f_stripe_decline_net(r, c):
    dc, m = r.choice(DECLINES)
    return dotnet(r, c, f"Stripe.StripeException: {m}", "Billing",
                  "   at Stripe.StripeClient.ProcessResponse[T](StripeResponse response)\n"
                  "   at Stripe.StripeClient.RequestAsync[T](HttpMethod method, String path, BaseOptions options, RequestOptions requestOptions, CancellationToken cancellationToken)\n"
                  f"   StripeError: type=card_error code=card_declined decline_code={dc} charge={sid(r, 'ch')}\n")
def f_sca_json(r, c):
    pi = sid(r, "pi")
    return wrap(r, 402, stripe_err(r, c, code="authentication_required", decline_code="authentication_required",
                                   doc_url="https://stripe.com/docs/error-codes/authentication-required",
                                   message="Your card was declined. This transaction requires authentication.",
                                   payment_intent={"id": pi, "object": "payment_intent", "status": "requires_payment_method"},
                                   type="card_error"))
def f_sca_action(r, c):
    pi = sid(r, "pi")
    return J({"ok": False, "status": "requires_action", "payment_intent": pi,
              "message": r.choice(["Payment requires additional customer authentication (SCA).",
                                   "3D Secure authentication is required to complete this payment."]),
              "next_action": {"type": "redirect_to_url", "redirect_to_url": {
                  "url": f"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_{an(r, 16)}&payment_intent={pi}",
                  "return_url": "https://pay.contoso.example/return"}}})
def f_sca_log(r, c):
    return (f"stripe payment_intent confirm failed status=402 code=authentication_required decline_code=authentication_required "
            f"pi={sid(r, 'pi')} customer={c['cus']} req={reqid(r)}")
def f_hs_scope(r, c):
    scope = r.choice(["crm.objects.contacts.write", "crm.objects.deals.write", "crm.objects.contacts.read", "crm.schemas.deals.read"])
    return wrap(r, 403, J({"status": "error", "message": r.choice([
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        "The OAuth token used to make this call has not been granted the required scopes."]),
        "correlationId": guid(r), "errors": [{"message": "One or more of the following scopes are required.",
                                              "context": {"requiredGranularScopes": [scope]}}],
        "links": {"scopes": "https://developers.hubspot.com/scopes"}, "category": "MISSING_SCOPES"}))
def f_shop_scope(r, c):
    sc = r.choice(["write_orders", "write_inventory", "write_fulfillments", "read_all_orders"])
    return wrap(r, 403, J({"errors": f"[API] This action requires merchant approval for {sc} scope."}))
def f_shop_scope_gql(r, c):
    sc = r.choice(["read_orders", "read_inventory", "read_customers"])
    fld = r.choice(["orders", "inventoryLevel", "customer"])
    return J({"errors": [{"message": f"Access denied for {fld} field. Required access: `{sc}` access scope.",
                          "locations": [{"line": r.randint(1, 4), "column": r.randint(3, 9)}], "path": [fld],
                          "extensions": {"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                                         "requiredAccess": f"`{sc}` access scope."}}]})
def f_sf_apidis(r, c):
    return wrap(r, 403, J([r.choice([{"errorCode": "API_DISABLED_FOR_ORG", "message": "API is not enabled for this Organization or Partner"},
                                     {"errorCode": "API_CURRENTLY_DISABLED", "message": "API is disabled for this User"}])]))
def f_sf_apidis_soap(r, c):
    return sf_soap("API_DISABLED_FOR_ORG", "API is not enabled for this Organization or Partner")
def f_sf_apidis_java(r, c):
    org = "00D" + r.choice(["5g0", "8d0", "Hn0"]) + "000" + an(r, 6) + an(r, 3, UPNUM)
    return (f"com.contoso.crm.sync.SyncException: Salesforce call failed for org {org}\n" + jframes(r, "crm.sync", "SalesforceSync", "login")
            + "\nCaused by: [LoginFault [ApiFault  exceptionCode='API_DISABLED_FOR_ORG'\n exceptionMessage='API is not enabled for this "
            "Organization or Partner'\n extendedErrorDetails='{[0]}'\n]\n]\n\tat com.sforce.soap.partner.fault.LoginFault.load(LoginFault.java:87)\n\t... 7 more")
def f_sf_lock(r, c):
    n = r.choice([1, 1, 200])
    return wrap(r, 400, J([{"message": f"unable to obtain exclusive access to this record or {n} records: {c['rid']}",
                            "errorCode": "UNABLE_TO_LOCK_ROW", "fields": []}]))
def f_apex_lock(r, c):
    return (f"{c['ts']} ERROR [apex] System.DmlException: Update failed. First exception on row 0 with id {c['rid']}; "
            f"first error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access to this record: [] "
            f"(Class.OpportunitySyncTrigger.handle: line {r.randint(20, 180)}, column 1)")
def f_sap_lock(r, c):
    u = r.choice(SAP_USERS)
    v = r.choice([f"SD document {c['so']} is currently being processed by user {u}",
                  f"Sales document {c['so']} is currently being processed (by user {u})"])
    return wrap(r, 409, sap_err(r, c, "V1/042", v))
def f_idem(r, c):
    key = r.choice([f"{c['tenant']}-{c['op']}-{c['ts'][:10]}", guid(r), f"assistant-{c['uid']}-{c['op']}"])
    if r.random() < 0.6:
        return wrap(r, 400, J({"error": {"message": "Keys for idempotent requests can only be used with the same parameters they were first used "
                                                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                                         "type": "idempotency_error"}}))
    return wrap(r, 409, J({"error": {"message": "There is currently another in-progress request using this Idempotent Key (that probably means you "
                                                f"submitted twice, and the other request is still going through): {key}. Please try again later.",
                                     "type": "idempotency_error"}}))
def f_idem_log(r, c):
    return (f"stripe {c['op']} failed status={r.choice([400, 409])} type=idempotency_error "
            f"idempotency_key={c['tenant']}-{c['op']}-{c['ts'][:10]} req={reqid(r)}")
def f_sf_oldver(r, c):
    url = sf_url(c, r.choice(["20.0", "21.0", "26.0", "30.0"]), r.choice([f"sobjects/Account/{c['rid']}", "query", "sobjects/Lead"]))
    return f"{r.choice(['GET', 'POST', 'PATCH'])} {url} -> 404 Not Found\n" + J([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
def f_shop_oldver(r, c):
    v = r.choice(["2019-10", "2020-04", "2021-01", "unstable-2020"])
    return f"GET https://{c['tenant']}-store.myshopify.com/admin/api/{v}/orders/{c['order']}.json returned 404: " + J({"errors": "Not Found"})
def f_sap_oldver(r, c):
    return wrap(r, 404, sap_err(r, c, "/IWFND/MED/170", f"No service found for namespace '/SAP/', name 'API_SALES_ORDER_SRV', version '000{r.choice([2, 3])}'"))
def f_hs_oldver(r, c):
    path = r.choice([f"/contacts/v1/contact/vid/{c['hsid']}/profile", "/deals/v1/deal", f"/contacts/v1/contact/email/{c['email']}/profile"])
    return wrap(r, 404, J({"status": "error", "message": f"Resource not found: {path}", "correlationId": guid(r), "category": "OBJECT_NOT_FOUND"}))
def f_net_null(r, c):
    return dotnet(r, c, "System.NullReferenceException: Object reference not set to an instance of an object.", "Commerce",
                  f"   at Contoso.Plugins.Commerce.ShopifyOrderMapper.MapLineItem(JsonElement item) in D:\\a\\1\\s\\src\\ShopifyOrderMapper.cs:line {r.choice([41, 44, 58])}\n"
                  "   at System.Linq.Enumerable.SelectListIterator`2.ToList()\n"
                  f"   at Contoso.Plugins.Commerce.ShopifyOrderMapper.Map(JsonDocument doc) in D:\\a\\1\\s\\src\\ShopifyOrderMapper.cs:line {r.choice([19, 23])}\n")
def f_py_keyerror(r, c):
    key = r.choice(["email", "lifecyclestage", "company", "hs_lead_status"])
    tail = r.choice([f"    value = props[\"{key}\"][\"value\"]\nKeyError: '{key}'",
                     f"    value = props.get(\"{key}\")[\"value\"]\nTypeError: 'NoneType' object is not subscriptable"])
    return ("Traceback (most recent call last):\n"
            f"  File \"/app/plugins/runtime/dispatch.py\", line {r.choice([64, 71])}, in invoke\n    return handler(**args)\n"
            f"  File \"/app/plugins/hubspot/contacts.py\", line {r.choice([88, 93, 112])}, in {c['op']}\n    return _to_dto(resp.json())\n"
            f"  File \"/app/plugins/hubspot/contacts.py\", line {r.choice([141, 147])}, in _to_dto\n" + tail)
def f_java_npe(r, c):
    g = r.choice(["getPlant", "getMaterial", "getRequestedDeliveryDate"])
    return (f"java.lang.NullPointerException: Cannot invoke \"String.trim()\" because the return value of "
            f"\"com.contoso.sap.model.SalesOrderItem.{g}()\" is null\n" + jframes(r, "sap.odata", "SalesOrderMapper", "toDto"))
def f_tls_java(r, c):
    return (f"javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: "
            "unable to find valid certification path to requested target\n"
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)\n" + jframes(r, "sap.odata", "ODataClient", "execute")
            + "\nCaused by: sun.security.validator.ValidatorException: PKIX path building failed\n\t... 23 more")
def f_tls_net(r, c):
    why = r.choice(["UntrustedRoot", "PartialChain", "RemoteCertificateChainErrors"])
    return dotnet(r, c, "System.Net.Http.HttpRequestException: The SSL connection could not be established, see inner exception.\n"
                  f" ---> System.Security.Authentication.AuthenticationException: The remote certificate is invalid because of errors in "
                  f"the certificate chain: {why}\n   at System.Net.Security.SslStream.SendAuthResetSignal(ProtocolToken message, ExceptionDispatchInfo exception)\n"
                  "   --- End of inner exception stack trace ---", "Erp")
def f_tls_py(r, c):
    why = r.choice(["self signed certificate in certificate chain", "unable to get local issuer certificate"])
    return (f"requests.exceptions.SSLError: HTTPSConnectionPool(host='sapgw.{c['tenant']}.corp', port=44300): Max retries exceeded with url: "
            f"/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder('{c['so']}') (Caused by SSLError(SSLCertVerificationError(1, "
            f"'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {why} (_ssl.c:1006)')))")
def _host(r, c):
    return (f"sapgw.{c['tenant']}.corp", 44300) if c["plugin"] == "sap" else (f"{c['tenant']}{r.choice(['', 'dev', 'prod'])}.service-now.com", 443)
def f_net_java(r, c):
    h, p = _host(r, c)
    cause = r.choice([f"java.net.ConnectException: Connection refused", f"java.net.UnknownHostException: {h}: Name or service not known"])
    return (f"com.contoso.plugins.http.TransportException: I/O error on POST request for \"https://{h}:{p}/\"\n"
            + jframes(r, "plugins.http", "HttpTransport", "send") + f"\nCaused by: {cause}\n\t... 12 more")
def f_net_dotnet(r, c):
    h, p = _host(r, c)
    return dotnet(r, c, f"System.Net.Http.HttpRequestException: No such host is known. ({h}:{p})\n"
                  " ---> System.Net.Sockets.SocketException (11001): No such host is known.\n"
                  "   --- End of inner exception stack trace ---", "Itsm")
def f_net_node(r, c):
    ip = f"10.{r.randint(0, 40)}.{r.randint(0, 255)}.{r.randint(2, 250)}"
    p = 44300 if c["plugin"] == "sap" else 443
    return (f"Error: connect ECONNREFUSED {ip}:{p}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) "
            + J({"errno": -111, "code": "ECONNREFUSED", "syscall": "connect", "address": ip, "port": p}))
SF_RECORD_OPS = ["update_record", "get_record"]
CAUSES = [  # name, share, forms
    ("rate_limited", 19.0, [("salesforce", None, f_sf_limit), ("hubspot", None, f_hs_limit),
                            ("shopify", None, f_shop_limit), ("stripe", None, f_stripe_limit)]),
    ("expired_oauth_session", 13.0, [("salesforce", None, f_sf_session), ("salesforce", None, f_sf_session_soap),
                                     ("servicenow", None, f_snow_session), ("zendesk", None, f_zd_session)]),
    ("record_not_found", 11.0, [("stripe", ["retrieve_customer", "create_refund", "create_payment_intent"], f_stripe_missing),
                                ("zendesk", ["get_ticket", "update_ticket"], f_zd_missing),
                                ("salesforce", SF_RECORD_OPS, f_sf_missing),
                                ("sap", ["get_sales_order", "update_sales_order"], f_sap_missing)]),
    ("upstream_timeout", 8.0, [("salesforce", None, f_net_timeout), ("sap", None, f_java_timeout),
                               ("zendesk", None, f_504), ("servicenow", None, f_snow_timeout)]),
    ("org_validation_rule", 8.0, [("salesforce", ["update_record", "create_record"], f_sf_validation),
                                  ("servicenow", ["create_incident", "update_incident"], f_snow_policy),
                                  ("zendesk", ["create_ticket", "update_ticket"], f_zd_invalid)]),
    ("card_declined", 7.0, [("stripe", ["create_payment_intent"], f_stripe_decline),
                            ("stripe", ["create_payment_intent"], f_stripe_decline_log),
                            ("stripe", ["create_payment_intent"], f_stripe_decline_net)]),
    ("malformed_query", 6.0, [("salesforce", ["query"], f_sf_soql), ("salesforce", ["query"], f_sf_soql_java),
                              ("sap", ["get_sales_order", "check_stock"], f_sap_filter)]),
    ("missing_oauth_scope", 5.0, [("hubspot", None, f_hs_scope), ("shopify", ["update_inventory", "create_fulfillment"], f_shop_scope),
                                  ("shopify", ["get_order", "list_orders"], f_shop_scope_gql)]),
    ("row_lock_contention", 4.0, [("salesforce", ["update_record"], f_sf_lock), ("salesforce", ["update_record"], f_apex_lock),
                                  ("sap", ["update_sales_order"], f_sap_lock)]),
    ("payment_requires_authentication", 3.5, [("stripe", ["create_payment_intent"], f_sca_json),
                                              ("stripe", ["create_payment_intent"], f_sca_action),
                                              ("stripe", ["create_payment_intent"], f_sca_log)]),
    ("plugin_null_handling_bug", 3.5, [("shopify", ["get_order", "list_orders"], f_net_null),
                                       ("hubspot", ["get_contact", "search_contacts"], f_py_keyerror),
                                       ("sap", ["get_sales_order"], f_java_npe)]),
    ("api_access_disabled", 3.0, [("salesforce", None, f_sf_apidis), ("salesforce", None, f_sf_apidis_soap),
                                  ("salesforce", None, f_sf_apidis_java)]),
    ("network_unreachable", 2.5, [("sap", None, f_net_java), ("servicenow", None, f_net_dotnet), ("sap", None, f_net_node)]),
    ("idempotency_key_reuse", 2.5, [("stripe", ["create_payment_intent", "create_refund"], f_idem),
                                    ("stripe", ["create_payment_intent", "create_refund"], f_idem_log)]),
    ("wrong_api_version", 2.5, [("salesforce", None, f_sf_oldver), ("shopify", ["get_order"], f_shop_oldver),
                                ("sap", None, f_sap_oldver), ("hubspot", ["get_contact", "create_deal"], f_hs_oldver)]),
    ("tls_cert_untrusted", 1.5, [("sap", None, f_tls_java), ("sap", None, f_tls_net), ("sap", None, f_tls_py)]),
]

def _counts(n):
    total = sum(s for _, s, _ in CAUSES)
    raw = [n * s / total for _, s, _ in CAUSES]
    cnt = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - cnt[i]), i))
    for i in order[: n - sum(cnt)]:
        cnt[i] += 1
    return cnt

def generate(n_events: int = 3000, seed: int = 0):
    r = random.Random(seed)
    users = {t: [f"u-{t[:3]}-{an(r, 6, '0123456789abcdef')}" for _ in range(r.randint(4, 12))] for t in TENANTS}
    tenant_ids = {t: f"tn-{hx(r, 8)}" for t in TENANTS}
    labels = []
    for (name, _, _), k in zip(CAUSES, _counts(n_events)):
        labels += [name] * k
    r.shuffle(labels)
    forms_by = {name: forms for name, _, forms in CAUSES}
    start = datetime(2024, 5, 6, tzinfo=timezone.utc)
    secs = sorted(r.randint(0, 14 * 86400 - 1) for _ in range(n_events))
    events, truth, seen = [], [], set()
    for i, cause in enumerate(labels):
        plugin, ops, fn = r.choice(forms_by[cause])
        op_rows = [o for o in OPS[plugin] if ops is None or o[0] in ops]
        op, argsfn, prompts = r.choice(op_rows)
        tenant = r.choice(TENANTS)
        when = start + timedelta(seconds=secs[i], milliseconds=r.randint(0, 999))
        c = {"plugin": plugin, "op": op, "tenant": tenant, "uid": r.choice(users[tenant]),
             "ts": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z", "epoch": int(when.timestamp()),
             "rid": sfid(r, r.choice(["001", "006", "00Q"])), "cus": sid(r, "cus"), "ch": sid(r, "ch"),
             "hsid": str(r.randint(1000, 99999999))}
        _ctx_common(r, c)
        args = argsfn(r, c)
        out = fn(r, c)
        eid = f"eval-{hx(r, 12)}"
        while eid in seen:
            eid = f"eval-{hx(r, 12)}"
        seen.add(eid)
        events.append({"evaluation_id": eid, "customer_prompt": r.choice(prompts).format(**c),
                       "skill_input": skill_input(r, plugin, op, args), "skill_output": out,
                       "ai_output": r.choice(AI_OUT).format(D=DISPLAY[plugin]), "timestamp": c["ts"],
                       "user_id": c["uid"], "tenant_id": tenant_ids[tenant]})
        truth.append({"evaluation_id": eid, "cause": cause, "plugin": plugin})
    return events, truth

EVENT_COLS = ["evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output", "timestamp", "user_id", "tenant_id"]

def _write(path, rows, cols):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    events, truth = generate(a.events, a.seed)
    _write(os.path.join(a.out, "telemetry.csv"), events, EVENT_COLS)
    _write(os.path.join(a.out, "truth.csv"), truth, ["evaluation_id", "cause", "plugin"])
    print(f"wrote {len(events)} events to {a.out}")

if __name__ == "__main__":
    main()
