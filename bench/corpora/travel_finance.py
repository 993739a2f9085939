#!/usr/bin/env python3
"""Synthetic telemetry of FAILED plugin calls for an enterprise travel / logistics / finance assistant.

DATA CARD. Purpose: measure whether a failure-clustering tool groups failures by ROOT CAUSE. The label is the
root cause only; plugin, surface form, ids and wording are nuisance variables and never define a group.
telemetry.csv: evaluation_id, customer_prompt, skill_input, skill_output, ai_output, timestamp, user_id, tenant_id.
truth.csv: evaluation_id, cause, plugin. Timestamps 2024-06-03..2024-06-16 UTC (ms); 36 tenants, 320 users;
everything comes from one random.Random(seed).

Plugins (8): amadeus (flight offers search/pricing/orders, hotel offers), duffel (offer requests, offers, orders),
fedex (Track/Ship/Rate API), ups (Tracking/Shipping/Address Validation), plaid (transactions, balance, identity,
transfer), quickbooks (QBO Accounting v3), xero (Accounting API), docusign (eSignature REST v2.1).

Surface forms: vendor_json (raw vendor body), http_wrapper ({"status","headers","body"}), python_tb (vendor SDK,
requests, httpx), java_trace (Intuit IPP, DocuSign, Xero, Amadeus SDKs, Spring RestTemplate), node_error (axios,
errno, TLS), dotnet_exc (Xero.NetStandard, DocuSign.eSign, Intuit.Ipp, HttpClient), grpc_status (Go / Python
renderings), html_page (nginx, AWS ELB, Cloudflare), log_line (logfmt, Python logging, JSON, syslog, nginx
error log), status_line (bare HTTP status, sometimes one header), gateway_json (Apigee / API Gateway bodies).
Log lines, wrapper exceptions and gRPC details use human sentences worded unlike the vendor bodies.

Causes (share) - vendor errors used - plugins:
  token_expired           17%  Amadeus 38192 "Access token expired"; QBO fault 3200 AuthenticationFailed "Token
                               expired"; Xero 401 "TokenExpired: token expired at"; DocuSign AUTHORIZATION_INVALID_TOKEN;
                               FedEx NOT.AUTHORIZED.ERROR. amadeus, quickbooks, xero, docusign, fedex.
  credentials_revoked      5%  Amadeus invalid_client 38187, 38193 token revoked, 39683 API key revoked; Plaid
                               INVALID_API_KEYS / INVALID_ACCESS_TOKEN; Intuit + Xero invalid_grant; DocuSign invalid_grant
                               no_valid_keys_or_signatures, USER_AUTHENTICATION_FAILED; UPS 250002 / 10401; Duffel
                               access_token_not_found; FedEx NOT.AUTHORIZED.ERROR. All 8 plugins.
  oauth_scope_missing      6%  QBO 3100 ApplicationAuthorizationFailed (403); Xero 403 AuthorizationUnsuccessful;
                               DocuSign consent_required; WWW-Authenticate insufficient_scope. quickbooks, xero, docusign.
  feature_not_enabled      4%  Plaid INVALID_PRODUCT; FedEx 403 FORBIDDEN.ERROR; DocuSign ACCOUNT_LACKS_PERMISSIONS;
                               QBO 6000 multicurrency off; Xero "Organisation is not subscribed to currency". plaid,
                               fedex, docusign, quickbooks, xero.
  rate_limited            10%  Amadeus 38194; Plaid RATE_LIMIT_EXCEEDED; QBO 3001 ThrottleExceeded; Xero 429
                               X-Rate-Limit-Problem: minute; DocuSign HOURLY_APIINVOCATION_LIMIT_EXCEEDED; Duffel
                               rate_limit_exceeded; FedEx/UPS 429; Apigee SpikeArrestViolation; API Gateway "Too Many
                               Requests"; nginx 429 page; Cloudflare 1015. All 8 plugins.
  quota_exhausted          4%  Xero X-Rate-Limit-Problem: day; Apigee policies.ratelimit.QuotaViolation; API Gateway
                               usage-plan "Limit Exceeded"; internal 402 plan gateway. xero, amadeus, duffel, fedex, ups.
  field_validation         9%  Amadeus 32171 MANDATORY DATA MISSING / 4926 / 572; Duffel validation_required; FedEx
                               INVALID.INPUT.EXCEPTION; UPS 120802 / 120100 / 120217; Plaid MISSING_FIELDS / INVALID_FIELD;
                               QBO 2020 / 2050 / QueryValidationError; Xero ValidationException; DocuSign
                               INVALID_EMAIL_ADDRESS_FOR_RECIPIENT, ENVELOPE_IS_INCOMPLETE. All 8 plugins.
  malformed_date_currency  7%  dates like 14/06/2024 or currencies like "EURO": Amadeus 477 INVALID FORMAT; Duffel
                               validation_format; Plaid INVALID_FIELD; QBO 2010 / 4000 QueryParserError; Xero
                               PostDataInvalidException; DocuSign INVALID_REQUEST_PARAMETER. 6 plugins.
  gateway_timeout          7%  nginx/ELB 504, Cloudflare 524, API Gateway "Endpoint request timed out", ReadTimeout,
                               axios ECONNABORTED, ETIMEDOUT, SocketTimeoutException, TaskCanceledException,
                               DEADLINE_EXCEEDED, nginx "upstream timed out". All 8 plugins.
  network_unreachable      5%  connection refused / reset / DNS failure: 502 pages, Cloudflare 521, ECONNREFUSED,
                               ECONNRESET, ENOTFOUND, EAI_AGAIN, ConnectException, UnknownHostException, SocketException,
                               NameResolutionError, gRPC UNAVAILABLE. All 8 plugins.
  tls_certificate          2%  CERTIFICATE_VERIFY_FAILED, PKIX path building failed, CERT_HAS_EXPIRED, UntrustedRoot,
                               SSL_do_handshake() failed, Cloudflare 526. All 8 plugins.
  plugin_code_bug          7%  the tool's own code fails on a good response: KeyError, TypeError, AttributeError,
                               IndexError, NullPointerException, NullReferenceException, "Cannot read properties of
                               undefined", gRPC "Exception calling application". All 8 plugins.
  bank_reauth_required     5%  Plaid ITEM_ERROR / ITEM_LOGIN_REQUIRED. plaid only.
  stale_flight_offer       4%  Amadeus 37200 PRICE DISCREPANCY, 34651 SEGMENT SELL FAILURE; Duffel
                               offer_no_longer_available, price_changed. amadeus, duffel (booking tools).
  tracking_not_found       5%  FedEx TRACKING.TRACKINGNUMBER.NOTFOUND inside an HTTP 200 body; UPS TW0001 "Tracking
                               Information Not Found", 151044. fedex, ups.
  period_locked            3%  QBO 6210 "Account Period Closed, Cannot Update Through Services API"; Xero "The document
                               date cannot be before the period lock date". quickbooks, xero.
Every cause appears in 7 to 11 surface forms.

Confusable pairs (same status, same gRPC code or similar words, different root cause):
  token_expired / credentials_revoked (401, UNAUTHENTICATED; DocuSign says "expired, revoked or malformed");
  oauth_scope_missing / feature_not_enabled (403, PERMISSION_DENIED; FedEx FORBIDDEN text mentions "credentials");
  rate_limited / quota_exhausted (429, RESOURCE_EXHAUSTED; Xero minute vs day, Apigee SpikeArrest vs Quota,
  API Gateway "Too Many Requests" vs "Limit Exceeded"); field_validation / malformed_date_currency (400/422,
  INVALID_ARGUMENT, Amadeus 32171 vs 477); feature_not_enabled / malformed_date_currency (both about a currency);
  gateway_timeout / network_unreachable (504 vs 502, ETIMEDOUT vs ECONNRESET); network_unreachable /
  tls_certificate (UNAVAILABLE, ConnectionError vs SSLError); period_locked / field_validation (Xero
  ValidationException, QBO ValidationFault); bank_reauth_required / credentials_revoked (Plaid 400 ITEM_LOGIN_REQUIRED
  vs INVALID_ACCESS_TOKEN); tracking_not_found / plugin_code_bug (NOTFOUND in a 200 body vs KeyError 'scanEvents').

Caveats: bodies follow vendor docs and commonly reported errors; a few strings are best effort (FedEx token-expired
and 429 wording, Duffel error codes, QBO multicurrency wording and 3001 detail, UPS 120217/429 bodies, DocuSign hourly
limit status, SDK line numbers). Bare status lines are deliberately ambiguous.
Usage: python travel_finance.py --out DIR [--events N] [--seed S]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

START = datetime(2024, 6, 3, tzinfo=timezone.utc)
SITE = "/opt/venv/lib/python3.11/site-packages"
JPKG = "com.globex.copilot"
REASON = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
          404: "Not Found", 422: "Unprocessable Entity", 429: "Too Many Requests", 502: "Bad Gateway",
          503: "Service Unavailable", 504: "Gateway Timeout"}
MONS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# ------------------------------------------------------------------------------------------- small helpers
hx = lambda r, n: "%0*x" % (n, r.getrandbits(4 * n))  # noqa: E731

def guid(r):
    h = hx(r, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"

aln = lambda r, n, chars=UP: "".join(r.choice(chars) for _ in range(n))  # noqa: E731

digits = lambda r, n: aln(r, n, "0123456789")  # noqa: E731

pick = lambda r, seq: seq[r.randrange(len(seq))]  # noqa: E731

def wpick(r, weights):
    keys = [k for k, w in weights.items() if w > 0]
    return r.choices(keys, weights=[weights[k] for k in keys])[0]

iso_ms = lambda dt: dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)  # noqa: E731

def http_date(dt):
    return f"{DAYS[dt.weekday()]}, {dt.day:02d} {MONS[dt.month - 1]} {dt.year} {dt:%H:%M:%S} GMT"

def ipv4(r, private=True):
    if private:
        return f"10.{r.randint(0, 63)}.{r.randint(0, 255)}.{r.randint(2, 254)}"
    return f"{pick(r, [34, 35, 52, 54, 104, 151, 162, 172, 198])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

hdate = lambda d: f"{MONTHS[d.month - 1]} {d.day}"  # noqa: E731

class SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"

# ------------------------------------------------------------------------------------------------ data pools
FIRST = ["Ana", "Ben", "Chloe", "Daniel", "Elif", "Farah", "George", "Hana", "Ivan", "Julia", "Kenji", "Laura",
         "Mateo", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samuel", "Tara", "Umar", "Valerie", "Wei",
         "Ximena", "Yusuf", "Zoe", "Liam", "Maya", "Noah", "Sofia"]
LAST = ["Garcia", "Smith", "Nguyen", "Muller", "Rossi", "Kowalski", "Tanaka", "Okafor", "Johansson", "Dubois",
        "Patel", "Silva", "Haddad", "OBrien", "Novak", "Larsen", "Kim", "Fischer", "Moreau", "Costa", "Ibrahim",
        "Walker", "Chen", "Schmidt", "Lopez", "Reyes", "Brown", "Young", "Khan", "Ito"]
DOMAINS = ["globex.com", "northwind.io", "contoso.co", "initech.net", "umbrella-corp.com", "acme.org",
           "hooli.xyz", "vandelay.com", "soylent.co", "wayne-ent.com"]
COMPANIES = ["Northwind Traders", "Blue Harbor Logistics", "Fabrikam Foods", "Tailspin Toys", "Litware Inc",
             "Proseware Ltd", "Adventure Works", "Wingtip Outfitters", "Coho Winery", "Alpine Ski House",
             "Margie's Travel", "Lucerne Publishing", "Trey Research", "Woodgrove Bank", "Humongous Insurance",
             "Graphic Design Institute", "Southridge Video", "Relecloud", "Bellows College", "Wide World Importers"]
AIRPORTS = [("JFK", "New York"), ("LHR", "London"), ("CDG", "Paris"), ("FRA", "Frankfurt"), ("SIN", "Singapore"),
            ("NRT", "Tokyo"), ("SFO", "San Francisco"), ("ORD", "Chicago"), ("BOS", "Boston"), ("MAD", "Madrid"),
            ("AMS", "Amsterdam"), ("DXB", "Dubai"), ("SYD", "Sydney"), ("YYZ", "Toronto"), ("MUC", "Munich"),
            ("ZRH", "Zurich"), ("BCN", "Barcelona"), ("LAX", "Los Angeles"), ("SEA", "Seattle"), ("DEN", "Denver"),
            ("LIS", "Lisbon"), ("CPH", "Copenhagen"), ("HKG", "Hong Kong"), ("AKL", "Auckland")]
PLACES = [("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Columbus", "OH", "43215"),
          ("Portland", "OR", "97205"), ("Atlanta", "GA", "30303"), ("Phoenix", "AZ", "85004"),
          ("Raleigh", "NC", "27601"), ("Madison", "WI", "53703"), ("Nashville", "TN", "37203"),
          ("Reno", "NV", "89501"), ("Boise", "ID", "83702"), ("Tampa", "FL", "33602")]
INSTITUTIONS = ["Chase", "Bank of America", "Wells Fargo", "Capital One", "Citi", "US Bank", "PNC", "TD Bank",
                "Navy Federal", "Ally Bank", "Charles Schwab", "American Express", "Fifth Third", "Truist"]
CABINS = ["economy", "premium_economy", "business"]
BAD_CUR = ["EURO", "US$", "\u20ac", "eur ", "Dollars", "GBR", "AUS", "usd.", "NZ$", "UKP", "Sterling", "E"]
VENDOR = {"amadeus": "Amadeus", "duffel": "Duffel", "fedex": "FedEx", "ups": "UPS", "plaid": "Plaid",
          "quickbooks": "QuickBooks", "xero": "Xero", "docusign": "DocuSign"}
PASCAL = {"amadeus": "Amadeus", "duffel": "Duffel", "fedex": "FedEx", "ups": "Ups", "plaid": "Plaid",
          "quickbooks": "QuickBooks", "xero": "Xero", "docusign": "DocuSign"}
TOKEN_URL = {"amadeus": "https://api.amadeus.com/v1/security/oauth2/token",
             "quickbooks": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
             "xero": "https://identity.xero.com/connect/token", "docusign": "https://account.docusign.com/oauth/token",
             "fedex": "https://apis.fedex.com/oauth/token", "ups": "https://onlinetools.ups.com/security/v1/oauth/token"}

def bad_date(r, iso):
    y, m, d = (int(x) for x in iso.split("-"))
    opts = [f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{y}{m:02d}{d:02d}", f"{d} {MONS[m - 1]} {y}",
            f"{MONTHS[m - 1]} {d}, {y}", f"{y}-02-30", f"{d:02d}.{m:02d}.{y}", f"{y}/{m:02d}/{d:02d}"]
    if d > 12:
        opts.append(f"{y}-{d:02d}-{m:02d}")
    return pick(r, opts)

def make_values(r, ts):
    (o, oc), (de, dc) = r.sample(AIRPORTS, 2)
    dep = (ts + timedelta(days=r.randint(3, 75))).date()
    ret = dep + timedelta(days=r.randint(2, 12))
    fn, ln = pick(r, FIRST), pick(r, LAST)
    city, st, zp = pick(r, PLACES)
    end = (ts - timedelta(days=r.randint(0, 3))).date()
    start = end - timedelta(days=pick(r, [7, 14, 30, 30, 60, 90]))
    txn = (ts - timedelta(days=r.randint(0, 20))).date()
    cur = wpick(r, {"USD": 6, "EUR": 3, "GBP": 2, "CAD": 1, "AUD": 1, "NZD": 1, "SGD": 1})
    v = dict(orig=o, orig_city=oc, dest=de, dest_city=dc, dep=dep.isoformat(), ret=ret.isoformat(),
             dep_h=hdate(dep), ret_h=hdate(ret), adults=pick(r, [1, 1, 1, 2, 2, 3]), first=fn, last=ln,
             email=f"{fn.lower()}.{ln.lower()}@{pick(r, DOMAINS)}", company=pick(r, COMPANIES),
             company2=pick(r, COMPANIES), amount=round(r.uniform(45, 24000), 2), cur=cur, cur_arg=cur,
             fedex_trk=pick(r, ["7", "2", "39", "77"]) + digits(r, 11), cabin=pick(r, CABINS),
             ups_trk="1Z" + aln(r, 6) + "%02d" % r.randint(1, 99) + digits(r, 8), inv_no=f"INV-{r.randint(1000, 99999)}",
             qbo_id=str(r.randint(58, 4999)), realm=digits(r, 19), xero_id=guid(r), env_id=guid(r),
             ds_acct=guid(r), item="item_" + aln(r, 28, B62), inst=pick(r, INSTITUTIONS),
             duffel_offer="off_0000" + aln(r, 18, B62), am_offer=str(r.randint(1, 250)), weight=round(r.uniform(0.4, 68), 1),
             city=city, state=st, zip=zp, start=start.isoformat(), end=end.isoformat(), start_h=hdate(start),
             txn=txn.isoformat(), txn_h=hdate(txn), month=MONTHS[txn.month - 1], acct_code=pick(r, ["200", "260", "400", "429", "4000", "6100"]),
             service=pick(r, ["FEDEX_GROUND", "PRIORITY_OVERNIGHT", "STANDARD_OVERNIGHT", "FEDEX_2_DAY"]),
             doc=pick(r, ["NDA", "master services agreement", "offer letter", "SOW", "vendor contract", "lease renewal"]),
             budget=r.randint(3, 40) * 100, n=r.randint(2, 9), ups_svc=pick(r, ["01", "02", "03", "12"]))
    return v

# ------------------------------------------------------------------------------------------------- tools
def T(plugin, name, tags, method, path, op, action, acting, args, prompts):
    return dict(plugin=plugin, name=name, tags=set(tags.split()), method=method, path=path, op=op, args=args,
                prompts=prompts.split("|"), action=action, acting=acting)

TOOLS = [
    T("amadeus", "amadeus.search_flight_offers", "dated currency", "GET", "/v2/shopping/flight-offers",
      "shopping.flight_offers_search.get", "search for those flights", "searching for flights",
      lambda v: {"originLocationCode": v["orig"], "destinationLocationCode": v["dest"], "departureDate": v["dep"],
                 "returnDate": v["ret"], "adults": v["adults"], "currencyCode": v["cur_arg"], "max": 20},
      'Find me flights from {orig_city} to {dest_city} on {dep_h}, back {ret_h}'
      '|what are the cheapest options {orig}->{dest} leaving {dep_h}? {adults} traveller(s)'
      '|I need to be in {dest_city} by {dep_h}. Can you look at flights from {orig_city}?'
      '|Search round trips {orig_city} to {dest_city}, {dep_h} to {ret_h}, under {budget} {cur}'),
    T("amadeus", "amadeus.price_flight_offer", "book", "POST", "/v1/shopping/flight-offers/pricing",
      "shopping.flight_offers.pricing.post", "confirm the fare", "checking the fare",
      lambda v: {"flightOfferId": v["am_offer"], "origin": v["orig"], "destination": v["dest"], "departureDate": v["dep"]},
      'Lock in option {n} from that {orig}-{dest} search|Confirm the final price for the {dest_city} flight on {dep_h}'
      "|ok go with the second cheapest one to {dest_city}, what's the total?"),
    T("amadeus", "amadeus.create_flight_order", "book write", "POST", "/v1/booking/flight-orders",
      "booking.flight_orders.post", "book that flight", "booking the flight",
      lambda v: {"flightOfferId": v["am_offer"], "travelers": [{"id": "1", "name": {"firstName": v["first"].upper(),
                 "lastName": v["last"].upper()}, "contact": {"emailAddress": v["email"]}}]},
      'Book flight option {n} to {dest_city} for {first} {last}|Please book that {orig}-{dest} flight on {dep_h} for me'
      '|Go ahead and ticket the {dep_h} flight to {dest_city}, traveler {first} {last}'),
    T("amadeus", "amadeus.search_hotel_offers", "dated currency", "GET", "/v3/shopping/hotel-offers",
      "shopping.hotel_offers_search.get", "find hotel options", "looking up hotels",
      lambda v: {"cityCode": v["dest"], "checkInDate": v["dep"], "checkOutDate": v["ret"], "adults": v["adults"],
                 "currency": v["cur_arg"], "bestRateOnly": True},
      'Find a hotel in {dest_city} from {dep_h} to {ret_h}|any 4-star hotels near the center of {dest_city}, {dep_h}-{ret_h}?'
      '|I need a room in {dest_city} for {adults} from {dep_h}, budget around {budget} {cur}'),
    T("duffel", "duffel.create_offer_request", "dated", "POST", "/air/offer_requests",
      "offer_requests.create", "pull fares for that route", "fetching fares",
      lambda v: {"slices": [{"origin": v["orig"], "destination": v["dest"], "departure_date": v["dep"]}],
                 "passengers": [{"type": "adult"}] * v["adults"], "cabin_class": v["cabin"]},
      'Get me {cabin} fares from {orig_city} to {dest_city} on {dep_h}|Look for one-way flights {orig} to {dest} {dep_h}'
      '|Can you price a {cabin} ticket to {dest_city} on {dep_h} for {adults} people?'),
    T("duffel", "duffel.create_order", "book write currency", "POST", "/air/orders", "orders.create", "complete the booking", "placing the booking",
      lambda v: {"type": "instant", "selected_offers": [v["duffel_offer"]], "passengers": [{"given_name": v["first"],
                 "family_name": v["last"], "email": v["email"], "born_on": "1987-04-12"}],
                 "payments": [{"type": "balance", "currency": v["cur_arg"], "amount": "%.2f" % v["amount"]}]},
      'Book the {cabin} fare to {dest_city} for {first} {last}|Yes, book that one ({dep_h}) and charge the company balance'
      '|Please confirm the {orig}-{dest} booking for {first}'),
    T("duffel", "duffel.get_offer", "book", "GET", "/air/offers/{duffel_offer}", "offers.get", "check that offer", "checking the offer",
      lambda v: {"offer_id": v["duffel_offer"], "return_available_services": True},
      'Is the {dep_h} fare to {dest_city} still available? Add a checked bag|Check baggage options on that {dest_city} offer'
      '|refresh the price on the offer you showed me for {dest_city}'),
    T("fedex", "fedex.track_shipment", "track", "POST", "/track/v1/trackingnumbers", "track", "track that shipment", "tracking the package",
      lambda v: {"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": v["fedex_trk"]}}], "includeDetailedScans": True},
      'Where is FedEx package {fedex_trk}?|track {fedex_trk} please|Has the FedEx shipment {fedex_trk} for {company} been delivered?'
      "|Customer says their order hasn't arrived - tracking {fedex_trk}"),
    T("fedex", "fedex.create_shipment", "ship write dated", "POST", "/ship/v1/shipments",
      "create_shipment", "create the shipping label", "creating the label",
      lambda v: {"requestedShipment": {"shipDatestamp": v["txn"], "serviceType": v["service"], "recipients": [{"contact":
                 {"personName": f"{v['first']} {v['last']}"}, "address": {"city": v["city"], "stateOrProvinceCode": v["state"],
                 "postalCode": v["zip"], "countryCode": "US"}}], "requestedPackageLineItems": [{"weight": {"units": "LB", "value": v["weight"]}}]}},
      'Create a FedEx label to {first} {last} in {city}, {state} {zip}, {weight} lb'
      '|Ship the sample kit to {company} in {city} via FedEx|Generate a {service} shipment to {city} {state}, {weight} pounds'),
    T("fedex", "fedex.get_rate_quote", "ship", "POST", "/rate/v1/rates/quotes", "rate_quote", "get a rate quote", "getting rates",
      lambda v: {"requestedShipment": {"recipient": {"address": {"postalCode": v["zip"], "countryCode": "US"}},
                 "requestedPackageLineItems": [{"weight": {"units": "LB", "value": v["weight"]}}]}},
      'How much to FedEx a {weight} lb box to {city}?|Quote FedEx overnight vs ground to {zip}'),
    T("ups", "ups.track_package", "track", "GET", "/api/track/v1/details/{ups_trk}", "track", "track that package", "looking up the UPS package",
      lambda v: {"inquiryNumber": v["ups_trk"], "locale": "en_US"},
      "Track UPS {ups_trk}|where's my UPS delivery {ups_trk}?|Status of the {company} return, UPS number {ups_trk}"),
    T("ups", "ups.create_shipment", "ship write", "POST", "/api/shipments/v2403/ship", "ship", "create the UPS shipment", "creating the UPS shipment",
      lambda v: {"ShipmentRequest": {"Shipment": {"ShipTo": {"Name": v["company"], "Address": {"City": v["city"],
                 "StateProvinceCode": v["state"], "PostalCode": v["zip"], "CountryCode": "US"}},
                 "Service": {"Code": v["ups_svc"]}, "Package": {"PackageWeight": {"Weight": str(v["weight"])}}}}},
      'Send a UPS shipment to {company}, {city} {state} {zip}|Book UPS ground for the {weight} lb box to {city}'
      '|make a UPS label for the returns to {company}'),
    T("ups", "ups.validate_address", "ship", "POST", "/api/addressvalidation/v2/3",
      "address_validation", "validate the address", "validating the address",
      lambda v: {"XAVRequest": {"AddressKeyFormat": {"PoliticalDivision2": v["city"], "PoliticalDivision1": v["state"],
                 "PostcodePrimaryLow": v["zip"], "CountryCode": "US"}}},
      'Is this a valid address: {city}, {state} {zip}?|Check the delivery address for {company} in {city}'),
    T("plaid", "plaid.get_transactions", "dated", "POST", "/transactions/get", "transactions_get", "pull your transactions", "fetching transactions",
      lambda v: {"account_ref": v["item"], "start_date": v["start"], "end_date": v["end"], "options": {"count": 250}},
      'Show my card transactions since {start_h}|What did we spend at {inst} between {start_h} and today?'
      '|Pull the corporate account transactions for the last few weeks|list expenses over 500 since {start_h}'),
    T("plaid", "plaid.get_balance", "", "POST", "/accounts/balance/get", "accounts_balance_get", "check the balance", "checking balances",
      lambda v: {"account_ref": v["item"]},
      "What's the balance on our {inst} operating account?|how much cash do we have right now?"
      '|Check available balance before I approve the {company} payment'),
    T("plaid", "plaid.get_identity", "premium", "POST", "/identity/get", "identity_get", "verify the account owner", "verifying the account",
      lambda v: {"account_ref": v["item"]},
      'Verify the account holder name on the {inst} account|Confirm the owner of the linked bank account for payroll'),
    T("plaid", "plaid.create_transfer", "premium", "POST", "/transfer/authorization/create",
      "transfer_authorization_create", "start the transfer", "setting up the transfer",
      lambda v: {"account_ref": v["item"], "type": "debit", "network": "ach", "amount": "%.2f" % v["amount"]},
      'Move {amount} from the {inst} account to the payroll account|Start an ACH transfer of {amount} for {company}'),
    T("quickbooks", "quickbooks.create_invoice", "write ledger dated currency", "POST", "/v3/company/{realm}/invoice?minorversion=73",
      "save", "create the invoice", "creating the invoice",
      lambda v: {"CustomerRef": {"value": v["qbo_id"], "name": v["company"]}, "TxnDate": v["txn"],
                 "CurrencyRef": {"value": v["cur_arg"]}, "Line": [{"Amount": v["amount"], "DetailType": "SalesItemLineDetail",
                 "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]},
      'Invoice {company} {amount} {cur} for consulting, dated {txn_h}|Create a QuickBooks invoice for {company}: {amount}'
      '|bill {company} for the {month} retainer ({amount} {cur})'),
    T("quickbooks", "quickbooks.create_journal_entry", "write ledger dated", "POST", "/v3/company/{realm}/journalentry?minorversion=73",
      "save", "post the journal entry", "posting the journal entry",
      lambda v: {"TxnDate": v["txn"], "Line": [{"Amount": v["amount"], "DetailType": "JournalEntryLineDetail",
                 "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": v["acct_code"]}}}]},
      'Post an accrual of {amount} for {month} to account {acct_code}|Book a journal entry dated {txn_h} reclassing {amount}'),
    T("quickbooks", "quickbooks.query", "dated query", "GET", "/v3/company/{realm}/query", "query", "look up those invoices", "querying invoices",
      lambda v: {"query": f"select * from Invoice where TxnDate >= '{v['start']}' MAXRESULTS 100"},
      'Which invoices have we sent since {start_h}?|List open invoices for {company}|show unpaid invoices from {month}'),
    T("quickbooks", "quickbooks.profit_and_loss", "dated", "GET", "/v3/company/{realm}/reports/ProfitAndLoss",
      "report", "run the P&L report", "running the report",
      lambda v: {"start_date": v["start"], "end_date": v["end"], "accounting_method": "Accrual"},
      'Give me the P&L from {start_h} to now|How profitable were we since {start_h}?'),
    T("xero", "xero.create_invoice", "write ledger dated currency", "PUT", "/api.xro/2.0/Invoices",
      "create_invoices", "raise the invoice", "creating the invoice in Xero",
      lambda v: {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": v["company"]}, "Date": v["txn"], "DueDate": v["end"],
                 "CurrencyCode": v["cur_arg"], "LineItems": [{"Description": "Services", "Quantity": 1,
                 "UnitAmount": v["amount"], "AccountCode": v["acct_code"]}], "Status": "AUTHORISED"}]},
      'Raise a Xero invoice to {company} for {amount} {cur}|Invoice {company} in Xero dated {txn_h}'
      '|create a sales invoice for {company}, {amount}, account {acct_code}'),
    T("xero", "xero.create_payment", "write ledger dated", "PUT", "/api.xro/2.0/Payments",
      "create_payment", "record the payment", "recording the payment",
      lambda v: {"Invoice": {"InvoiceNumber": v["inv_no"]}, "Account": {"Code": "090"}, "Date": v["txn"], "Amount": v["amount"]},
      "Mark {inv_no} as paid on {txn_h}|Record {company}'s payment of {amount} against {inv_no}"),
    T("xero", "xero.get_invoices", "", "GET", "/api.xro/2.0/Invoices", "get_invoices", "fetch the invoices", "fetching invoices",
      lambda v: {"where": 'Status=="AUTHORISED"', "order": "DueDate", "page": 1},
      'Which Xero invoices are overdue?|What does {company} owe us?|list outstanding receivables'),
    T("xero", "xero.update_invoice", "write ledger dated", "POST", "/api.xro/2.0/Invoices/{xero_id}",
      "update_invoice", "update the invoice", "updating the invoice",
      lambda v: {"InvoiceID": v["xero_id"], "Date": v["txn"], "Reference": v["inv_no"]},
      'Change the date on {inv_no} to {txn_h}|Fix the reference on the {company} invoice'),
    T("docusign", "docusign.create_envelope", "compose write", "POST", "/restapi/v2.1/accounts/{ds_acct}/envelopes",
      "create_envelope", "send that for signature", "sending the envelope",
      lambda v: {"emailSubject": f"Please sign: {v['doc']}", "templateId": v["env_id"], "status": "sent",
                 "templateRoles": [{"roleName": "Signer", "name": f"{v['first']} {v['last']}", "email": v["email"]}]},
      'Send the {doc} to {first} {last} ({email}) for signature|Get {company} to sign the {doc}|docusign the {doc} to {email} please'),
    T("docusign", "docusign.get_envelope", "", "GET", "/restapi/v2.1/accounts/{ds_acct}/envelopes/{env_id}",
      "get_envelope", "check the envelope status", "checking the envelope",
      lambda v: {"envelope_id": v["env_id"]},
      'Has {first} signed the {doc} yet?|status of the {company} {doc} envelope?'),
    T("docusign", "docusign.list_envelopes", "dated", "GET", "/restapi/v2.1/accounts/{ds_acct}/envelopes",
      "list_status_changes", "list the envelopes", "listing envelopes",
      lambda v: {"from_date": v["start"], "status": "sent,delivered"},
      'Which contracts are still waiting for signatures since {start_h}?|List envelopes sent since {start_h}'),
    T("docusign", "docusign.void_envelope", "write", "PUT", "/restapi/v2.1/accounts/{ds_acct}/envelopes/{env_id}",
      "update", "void the envelope", "voiding the envelope",
      lambda v: {"envelope_id": v["env_id"], "status": "voided", "voidedReason": "Superseded by new version"},
      'Cancel the {doc} I sent to {first}|void the {company} envelope, we need to fix the terms'),
]
HOSTS = {"amadeus": ["api.amadeus.com"] * 4 + ["test.api.amadeus.com"], "duffel": ["api.duffel.com"],
         "fedex": ["apis.fedex.com"], "ups": ["onlinetools.ups.com"], "plaid": ["production.plaid.com"],
         "quickbooks": ["quickbooks.api.intuit.com"], "xero": ["api.xero.com"],
         "docusign": ["na3.docusign.net", "na4.docusign.net", "eu.docusign.net", "na2.docusign.net"]}

class Ctx:
    def __init__(self, r, tool, v, ts, tenant, user):
        self.r, self.t, self.v, self.ts = r, tool, v, ts
        self.p = tool["plugin"]
        self.vendor = VENDOR[self.p]
        self.host = pick(r, HOSTS[self.p])
        self.path = tool["path"].format(**v)
        self.url = f"https://{self.host}{self.path}"
        self.rid = guid(r)
        self.hdrs = {}
        self.f = SafeDict(vendor=self.vendor, tenant=tenant, user=user, tool=tool["name"], op=tool["op"],
                          host=self.host, path=self.path.split("?")[0], rid=self.rid[:8], **v)

    def fill(self, s):
        return s.format_map(self.f)

# ------------------------------------------------------------------------------------ generic form renderers
def tb(frames, tail, head="Traceback (most recent call last):"):
    out = [head]
    for f, ln, fn, code in frames:
        out.append(f'  File "{f}", line {ln}, in {fn}')
        if code:
            out.append(f"    {code}")
    out.append(tail)
    return "\n".join(out)

def runner_frames(c):
    r = c.r
    base = pick(r, ["/srv/toolrunner", "/app", "/opt/copilot"])
    fn = c.t["name"].split(".")[1]
    call = pick(r, [f"resp = self.client.{c.t['op']}(**params)", f"return self._call('{c.t['op']}', payload)",
                    f"result = await self.api.{c.t['op']}(request)"])
    return [(f"{base}/runtime/dispatch.py", r.randint(120, 230), "invoke", "result = await handler(**call.arguments)"),
            (f"{base}/plugins/{c.p}/tools.py", r.randint(40, 420), fn, call)]

def requests_frames(r, last):
    return [(f"{SITE}/requests/sessions.py", 589, "request", "resp = self.send(prep, **send_kwargs)"),
            (f"{SITE}/requests/sessions.py", 703, "send", "r = adapter.send(request, **kwargs)"),
            (f"{SITE}/requests/adapters.py", pick(r, [682, 700, 713]), "send", last)]

def summarize(body):
    """(code, message) from any vendor error body; Xero ValidationErrors preferred."""
    if isinstance(body, dict) and body.get("Type") == "ValidationException":
        errs = [e["Message"] for el in body.get("Elements", []) for e in el.get("ValidationErrors", [])]
        return str(body.get("ErrorNumber", "")), "; ".join(errs)
    pairs, todo = [], [body]
    while todo:
        o = todo.pop(0)
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else []
        for k, val in items:
            if isinstance(val, (dict, list)):
                todo.append(val)
            elif isinstance(k, str) and isinstance(val, (str, int)) and not isinstance(val, bool) and val != "":
                pairs.append((k.lower(), str(val)))
    code = next((val for k, val in pairs if k in ("error_code", "errorcode", "code", "error")), "")
    for key in ("error_message", "detail", "message", "error_description", "faultstring", "title"):
        msg = next((val for k, val in pairs if k == key), "")
        if msg:
            return code, msg
    return code, ""

def hdr_repr(h):
    return "HTTPHeaderDict({" + ", ".join(f"'{k}': '{v}'" for k, v in h.items()) + "})"

def py_http(c, status, body, s):
    r, p, reason = c.r, c.p, REASON[status]
    fr = runner_frames(c)
    hd = hdr_repr(c.hdrs)
    code, msg = summarize(body)
    if p in ("plaid", "docusign", "xero"):
        pkg = {"plaid": "plaid", "docusign": "docusign_esign", "xero": "xero_python"}[p]
        fr += [(f"{SITE}/{pkg}/api_client.py", r.randint(340, 420), "call_api", "return self.__call_api(resource_path, method,"),
               (f"{SITE}/{pkg}/api_client.py", r.randint(180, 230), "__call_api", "response_data = self.request("),
               (f"{SITE}/{pkg}/rest.py", r.randint(220, 240), "request", "raise ApiException(http_resp=r)")]
        exc = {"plaid": "plaid.exceptions.ApiException", "docusign": "docusign_esign.client.api_exception.ApiException",
               "xero": "xero_python.exceptions.http_status_exceptions." + {400: "AccountingBadRequestException",
                                                                            404: "NotFoundException"}.get(status, "HTTPStatusException")}[p]
        if p == "xero" and "invalid_grant" in s:
            exc = "xero_python.exceptions.OAuth2InvalidGrantError"
        bs = f"b'{s}'" if p == "docusign" else s
        return tb(fr, f"{exc}: ({status})\nReason: {reason}\nHTTP response headers: {hd}\nHTTP response body: {bs}")
    if p == "amadeus":
        fr += [(f"{SITE}/amadeus/mixins/http.py", pick(r, [44, 63]), pick(r, ["get", "post"]), "return self.request(verb, path, params)"),
               (f"{SITE}/amadeus/mixins/http.py", 123, "request", "return self._unauthenticated_request("),
               (f"{SITE}/amadeus/mixins/http.py", 146, "_unauthenticated_request", "return self.__execute(request)"),
               (f"{SITE}/amadeus/mixins/http.py", 174, "__execute", "response._detect_error(self)"),
               (f"{SITE}/amadeus/mixins/parser.py", 32, "_detect_error", "raise error")]
        cls = {401: "AuthenticationError", 404: "NotFoundError"}.get(status, "ServerError" if status >= 500 else "ClientError")
        lines = [f"[{status}]"]
        for e in (body.get("errors", []) if isinstance(body, dict) else [])[:2]:
            src = (e.get("source") or {})
            where = src.get("parameter") or src.get("pointer")
            lines.append((f"[{where}] " if where else "") + str(e.get("detail") or e.get("title")))
        if len(lines) == 1:
            lines.append(msg or reason)
        return tb(fr, f"amadeus.client.errors.{cls}: " + "\n".join(lines))
    if p == "quickbooks":
        if "invalid_grant" in s:
            fr += [(f"{SITE}/intuitlib/client.py", 163, "refresh", "send_request('POST', self.token_endpoint, headers, self, body=urlencode(body), session=self)"),
                   (f"{SITE}/intuitlib/utils.py", 94, "send_request", "raise AuthClientError(response)")]
            return tb(fr, f"intuitlib.exceptions.AuthClientError: HTTP status {status}, error message: b'{s}', "
                          f"intuit_tid 1-{hx(r, 8)}-{hx(r, 24)} at time {http_date(c.ts)}")
        if c.t["op"] == "save":
            fr += [(f"{SITE}/quickbooks/mixins.py", 145, "save", "json_data = qb.create_object(self.qbo_object_name, self.to_json())"),
                   (f"{SITE}/quickbooks/client.py", 283, "create_object", "results = self.post(url, request_body)")]
        else:
            fr += [(f"{SITE}/quickbooks/client.py", pick(r, [297, 305]), c.t["op"].replace("report", "get_report"),
                    "result = self.make_request(\"POST\" if select else \"GET\", url, select, content_type='application/text')")]
        fr += [
               (f"{SITE}/quickbooks/client.py", 233, "make_request", "self.handle_exceptions(result[\"Fault\"])")]
        if status == 401:
            return tb(fr[:-1] + [(f"{SITE}/quickbooks/client.py", 226, "make_request", "raise exceptions.AuthorizationException(")],
                      f"quickbooks.exceptions.AuthorizationException: QB Exception {status}: Application authentication failed\n{s}")
        num = int(code) if code.isdigit() else 0
        cls, label = ("ValidationException", "QB Validation Exception") if 2000 <= num < 5000 else \
            (("BusinessLogicException", "QB Business Logic Exception") if 6000 <= num < 8000 else ("QuickbooksException", "QB Exception"))
        return tb(fr, f"quickbooks.exceptions.{cls}: {label} {num}: {msg}\n{body_detail(body)}")
    if p == "duffel":
        fr += [(f"{SITE}/duffel_api/http_client.py", r.randint(90, 120), "_http_call", "raise ApiError(response.headers, parsed)")]
        return tb(fr, f"duffel_api.http_client.ApiError: {msg or reason}")
    # fedex / ups: plain requests + the plugin's own exception class
    first = ""
    if status >= 400:
        kind = "Client" if status < 500 else "Server"
        first = tb(fr + [(f"{SITE}/requests/models.py", 1021, "raise_for_status", "raise HTTPError(http_error_msg, response=self)")],
                   f"requests.exceptions.HTTPError: {status} {kind} Error: {reason} for url: {c.url}") + \
            "\n\nThe above exception was the direct cause of the following exception:\n\n"
        fr = fr[:1] + [(fr[1][0], fr[1][1] + r.randint(3, 9), fr[1][2], f"raise {PASCAL[p]}APIError.from_response(resp) from exc")]
    else:
        fr = fr[:1] + [(fr[1][0], fr[1][1] + r.randint(3, 9), fr[1][2], f"raise {PASCAL[p]}APIError(code, message)")]
    return first + tb(fr, f"plugins.{p}.errors.{PASCAL[p]}APIError: [{code or status}] {msg or reason}")

def qbo_message(body):
    for k in ("Fault", "fault"):
        if isinstance(body, dict) and k in body:
            errs = body[k].get("Error") or body[k].get("error") or [{}]
            return errs[0].get("Message") or errs[0].get("message") or ""
    return ""

def camel(op):
    w = op.replace(".", "_").split("_")
    return w[0] + "".join(x.capitalize() for x in w[1:])

def body_detail(body):
    for k in ("Fault", "fault"):
        if isinstance(body, dict) and k in body:
            errs = body[k].get("Error") or body[k].get("error") or [{}]
            return errs[0].get("Detail") or errs[0].get("detail") or ""
    return ""

def java_trace(exc, msg, frames, caused=None):
    out = [f"{exc}: {msg}" if msg else exc] + [f"\tat {f}" for f in frames]
    if caused:
        out.append(f"Caused by: {caused[0]}")
        out += [f"\tat {f}" for f in caused[1]]
        out.append(f"\t... {len(frames) - 1} more")
    return "\n".join(out)

def japp(c):
    cls = "".join(x.capitalize() for x in c.t["name"].split(".")[1].split("_")) + "Tool"
    return [f"{JPKG}.plugins.{c.p}.{cls}.execute({cls}.java:{c.r.randint(40, 260)})",
            f"{JPKG}.runtime.ToolInvoker.invoke(ToolInvoker.java:{c.r.randint(60, 140)})",
            "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)",
            "java.base/java.lang.Thread.run(Thread.java:1583)"]

SPRING = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 422: "UnprocessableEntity",
          429: "TooManyRequests"}

def java_http(c, status, body, s):
    r, p = c.r, c.p
    code, msg = summarize(body)
    app = japp(c)
    if status < 400:
        return java_trace(f"{JPKG}.plugins.{p}.{PASCAL[p]}ApiException", f"[{code}] {msg}", app)
    if p == "quickbooks" and "invalid_grant" in s:
        return java_trace("com.intuit.oauth2.exception.OAuthException", s,
                          [f"com.intuit.oauth2.client.OAuth2PlatformClient.refreshToken(OAuth2PlatformClient.java:{r.randint(130, 150)})"] + app)
    if p == "xero" and status == 429:
        return java_trace("com.xero.api.XeroRateLimitException", f"Rate limit exceeded ({c.hdrs.get('X-Rate-Limit-Problem', 'unknown')})",
                          [f"com.xero.api.XeroApiExceptionHandler.execute(XeroApiExceptionHandler.java:{r.randint(40, 120)})"] + app)
    if p == "quickbooks":
        cls = {400: "ValidationException", 401: "AuthenticationException", 403: "AuthorizationException"}.get(status, "ServiceException")
        fr = ["com.intuit.ipp.interceptors.HandleResponseInterceptor.execute(HandleResponseInterceptor.java:84)",
              "com.intuit.ipp.interceptors.IntuitInterceptorProvider.executeResponseInterceptors(IntuitInterceptorProvider.java:94)",
              "com.intuit.ipp.interceptors.IntuitInterceptorProvider.executeInterceptors(IntuitInterceptorProvider.java:67)",
              f"com.intuit.ipp.services.DataService.executeInterceptors(DataService.java:{r.randint(1300, 1500)})",
              f"com.intuit.ipp.services.DataService.{pick(r, ['add', 'executeQuery', 'update'])}(DataService.java:{r.randint(200, 400)})"]
        return java_trace(f"com.intuit.ipp.exception.{cls}", f"ERROR CODE:{code}, ERROR MESSAGE:{qbo_message(body) or msg}, ERROR DETAIL:{body_detail(body) or 'null'}", fr + app)
    if p == "docusign":
        fr = [f"com.docusign.esign.client.ApiClient.invokeAPI(ApiClient.java:{r.randint(1150, 1250)})",
              f"com.docusign.esign.api.EnvelopesApi.{camel(c.t['op'])}(EnvelopesApi.java:{r.randint(400, 5000)})"]
        return java_trace("com.docusign.esign.client.ApiException",
                          f"Error while requesting server, received a non successful HTTP code {status} with response Body: '{s}'", fr + app)
    if p == "xero":
        cls = {400: "XeroBadRequestException", 401: "XeroUnauthorizedException", 403: "XeroForbiddenException",
               404: "XeroNotFoundException", 429: "XeroRateLimitException"}.get(status, "XeroServerErrorException")
        fr = [f"com.xero.api.XeroApiExceptionHandler.execute(XeroApiExceptionHandler.java:{r.randint(40, 120)})",
              f"com.xero.api.client.AccountingApi.{camel(c.t['op'])}(AccountingApi.java:{r.randint(2000, 30000)})"]
        return java_trace(f"com.xero.api.{cls}", msg or f"{status} {REASON[status]}", fr + app)
    if p == "amadeus":
        cls = {401: "AuthenticationException", 404: "NotFoundException"}.get(status, "ClientException")
        fr = ["com.amadeus.Response.detectError(Response.java:93)", "com.amadeus.HTTPClient.fetch(HTTPClient.java:300)",
              f"com.amadeus.HTTPClient.{pick(r, ['get', 'post'])}(HTTPClient.java:{r.randint(80, 140)})"]
        return java_trace(f"com.amadeus.exceptions.{cls}", f"[{status}]\n{msg}", fr + app)
    sub = SPRING.get(status)
    exc = "org.springframework.web.client.HttpClientErrorException" + (f"${sub}" if sub else "")
    fr = [f"org.springframework.web.client.HttpClientErrorException.create(HttpClientErrorException.java:{r.choice([101, 106, 118])})",
          "org.springframework.web.client.DefaultResponseErrorHandler.handleError(DefaultResponseErrorHandler.java:186)",
          "org.springframework.web.client.RestTemplate.handleResponse(RestTemplate.java:819)",
          "org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:777)",
          "org.springframework.web.client.RestTemplate.exchange(RestTemplate.java:678)"]
    return java_trace(exc, f'{status} {REASON[status]}: "{s}"', fr + app)

def node_frames(c):
    r = c.r
    cls = PASCAL[c.p] + "Client"
    m = "".join(w.capitalize() if i else w for i, w in enumerate(c.t["name"].split(".")[1].split("_")))
    return [f"    at async {cls}.{m} (/srv/app/plugins/{c.p}/index.js:{r.randint(20, 300)}:{r.randint(5, 40)})",
            f"    at async ToolRunner.run (/srv/app/runtime/runner.js:{r.randint(50, 160)}:{r.randint(5, 30)})"]

def node_http(c, status, body, s, human):
    r = c.r
    if status >= 400 and r.random() < 0.55:
        rh = {k.lower(): val for k, val in c.hdrs.items() if k.lower() in ("retry-after", "x-rate-limit-problem", "www-authenticate")}
        hpart = f"headers: {json.dumps(rh)}, " if rh else ""
        data = json.dumps(body) if isinstance(body, (dict, list)) else repr(s)
        code = "ERR_BAD_REQUEST" if status < 500 else "ERR_BAD_RESPONSE"
        return "\n".join([f"AxiosError: Request failed with status code {status}",
                          f"    at settle (/srv/app/node_modules/axios/dist/node/axios.cjs:{r.choice([1966, 2019, 2031])}:12)",
                          f"    at IncomingMessage.handleStreamEnd (/srv/app/node_modules/axios/dist/node/axios.cjs:{r.choice([3066, 3135, 3187])}:11)",
                          "    at IncomingMessage.emit (node:events:531:35)",
                          "    at endReadableNT (node:internal/streams/readable:1698:12)",
                          "    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)"]
                         + [node_frames(c)[0] + " {", f"  code: '{code}',", f"  status: {status},",
                                                 f"  config: {{ method: '{c.t['method'].lower()}', url: '{c.url}' }},",
                                                 f"  response: {{ status: {status}, statusText: '{REASON[status]}', {hpart}data: {data} }}", "}"])
    name = pick(r, ["Error", f"{PASCAL[c.p]}Error", "ToolExecutionError"])
    return f"{name}: {human}\n" + "\n".join(node_frames(c)) + f" {{\n  statusCode: {status},\n  requestId: '{c.rid}'\n}}"

def dotnet(exc, msg, frames, inner=None):
    s = f"{exc}: {msg}"
    if inner:
        s += f"\n ---> {inner}\n   --- End of inner exception stack trace ---"
    return s + "".join(f"\n   at {f}" for f in frames)

def dn_app(c):
    r = c.r
    m = "".join(w.capitalize() for w in c.t["name"].split(".")[1].split("_")) + "Async"
    P = PASCAL[c.p]
    return [f"Globex.Copilot.Plugins.{P}.{P}Tools.{m}(ToolCall call, CancellationToken ct) in /src/Plugins/{P}/{P}Tools.cs:line {r.randint(30, 300)}",
            f"Globex.Copilot.Runtime.ToolInvoker.InvokeAsync(ToolCall call, CancellationToken ct) in /src/Runtime/ToolInvoker.cs:line {r.randint(40, 120)}"]

def dotnet_http(c, status, body, s, human):
    r, p = c.r, c.p
    op = "".join(w.capitalize() for w in c.t["op"].split("_"))
    if p == "xero":
        return dotnet("Xero.NetStandard.OAuth2.Client.ApiException", f"Error calling {op}: {s}",
                      [f"Xero.NetStandard.OAuth2.Api.AccountingApi.{op}AsyncWithHttpInfo(String accessToken, String xeroTenantId, CancellationToken cancellationToken)"] + dn_app(c))
    if p == "docusign":
        return dotnet("DocuSign.eSign.Client.ApiException", f"Error calling {op}: {s}",
                      [f"DocuSign.eSign.Api.EnvelopesApi.{op}WithHttpInfo(String accountId, EnvelopeDefinition envelopeDefinition)"] + dn_app(c))
    if p == "quickbooks" and "invalid_grant" not in s and r.random() < 0.6:
        if status == 401:
            return dotnet("Intuit.Ipp.Exception.InvalidTokenException", "Unauthorized-401",
                          ["Intuit.Ipp.Exception.IdsExceptionManager.HandleException(IdsException idsException)",
                           "Intuit.Ipp.Core.Rest.SyncRestHandler.GetResponse(HttpWebRequest request)"] + dn_app(c))
        code, msg = summarize(body)
        cls = "ValidationException" if status == 400 else "IdsException"
        det = body_detail(body) or msg
        return dotnet(f"Intuit.Ipp.Exception.{cls}", f"{cls} was thrown. Details: {det}" if status == 400 else f"{REASON[status]}-{status}",
                      ["Intuit.Ipp.Exception.IdsExceptionManager.HandleException(IdsException idsException)",
                       "Intuit.Ipp.DataService.DataService.Add[T](T entity)"] + dn_app(c))
    inner = f"System.Net.Http.HttpRequestException: Response status code does not indicate success: {status} ({REASON[status]})."
    return dotnet(f"Globex.Copilot.Plugins.{PASCAL[p]}.{PASCAL[p]}ApiException", human, dn_app(c), inner if status >= 400 and r.random() < 0.7 else None)

GO = {"UNAUTHENTICATED": "Unauthenticated", "PERMISSION_DENIED": "PermissionDenied", "RESOURCE_EXHAUSTED": "ResourceExhausted",
      "INVALID_ARGUMENT": "InvalidArgument", "DEADLINE_EXCEEDED": "DeadlineExceeded", "UNAVAILABLE": "Unavailable",
      "NOT_FOUND": "NotFound", "FAILED_PRECONDITION": "FailedPrecondition", "INTERNAL": "Internal", "UNKNOWN": "Unknown",
      "ABORTED": "Aborted"}
GNUM = {"UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5, "PERMISSION_DENIED": 7,
        "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9, "ABORTED": 10, "INTERNAL": 13, "UNAVAILABLE": 14,
        "UNAUTHENTICATED": 16}

def grpc(c, code, desc):
    r = c.r
    if r.random() < 0.5:
        return f"rpc error: code = {GO[code]} desc = {desc}"
    peer = f"ipv4:{ipv4(r)}:{pick(r, [50051, 8443, 9090])}"
    return (f"<_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.{code}\n\tdetails = \"{desc}\"\n"
            f"\tdebug_error_string = \"UNKNOWN:Error received from peer {peer} {{grpc_message:\"{desc}\", "
            f"grpc_status:{GNUM[code]}, created_time:\"{iso_ms(c.ts)}\"}}\"\n>")

def log_line(c, msg, status=None, level="ERROR"):
    r, ts = c.r, c.ts
    st = f" status={status}" if status else ""
    style = r.randrange(4)
    if style == 0:
        return (f'{iso_ms(ts)} level={level.lower()} logger=toolrunner.{c.p} tool={c.t["name"]} tenant={c.f["tenant"]} '
                f'req_id={c.rid}{st} msg="{msg}"')
    if style == 1:
        return f"{ts:%Y-%m-%d %H:%M:%S},{ts.microsecond // 1000:03d} {level} [plugins.{c.p}.client] {msg} (request_id={c.rid})"
    if style == 2:
        d = {"ts": iso_ms(ts), "level": level.lower(), "service": "tool-gateway", "plugin": c.p, "tool": c.t["name"],
             "message": msg, "trace_id": hx(r, 32)}
        if status:
            d["http_status"] = status
        return json.dumps(d)
    return f"{MONS[ts.month - 1]} {ts.day:2d} {ts:%H:%M:%S} toolrunner-{hx(r, 5)} copilot[{r.randint(900, 40000)}]: {level} {c.p}: {msg}"

def status_line(c, status, hint=None):
    r, reason = c.r, REASON[status]
    style = r.randrange(4)
    h = hint if hint and r.random() < 0.8 else None
    if style == 0:
        s = f"HTTP/1.1 {status} {reason}"
    elif style == 1:
        s = f"{c.t['method']} {c.url} -> {status} {reason}"
    elif style == 2:
        s = f"HTTP/2 {status}"
    else:
        s = f"{status} {reason}"
    return s + (f"\n{h}" if h else "")

def cf_page(c, code, title):
    r = c.r
    ray = f"{hx(r, 16)}-{pick(r, ['FRA', 'IAD', 'SJC', 'AMS', 'LHR', 'SIN', 'ORD'])}"
    return (f"<!DOCTYPE html>\n<html lang=\"en-US\">\n<head><title>{c.host} | {code}: {title}</title>\n"
            f"<meta charset=\"UTF-8\" /><meta name=\"robots\" content=\"noindex, nofollow\" /></head>\n<body>\n"
            f"<div id=\"cf-wrapper\"><div id=\"cf-error-details\" class=\"p-0\"><header class=\"mx-auto pt-10 lg:pt-6\">\n"
            f"<h1 class=\"inline-block sm:block sm:mb-2 font-light text-60\"><span class=\"inline-block\">{title}</span>"
            f"<span class=\"code-label\">Error code {code}</span></h1>\n<div>Visit <a href=\"https://www.cloudflare.com/5xx-error-landing\">"
            f"cloudflare.com</a> for more information.</div><div class=\"mt-3\">{c.ts:%Y-%m-%d %H:%M:%S} UTC</div></header>\n"
            f"<div class=\"cf-error-footer\"><p><span>Cloudflare Ray ID: <strong class=\"font-semibold\">{ray}</strong></span> "
            f"<span>Your IP: {ipv4(r, False)}</span> <span>Performance &amp; security by Cloudflare</span></p></div></div>\n</body>\n</html>")

def nginx_page(r, status, title):
    t = f"{status} {title}"
    foot = "" if r.random() < 0.35 else f"<hr><center>nginx/{pick(r, ['1.18.0', '1.22.1', '1.24.0', '1.25.3'])}</center>\n"
    return f"<html>\n<head><title>{t}</title></head>\n<body>\n<center><h1>{t}</h1></center>\n{foot}</body>\n</html>\n"

def wrapper(c, status, body, extra_headers=None, server=None):
    h = dict(c.hdrs) if c.hdrs else {"Date": http_date(c.ts)}
    if server:
        h = {"Date": http_date(c.ts), "Server": server}
    h.update(extra_headers or {})
    if isinstance(body, (dict, list)) and c.r.random() < 0.5:
        b = body
    else:
        b = body if isinstance(body, str) else json.dumps(body)
    return json.dumps({"status": status, "headers": h, "body": b})

# -------------------------------------------------------------------------------- generic HTTP-cause engine
DEFAULT_W = {"vendor_json": 4, "http_wrapper": 3, "python_tb": 4, "java_trace": 2, "node_error": 3, "dotnet_exc": 2,
             "log_line": 4, "status_line": 1, "grpc_status": 1}

def vendor_headers(c, extra):
    r, p = c.r, c.p
    h = {"Date": http_date(c.ts), "Content-Type": "application/json"}
    if p == "amadeus":
        h["Content-Type"] = "application/vnd.amadeus+json"
    elif p == "plaid":
        h.update({"Server": "nginx", "Content-Type": "application/json; charset=utf-8", "Plaid-Version": "2020-09-14"})
    elif p == "quickbooks":
        h.update({"Content-Type": "application/json;charset=UTF-8", "intuit_tid": f"1-{hx(r, 8)}-{hx(r, 24)}"})
    elif p == "xero":
        h.update({"Xero-Correlation-Id": guid(r), "X-AppMinLimit-Remaining": str(r.randint(0, 9999)),
                  "X-MinLimit-Remaining": str(r.randint(0, 59)), "X-DayLimit-Remaining": str(r.randint(0, 4999))})
    elif p == "docusign":
        h.update({"X-DocuSign-TraceToken": guid(r), "Cache-Control": "no-cache"})
    elif p == "duffel":
        h.update({"x-request-id": "F" + aln(r, 19, B62), "ratelimit-limit": "60"})
    elif p == "ups":
        h["BkndTransId"] = digits(r, 18)
    elif p == "fedex":
        h["x-customer-transaction-id"] = guid(r)
    h.update(extra or {})
    return h

def http_cause(c, status, body, human, gcode, hint=None, headers=None, extra=None, weights=None):
    r = c.r
    w = dict(DEFAULT_W)
    w.update(weights or {})
    extra = extra or {}
    for k in extra:
        w.setdefault(k, 2)
    if body in (None, ""):
        w["vendor_json"] = 0
    if status == 200:
        w["status_line"] = 0
    form = wpick(r, w)
    c.hdrs = vendor_headers(c, headers)
    s = "" if body is None else (body if isinstance(body, str) else
                                 json.dumps(body, indent=2) if c.p == "plaid" else json.dumps(body, separators=(",", ":")))
    msg = c.fill(pick(r, human.split("|")))
    if form in extra:
        return form, extra[form]()
    if form == "vendor_json":
        return form, s
    if form == "http_wrapper":
        return form, wrapper(c, status, body if body is not None else "")
    if form == "python_tb":
        return form, py_http(c, status, body, s)
    if form == "java_trace":
        return form, java_http(c, status, body, s)
    if form == "node_error":
        return form, node_http(c, status, body, s, msg)
    if form == "dotnet_exc":
        return form, dotnet_http(c, status, body, s, msg)
    if form == "log_line":
        return form, log_line(c, msg, status if r.random() < 0.6 else None, pick(r, ["ERROR", "ERROR", "WARN"]))
    if form == "status_line":
        return form, status_line(c, status, c.fill(hint) if hint else None)
    return form, grpc(c, gcode, msg)

def qbo_fault(c, code, message, detail, ftype="ValidationFault", lower=False):
    t = (c.ts - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S.") + "%03d-07:00" % (c.ts.microsecond // 1000)
    if lower:
        return {"fault": {"error": [{"message": message, "detail": detail, "code": code}], "type": ftype}, "time": t}
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}], "type": ftype}, "time": t}

def xero_validation(c, messages):
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
            "Elements": [{"Type": "ACCREC", "InvoiceID": "00000000-0000-0000-0000-000000000000", "Status": "AUTHORISED",
                          "Reference": c.v["inv_no"], "ValidationErrors": [{"Message": m} for m in messages]}]}

def xero_problem(c, status, title, detail):
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": guid(c.r), "Extensions": {}}

def plaid_err(c, etype, code, message, doc="errors"):
    return {"display_message": None, "documentation_url": f"https://plaid.com/docs/?ref=error#{doc}",
            "error_code": code, "error_code_reason": None, "error_message": message, "error_type": etype,
            "request_id": aln(c.r, 15, B62), "suggested_action": None}

def duffel_err(c, status, etype, code, title, message, source=None):
    e = {"type": etype, "title": title, "message": message, "code": code,
         "documentation_url": "https://duffel.com/docs/api/overview/response-handling"}
    if source:
        e["source"] = source
    return {"meta": {"status": status, "request_id": "F" + aln(c.r, 19, B62)}, "errors": [e]}

def fedex_err(c, code, message, extra=None):
    e = {"code": code, "message": message}
    e.update(extra or {})
    return {"transactionId": guid(c.r), "errors": [e]}

def ups_err(code, message):
    return {"response": {"errors": [{"code": code, "message": message}]}}

def ds_err(code, message):
    return {"errorCode": code, "message": message}

# ------------------------------------------------------------------------------------------------- causes
def c_token_expired(c):
    r, ts = c.r, c.ts
    exp = ts - timedelta(seconds=r.randint(4, 9000))
    c.f.update(exp=exp.strftime("%Y-%m-%dT%H:%M:%SZ"), age=r.randint(1805, 12000), exp_epoch=int(exp.timestamp()),
               now_epoch=int(ts.timestamp()))
    p, hdr = c.p, None
    if p == "amadeus":
        status, body = 401, {"errors": [{"code": 38192, "title": "Access token expired", "detail": "The access token is expired", "status": 401}]}
    elif p == "quickbooks":
        status, body = 401, qbo_fault(c, "3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                      pick(r, ["Token expired: " + "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + aln(r, 12, B62),
                                               "Token expired"]), "AUTHENTICATION", lower=True)
    elif p == "xero":
        status, body = 401, xero_problem(c, 401, "Unauthorized", f"TokenExpired: token expired at {exp:%m/%d/%Y %H:%M:%S}")
        hdr = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    elif p == "docusign":
        status, body = 401, ds_err("AUTHORIZATION_INVALID_TOKEN", "The access token provided is expired, revoked or malformed.")
    else:
        status, body = 401, fedex_err(c, "NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again.")
    human = ('access token for {vendor} expired at {exp}; call made without refreshing'
             '|{vendor} rejected bearer token: lifetime exceeded (token age {age}s)'
             '|cached OAuth token is stale (exp={exp_epoch} < now={now_epoch}), refresh was not attempted before calling {op}'
             '|bearer token past its expiry; a refresh is needed before retrying {tool}')
    return http_cause(c, status, body, human, "UNAUTHENTICATED",
                      'WWW-Authenticate: Bearer error="invalid_token", error_description="The access token expired"', hdr)

def c_credentials_revoked(c):
    r, p = c.r, c.p
    if p == "amadeus":
        status, body = pick(r, [(401, {"error": "invalid_client", "error_description": "Client credentials are invalid", "code": 38187, "title": "Invalid parameters"}),
                                (401, {"errors": [{"code": 38193, "title": "Access token revoked", "detail": "The access token is revoked", "status": 401}]}),
                                (401, {"errors": [{"code": 39683, "title": "API key revoked", "detail": "The API key has been revoked", "status": 401}]})])
    elif p == "plaid":
        status, body = 400, pick(r, [plaid_err(c, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided", "invalid-input-errors"),
                                     plaid_err(c, "INVALID_INPUT", "INVALID_ACCESS_TOKEN", "could not find matching access token", "invalid-input-errors")])
    elif p in ("quickbooks", "xero"):
        status, body = 400, {"error": "invalid_grant"}
        c.url = TOKEN_URL[p]
    elif p == "docusign":
        status, body = pick(r, [(400, {"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"}),
                                (401, ds_err("USER_AUTHENTICATION_FAILED", "One or both of Username and Password are invalid. Invalid access token"))])
    elif p == "ups":
        status, body = 401, pick(r, [ups_err("250002", "Invalid Authentication Information."), ups_err("10401", "ClientId is Invalid")])
    elif p == "duffel":
        status, body = 401, duffel_err(c, 401, "authentication_error", "access_token_not_found", "Access token not found",
                                       "The access token used is not recognized by our system")
    else:
        status, body = 401, fedex_err(c, "NOT.AUTHORIZED.ERROR", "The given client credentials were not valid. Please modify your request and try again.")
    c.f.update(since=pick(r, ["yesterday", "this morning", f"{r.randint(2, 9)} days ago", "after the admin offboarding"]))
    human = ('{vendor} refused the stored credentials: the connection was revoked ({since})'
             '|refresh token for tenant {tenant} is invalid or was revoked; the {vendor} integration must be reconnected'
             '|client id/secret pair is not recognised by {vendor} (rotated or deleted keys?)'
             '|authorization grant rejected by {vendor}; app access was removed by an administrator')
    return http_cause(c, status, body, human, "UNAUTHENTICATED", pick(r, ['error="invalid_grant"', "(invalid_client)", "credentials rejected"]))

SCOPES = {"quickbooks": ("com.intuit.quickbooks.accounting", "openid profile email com.intuit.quickbooks.payment"),
          "xero": ("accounting.transactions", "offline_access accounting.transactions.read accounting.contacts.read"),
          "docusign": ("signature impersonation", "signature")}

def c_scope_missing(c):
    p = c.p
    need, have = SCOPES[p]
    c.f.update(scope=need, granted=have)
    hdr = {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{need}"'}
    if p == "quickbooks":
        status, body = 403, qbo_fault(c, "3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", "",
                                      "AUTHENTICATION", lower=True)
    elif p == "xero":
        status, body = 403, xero_problem(c, 403, "Forbidden", "AuthorizationUnsuccessful")
    else:
        status, body = 400, {"error": "consent_required"}
        c.url = TOKEN_URL[p]
    human = ("token lacks the '{scope}' scope required for {op}"
             '|{vendor} denied {op}: granted scopes [{granted}] do not include {scope}'
             '|app was authorised without {scope}; user must re-consent with the additional scope'
             '|insufficient_scope calling {path} (need {scope})')
    return http_cause(c, status, body, human, "PERMISSION_DENIED", f'WWW-Authenticate: Bearer error="insufficient_scope", scope="{need}"', hdr)

def c_feature_not_enabled(c):
    r, p, v = c.r, c.p, c.v
    if p == "plaid":
        prod = {"plaid.get_identity": "identity", "plaid.create_transfer": "transfer"}.get(c.t["name"], "transactions")
        feat = prod
        status, body = 400, plaid_err(c, "INVALID_INPUT", "INVALID_PRODUCT", f'client is not authorized to access the following products: ["{prod}"]', "invalid-input-errors")
    elif p == "fedex":
        feat = "Ship API (production)" if "ship" in c.t["tags"] else "Rate API"
        status, body = 403, fedex_err(c, "FORBIDDEN.ERROR", "We could not authorize your credentials. Please check your permissions and try again.")
    elif p == "docusign":
        feat = pick(r, ["templates via API", "SMS delivery", "Bulk Send"])
        status, body = 400, ds_err("ACCOUNT_LACKS_PERMISSIONS", "This Account lacks sufficient permissions.")
    else:
        v["cur"] = v["cur_arg"] = pick(r, ["EUR", "GBP", "CAD", "AUD", "JPY", "CHF"])
        feat = f"multicurrency ({v['cur']})"
        if p == "quickbooks":
            status, body = 400, qbo_fault(c, "6000", "A business validation error has occurred while processing your request",
                                          f"Business Validation Error: Multicurrency is not turned on for this company. Turn it on before using currency {v['cur']}.")
        else:
            status, body = 400, xero_validation(c, [f"Organisation is not subscribed to currency {v['cur']}"])
    c.f.update(feature=feat)
    human = ('{vendor} account for tenant {tenant} does not have {feature} enabled'
             "|feature '{feature}' is not part of this organisation's {vendor} subscription"
             '|{op} needs {feature}, which is switched off in the {vendor} account settings'
             '|product/feature not provisioned on the {vendor} account: {feature}')
    return http_cause(c, status, body, human, pick(r, ["PERMISSION_DENIED", "FAILED_PRECONDITION"]), "(feature not enabled for account)")

def c_rate_limited(c):
    r, p = c.r, c.p
    ra = r.randint(1, 60)
    c.f.update(ra=ra, win=pick(r, [1, 10, 60]), rpm=pick(r, [10, 30, 60, 120, 300]))
    hdr = {"Retry-After": str(ra)}
    if p == "amadeus":
        status, body = 429, {"errors": [{"code": 38194, "title": "Too many requests", "detail": "The network rate limit is exceeded, please try again later", "status": 429}]}
    elif p == "plaid":
        code = {"plaid.get_transactions": "TRANSACTIONS_LIMIT", "plaid.get_balance": "BALANCE_LIMIT"}.get(c.t["name"], "ACCOUNTS_LIMIT")
        status, body = 429, plaid_err(c, "RATE_LIMIT_EXCEEDED", code, "rate limit exceeded for attempts to access this item. please try again later", "rate-limit-exceeded-errors")
    elif p == "quickbooks":
        status, body = 429, qbo_fault(c, "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429", "The request limit was reached.", "SERVICE")
    elif p == "xero":
        status, body = 429, ""
        hdr.update({"X-Rate-Limit-Problem": pick(r, ["minute", "minute", "appminute"]), "X-MinLimit-Remaining": "0"})
    elif p == "docusign":
        status, body = 429, ds_err("HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "The maximum number of hourly API invocations has been exceeded. The hourly limit is 3000.")
        hdr.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(c.ts.timestamp()) + ra * 60)})
    elif p == "duffel":
        status, body = 429, duffel_err(c, 429, "rate_limit_error", "rate_limit_exceeded", "Rate limit exceeded",
                                       "Too many requests hit the API too quickly. Please retry your request after the time specified in the ratelimit-reset header")
        hdr.update({"ratelimit-remaining": "0", "ratelimit-reset": http_date(c.ts + timedelta(seconds=ra))})
    elif p == "fedex":
        status, body = 429, fedex_err(c, "TOO.MANY.REQUESTS", "We have received too many requests in a short duration. Please wait a while to try again.")
    else:
        status, body = 429, ups_err("429", "Too Many Requests")
    human = ('throttled by {vendor}: too many calls in the last {win}s, retry after {ra}s'
             '|burst limit hit ({rpm} req/min for this client), backing off {ra}s'
             '|{vendor} answered 429 with Retry-After={ra}; request not retried'
             '|concurrent request cap reached for tenant {tenant}, call to {op} dropped')
    extra = {"gateway_json": lambda: json.dumps(pick(r, [
        {"fault": {"faultstring": f"Spike arrest violation. Allowed rate : MessageRate{{messagesPerPeriod={c.f['rpm'] // 6 or 1}, periodInMicroseconds=1000000, maxBurstMessageCount=1.0}}",
                   "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"}}},
        {"message": "Too Many Requests"}])),
        "html_page": lambda: nginx_page(r, 429, "Too Many Requests") if r.random() < 0.5 else cf_page(c, 1015, "You are being rate limited")}
    return http_cause(c, status, body, human, "RESOURCE_EXHAUSTED", f"Retry-After: {ra}", hdr, extra, {"gateway_json": 2, "html_page": 1})

def c_quota_exhausted(c):
    r, p, ts = c.r, c.p, c.ts
    reset = (ts.replace(day=1) + timedelta(days=32)).replace(day=1)
    limit = pick(r, [1000, 5000, 10000, 25000, 50000])
    c.f.update(limit=limit, used=limit, reset=reset.strftime("%Y-%m-%d"), period=pick(r, ["monthly", "monthly", "daily"]))
    hdr = None
    if p == "xero":
        status, body = 429, ""
        hdr = {"Retry-After": str(r.randint(3600, 80000)), "X-Rate-Limit-Problem": "day", "X-DayLimit-Remaining": "0"}
        c.f["period"] = "daily"
    else:
        status, body = pick(r, [
            (429, {"fault": {"faultstring": f"Rate limit quota violation. Quota limit  exceeded. Identifier : {c.f['tenant']}",
                             "detail": {"errorcode": "policies.ratelimit.QuotaViolation"}}}),
            (429, {"message": "Limit Exceeded"}),
            (402, {"error": {"type": "quota_exceeded", "message": f"{c.f['period'].capitalize()} plan quota for connector '{p}' exhausted ({limit}/{limit} calls). Upgrade the plan or wait until {c.f['reset']}."}})])
        hdr = {"Content-Type": "application/json"}
    human = ('{period} API quota for {vendor} exhausted ({used}/{limit}); resets {reset}'
             '|plan allowance used up for tenant {tenant}: no further {vendor} calls until {reset}'
             '|usage cap of {limit} calls on the current tier reached; request to {op} refused'
             '|{vendor} call budget for this billing period is spent')
    return http_cause(c, status, body, human, "RESOURCE_EXHAUSTED", pick(r, ["X-Rate-Limit-Problem: day", "(quota exceeded)", None]), hdr)

def c_field_validation(c):
    r, p, v, name = c.r, c.p, c.v, c.t["name"]
    if p == "amadeus":
        if "search" in name:
            fld, (code, title, det) = pick(r, [("cityCode" if "hotel" in name else "destinationLocationCode", (32171, "MANDATORY DATA MISSING", "This field must be filled.")),
                                                ("adults", (572, "INVALID OPTION", "adults must be between 1 and 9"))])
            src = {"parameter": fld}
        else:
            fld, (code, title, det) = pick(r, [("/data/travelers[0]/name/lastName", (4926, "INVALID DATA RECEIVED", "Passenger name is invalid")),
                                                ("/data/travelers[0]/contact/phones", (32171, "MANDATORY DATA MISSING", "This field must be filled.")),
                                                ("/data/travelers[0]/dateOfBirth", (32171, "MANDATORY DATA MISSING", "This field must be filled."))])
            src = {"pointer": fld}
        status, body = 400, {"errors": [{"status": 400, "code": code, "title": title, "detail": det, "source": src}]}
    elif p == "duffel":
        fld = pick(r, ["born_on", "phone_number", "gender", "title"])
        status, body = 422, duffel_err(c, 422, "validation_error", "validation_required", "Required field",
                                       f"Field '{fld}' can't be blank", {"field": fld, "pointer": f"/passengers/0/{fld}"})
    elif p == "fedex":
        fld = pick(r, ["requestedShipment.recipients[0].address.postalCode", "requestedShipment.shipper.contact.phoneNumber",
                       "requestedShipment.requestedPackageLineItems[0].weight.value"])
        status, body = 400, fedex_err(c, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input", {"parameterList": [{"key": "FIELD", "value": fld}]})
    elif p == "ups":
        fld, (code, m) = pick(r, [("ShipTo.Address", ("120802", "Address Validation Error on ShipTo address")),
                                   ("Shipper.ShipperNumber", ("120100", "Missing or invalid shipper number")),
                                   ("ShipTo.Phone.Number", ("120217", "ShipTo phone number must be at least 10 alphanumeric characters"))])
        status, body = 400, ups_err(code, m)
    elif p == "plaid":
        fld, (code, m) = pick(r, [("options.count", ("INVALID_FIELD", "count must be at most 500")),
                                   ("account_ids", ("INVALID_FIELD", "account_ids must be a non-empty list of valid account_id strings")),
                                   ("access_token", ("MISSING_FIELDS", "the following required fields are missing: access_token"))])
        status, body = 400, plaid_err(c, "INVALID_REQUEST", code, m, "invalid-request-errors")
    elif p == "quickbooks":
        if name == "quickbooks.query":
            fld = pick(r, ["Balance", "CustomerName", "Amount"])
            status, body = 400, qbo_fault(c, "4001", "Invalid query", f"QueryValidationError: property '{fld}' is not queryable")
        else:
            fld, (code, m, d) = pick(r, [("Line.DetailType", ("2020", "Required param missing, need to supply the required value for the API", "Required parameter Line.DetailType is missing in the request")),
                                          ("Line.Amount", ("2020", "Required param missing, need to supply the required value for the API", "Required parameter Line.Amount is missing in the request")),
                                          ("DocNumber", ("2050", "Invalid String", f"String length is either shorter or longer than supported by specification. Min:0 inclusive Max:21 inclusive. Supplied value:{v['inv_no']}-{digits(r, 18)}"))])
            status, body = 400, qbo_fault(c, code, m, d)
    elif p == "xero":
        fld, m = pick(r, [("AccountCode", f"Account code '{v['acct_code']}' is not a valid code for this document."),
                          ("Contact", "A Contact must be specified for this type of transaction"),
                          ("EmailAddress", "Email address must be valid."),
                          ("TaxType", f"The TaxType code 'OUTPUT2' cannot be used with account code '{v['acct_code']}'.")])
        status, body = 400, xero_validation(c, [m])
    else:
        fld, (code, m) = pick(r, [("email", ("INVALID_EMAIL_ADDRESS_FOR_RECIPIENT", "The email address for the recipient is invalid. The recipient Id follows.")),
                                   ("documents", ("ENVELOPE_IS_INCOMPLETE", "The Envelope is not Complete. A Complete Envelope Requires Documents, Recipients, Tabs, and a Subject Line."))])
        if fld == "email":
            v["email"] = pick(r, [v["email"].replace("@", "@@"), v["email"].split("@")[0], v["email"].replace("@", " at "), v["email"] + ","])
        status, body = 400, ds_err(code, m)
    c.f.update(field=fld.split(".")[-1].split("/")[-1])
    human = ("request rejected by {vendor}: required field '{field}' missing or empty"
             "|{vendor} says the value supplied for '{field}' is not acceptable|payload for {op} failed schema validation on {field}"
             "|invalid input for {tool}: check '{field}'")
    return http_cause(c, status, body, human, "INVALID_ARGUMENT", f"(validation failed: {c.f['field']})")

def c_malformed(c):
    r, p, v, t = c.r, c.p, c.v, c.t
    use_cur = "currency" in t["tags"] and ("dated" not in t["tags"] or r.random() < 0.45)
    if use_cur:
        bad = v["cur_arg"] = pick(r, BAD_CUR)
        fld = {"amadeus": "currencyCode" if "flight" in t["name"] else "currency", "duffel": "currency",
               "quickbooks": "CurrencyRef", "xero": "CurrencyCode"}[p]
    else:
        key = {"plaid": "start", "docusign": "start", "quickbooks": "txn" if "ledger" in t["tags"] else "start"}.get(p, "txn" if p == "xero" else "dep")
        bad = bad_date(r, v[key])
        v[key] = bad
        fld = {"amadeus": "checkInDate" if "hotel" in t["name"] else "departureDate", "duffel": "departure_date",
               "plaid": "start_date", "docusign": "from_date", "xero": "Date"}.get(p, "TxnDate" if key == "txn" else "start_date")
    c.f.update(bad=bad, field=fld, kind="currency code" if use_cur else "date")
    if p == "amadeus":
        det = "Invalid currency code, must be ISO 4217" if use_cur else f"{fld} must be in format YYYY-MM-DD"
        status, body = 400, {"errors": [{"status": 400, "code": 477, "title": "INVALID FORMAT", "detail": det,
                                         "source": {"parameter": fld, "example": "EUR" if use_cur else "2024-11-22"}}]}
    elif p == "duffel":
        m = f"Field '{fld}' must be a valid ISO 4217 currency code" if use_cur else f"Field '{fld}' must be a date in the format YYYY-MM-DD"
        ptr = "/payments/0/currency" if use_cur else "/slices/0/departure_date"
        status, body = 422, duffel_err(c, 422, "validation_error", "validation_format", "Invalid format", m, {"field": fld, "pointer": ptr})
    elif p == "plaid":
        status, body = 400, plaid_err(c, "INVALID_REQUEST", "INVALID_FIELD", f"{fld} must be a valid date in YYYY-MM-DD format", "invalid-request-errors")
    elif p == "quickbooks":
        if t["name"] == "quickbooks.query":
            status, body = 400, qbo_fault(c, "4000", "Error parsing query",
                                          f"QueryParserError: Encountered \" <INTEGER> \"{bad.split('/')[-1]} \"\" at line 1, column {r.randint(38, 60)}.")
        elif use_cur:
            status, body = 400, qbo_fault(c, "2010", "Request has invalid or unsupported property",
                                          f"Property Name:Can not construct instance of com.intuit.schema.finance.v3.ReferenceType from String value '{bad}' specified is unsupported or invalid")
        else:
            status, body = 400, qbo_fault(c, "2010", "Request has invalid or unsupported property",
                                          f"Property Name:Unparseable date: \"{bad}\" specified is unsupported or invalid")
    elif p == "xero":
        typ = "Xero.API.Library.DataContracts.CurrencyCode" if use_cur else "System.Nullable`1[System.DateTime]"
        status, body = 400, {"ErrorNumber": 14, "Type": "PostDataInvalidException",
                             "Message": f"JSON for post data was invalid,Error converting value \"{bad}\" to type '{typ}'. Path 'Invoices[0].{fld}', line 1, position {r.randint(60, 240)}."}
    else:
        status, body = 400, ds_err("INVALID_REQUEST_PARAMETER", f"The request contained at least one invalid parameter. Invalid value specified for {fld}.")
    human = ("could not parse {kind} '{bad}' for {field} (expected ISO format)"
             "|{field} must be ISO-8601 / ISO-4217 formatted, got '{bad}'|'{bad}' is not a valid {kind} for {vendor}"
             "|bad {kind} format in {op} arguments: {field}='{bad}'")
    return http_cause(c, status, body, human, "INVALID_ARGUMENT", None)

def c_bank_reauth(c):
    r = c.r
    body = plaid_err(c, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED",
                     "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
                     "item-errors")
    c.f.update(days=r.randint(1, 40))
    human = ('bank connection {item} needs the user to sign in again via Link update mode'
             '|{inst} login for this linked account changed (password or MFA); user must re-authenticate'
             '|linked account at {inst} is in an error state until the account holder logs in again'
             '|item {item} requires user action at {inst} before data can be fetched (stale for {days} days)')
    return http_cause(c, 400, body, human, "FAILED_PRECONDITION", "(ITEM_ERROR)")

def c_stale_offer(c):
    r, p, v = c.r, c.p, c.v
    old = v["amount"]
    new = round(old * r.uniform(1.03, 1.4), 2)
    exp = c.ts - timedelta(minutes=r.randint(1, 300))
    c.f.update(old=old, new=new, exp=exp.strftime("%Y-%m-%dT%H:%M:%SZ"), offer=v["duffel_offer"] if p == "duffel" else v["am_offer"])
    if p == "amadeus":
        status, body = 400, pick(r, [
            {"errors": [{"status": 400, "code": 37200, "title": "PRICE DISCREPANCY", "detail": f"Current grandTotal price ({new}) is different from request one ({old})"}]},
            {"errors": [{"status": 400, "code": 34651, "title": "SEGMENT SELL FAILURE", "detail": "Could not sell segment 1"}]}])
    else:
        status, body = 422, pick(r, [
            duffel_err(c, 422, "invalid_state_error", "offer_no_longer_available", "Offer no longer available",
                       "The requested offer is no longer available, please search again"),
            duffel_err(c, 422, "invalid_state_error", "price_changed", "Price changed",
                       f"The price of the offer has changed since it was retrieved. Latest total_amount is {new} {v['cur']}")])
    human = ('offer {offer} expired at {exp} before it could be booked|fare changed between search and booking ({old} -> {new} {cur})'
             '|selected flight offer is stale; a fresh search is required'
             '|seats in the chosen offer are no longer sellable at the quoted price')
    return http_cause(c, status, body, human, pick(r, ["FAILED_PRECONDITION", "ABORTED"]), None)

def c_tracking_not_found(c):
    r, p, v = c.r, c.p, c.v
    trk = v["fedex_trk"] if p == "fedex" else v["ups_trk"]
    c.f.update(trk=trk)
    if p == "fedex":
        status, body = 200, {"transactionId": guid(r), "output": {"completeTrackResults": [{"trackingNumber": trk, "trackResults": [
            {"trackingNumberInfo": {"trackingNumber": trk, "trackingNumberUniqueId": "", "carrierCode": ""},
             "error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND", "message": "Tracking number cannot be found. Please correct the tracking number and try again."}}]}]}}
    else:
        status, body = pick(r, [(200, {"trackResponse": {"shipment": [{"inquiryNumber": trk, "package": [], "userRelation": [],
                                                                         "warnings": [{"code": "TW0001", "message": "Tracking Information Not Found"}]}]}}),
                                (404, ups_err("151044", "No tracking information available"))])
    human = ('no shipment found for tracking number {trk}|carrier has no record of {trk} (mistyped or not yet scanned)'
             '|{vendor} lookup for {trk} returned no results|unknown tracking id {trk}')
    return http_cause(c, status, body, human, "NOT_FOUND", None)

def c_period_locked(c):
    r, p, v, ts = c.r, c.p, c.v, c.ts
    lock = ts.date().replace(day=1) - timedelta(days=1)
    for _ in range(pick(r, [0, 0, 1, 2])):
        lock = lock.replace(day=1) - timedelta(days=1)
    doc = lock - timedelta(days=r.randint(0, 80))
    v["txn"], v["txn_h"], v["month"] = doc.isoformat(), hdate(doc), MONTHS[doc.month - 1]
    c.f.update(close=lock.isoformat(), date=doc.isoformat(), txn_h=v["txn_h"], month=v["month"])
    if p == "quickbooks":
        status, body = 400, qbo_fault(c, "6210", "Account Period Closed, Cannot Update Through Services API",
                                      "The account period has closed and the account books cannot be updated through through the QBO Services API. Please use the QBO website to make these changes.")
    else:
        ld = f"{lock.day:02d}-{MONS[lock.month - 1]}-{lock.year}"
        msgs = [f"The document date cannot be before the period lock date, currently set at {ld}"]
        if r.random() < 0.4:
            msgs.append(f"The document date cannot be before the end of year lock date, currently set at {ld}")
        status, body = 400, xero_validation(c, msgs)
    human = ('books are closed through {close}; a transaction dated {date} cannot be posted'
             '|accounting period ending {close} is locked, edits need an admin to reopen it'
             '|posting rejected because {date} falls inside a closed period|lock date {close} prevents writing the {month} entry')
    return http_cause(c, status, body, human, "FAILED_PRECONDITION", None)

# ------------------------------------------------------------------------------ infrastructure + code bug
INFRA_W = {"html_page": 3, "http_wrapper": 2, "python_tb": 4, "node_error": 3, "java_trace": 2, "dotnet_exc": 2,
           "grpc_status": 1, "log_line": 3, "status_line": 1}
CONNECT_FRAME = ("System.Net.Http.HttpConnectionPool.ConnectToTcpHostAsync(String host, Int32 port, HttpRequestMessage "
                 "initialRequest, Boolean async, CancellationToken cancellationToken)")

def pick_form(c, spec, weights=INFRA_W):
    form = wpick(c.r, {f: w for f, w in weights.items() if f in spec})
    val = spec[form]
    return form, pick(c.r, val) if isinstance(val, list) else val

def py_net(c, last="raise ConnectionError(e, request=request)"):
    r = c.r
    if r.random() < 0.3:
        return runner_frames(c) + [
            (f"{SITE}/httpx/_client.py", pick(r, [1014, 1054]), "_send_single_request", "response = transport.handle_request(request)"),
            (f"{SITE}/httpx/_transports/default.py", pick(r, [232, 249]), "handle_request", "with map_httpcore_exceptions():"),
            ("/usr/lib/python3.11/contextlib.py", 155, "__exit__", "self.gen.throw(typ, value, traceback)"),
            (f"{SITE}/httpx/_transports/default.py", pick(r, [77, 118]), "map_httpcore_exceptions", "raise mapped_exc(message) from exc")], "httpx"
    return runner_frames(c) + requests_frames(r, last), "requests"

def node_err(c, head, site, fields):
    body = ",\n".join(f"  {k}: {v if isinstance(v, int) else repr(v)}" for k, v in fields.items())
    return f"{head}\n    at {site}\n" + "\n".join(node_frames(c)) + " {\n" + body + "\n}"

def nginx_log(c, msg, req=True):
    r = c.r
    s = (f"{c.ts:%Y/%m/%d %H:%M:%S} [error] {r.randint(20, 90)}#{r.randint(20, 90)}: *{r.randint(1000, 9999999)} {msg}, "
         f"client: {ipv4(r)}, server: integrations-gw")
    return s + (f', request: "{c.t["method"]} /{c.p}{c.path} HTTP/1.1", host: "integrations-gw.internal"' if req else "")

def c_gateway_timeout(c):
    r = c.r
    secs = pick(r, [10, 15, 20, 30, 30, 60, 90])
    c.f.update(secs=secs, el=round(secs + r.uniform(0.001, 0.9), 3))
    fr, lib = py_net(c, "raise ReadTimeout(e, request=request)")
    sock = ["java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)",
            "java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)",
            "java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)"]
    elb = "<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n<center><h1>504 Gateway Time-out</h1></center>\n</body>\n</html>\n"
    return pick_form(c, {
        "html_page": [nginx_page(r, 504, "Gateway Time-out"), elb, cf_page(c, 524, "A timeout occurred")],
        "http_wrapper": [wrapper(c, 504, {"message": "Endpoint request timed out"}, {"x-amzn-RequestId": guid(r), "x-amzn-ErrorType": "InternalServerErrorException"}),
                         wrapper(c, 504, elb, {"Content-Type": "text/html"}, "awselb/2.0")],
        "python_tb": tb(fr, "httpx.ReadTimeout: The read operation timed out" if lib == "httpx" else
                        f"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{c.host}', port=443): Read timed out. (read timeout={secs})"),
        "node_error": [node_err(c, f"AxiosError: timeout of {secs * 1000}ms exceeded", "RedirectableRequest.handleRequestTimeout "
                                f"(/srv/app/node_modules/axios/dist/node/axios.cjs:{r.choice([3092, 3178])}:16)", {"code": "ECONNABORTED", "timeout": secs * 1000}),
                       node_err(c, "Error: read ETIMEDOUT", "TLSWrap.onStreamRead (node:internal/stream_base_commons:218:20)",
                                {"errno": -110, "code": "ETIMEDOUT", "syscall": "read"})],
        "java_trace": [java_trace("java.net.SocketTimeoutException", "Read timed out", sock + japp(c)),
                       java_trace("org.springframework.web.client.ResourceAccessException", f'I/O error on {c.t["method"]} request for "{c.url}": Read timed out',
                                  ["org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:915)",
                                   "org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:895)"] + japp(c),
                                  ("java.net.SocketTimeoutException: Read timed out", sock))],
        "dotnet_exc": dotnet("System.Threading.Tasks.TaskCanceledException",
                             f"The request was canceled due to the configured HttpClient.Timeout of {secs} seconds elapsing.",
                             ["System.Net.Http.HttpClient.HandleFailure(Exception e, Boolean telemetryStarted, HttpResponseMessage response, "
                              "CancellationTokenSource cts, CancellationToken cancellationToken, CancellationTokenSource pendingRequestsCts)"] + dn_app(c),
                             "System.TimeoutException: The operation was canceled.\n ---> System.Threading.Tasks.TaskCanceledException: The operation was canceled."),
        "grpc_status": grpc(c, "DEADLINE_EXCEEDED", pick(r, ["Deadline Exceeded", "context deadline exceeded",
                                                             f"deadline of {secs}s exceeded while awaiting {c.vendor} response"])),
        "log_line": [nginx_log(c, "upstream timed out (110: Connection timed out) while reading response header from upstream"),
                     log_line(c, c.fill(pick(r, ["tool call {tool} exceeded deadline of {secs}s (elapsed {el}s)",
                                                 "no response from {vendor} within {secs}s, giving up",
                                                 "upstream {host} did not answer before the {secs}s timeout"])))],
        "status_line": status_line(c, 504, pick(r, ["Server: awselb/2.0", "x-amzn-ErrorType: InternalServerErrorException", None]))})

def c_network(c):
    r, host = c.r, c.host
    kind = wpick(r, {"refused": 4, "reset": 3, "dns": 3})
    ip = ipv4(r)
    c.f.update(addr=pick(r, [ip, "egress-proxy.corp.internal:3128"]))
    fr, lib = py_net(c)
    obj = f"<urllib3.connection.HTTPSConnection object at 0x7f{hx(r, 10)}>"
    pool = f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {c.path}"
    if kind == "refused":
        k = dict(py=f"{pool} (Caused by NewConnectionError('{obj}: Failed to establish a new connection: [Errno 111] Connection refused'))",
                 hx="httpx.ConnectError: [Errno 111] Connection refused",
                 node=node_err(c, f"Error: connect ECONNREFUSED {ip}:443", "TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)",
                               {"errno": -111, "code": "ECONNREFUSED", "syscall": "connect", "address": ip, "port": 443}),
                 java=java_trace("java.net.ConnectException", "Connection refused", ["java.base/sun.nio.ch.Net.pollConnect(Native Method)",
                                 "java.base/sun.nio.ch.Net.pollConnectNow(Net.java:682)",
                                 "java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:542)"] + japp(c)),
                 dn=dotnet("System.Net.Http.HttpRequestException", f"Connection refused ({host}:443)", [CONNECT_FRAME] + dn_app(c),
                           "System.Net.Sockets.SocketException (111): Connection refused"),
                 grpc=f"failed to connect to all addresses; last error: UNKNOWN: ipv4:{ip}:443: Failed to connect to remote host: Connection refused",
                 ngx="connect() failed (111: Connection refused) while connecting to upstream",
                 human="could not open a connection to {vendor} via {addr}: refused|egress to {host} refused by {addr}",
                 html=[cf_page(c, 521, "Web server is down"), nginx_page(r, 502, "Bad Gateway")])
    elif kind == "dns":
        code, no = pick(r, [("ENOTFOUND", -3008), ("EAI_AGAIN", -3001)])
        k = dict(py=f"{pool} (Caused by NameResolutionError(\"{obj}: Failed to resolve '{host}' ([Errno -3] Temporary failure in name resolution)\"))",
                 hx="httpx.ConnectError: [Errno -2] Name or service not known",
                 node=node_err(c, f"Error: getaddrinfo {code} {host}", "GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:120:26)",
                               {"errno": no, "code": code, "syscall": "getaddrinfo", "hostname": host}),
                 java=java_trace("java.net.UnknownHostException", f"{host}: Name or service not known",
                                 ["java.base/java.net.Inet6AddressImpl.lookupAllHostAddr(Native Method)",
                                  "java.base/java.net.InetAddress$PlatformResolver.lookupByName(InetAddress.java:1211)"] + japp(c)),
                 dn=dotnet("System.Net.Http.HttpRequestException", f"Name or service not known ({host}:443)", [CONNECT_FRAME] + dn_app(c),
                           "System.Net.Sockets.SocketException (0xFFFDFFFF): Name or service not known"),
                 grpc=f"DNS resolution failed for {host}:443: C-ares status is not ARES_SUCCESS qtype=A name={host} is_balancer=0: Could not contact DNS servers",
                 ngx=f"{host} could not be resolved (3: Host not found)",
                 human="cannot resolve {host}: no DNS answer|name lookup for {host} failed (resolver timeout)", html=nginx_page(r, 502, "Bad Gateway"))
    else:
        k = dict(py="requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
                 hx="httpx.ReadError: [Errno 104] Connection reset by peer",
                 node=[node_err(c, "Error: socket hang up", "TLSSocket.socketOnEnd (node:_http_client:524:23)", {"code": "ECONNRESET"}),
                       node_err(c, "Error: read ECONNRESET", "TLSWrap.onStreamRead (node:internal/stream_base_commons:218:20)",
                                {"errno": -104, "code": "ECONNRESET", "syscall": "read"})],
                 java=java_trace("java.net.SocketException", "Connection reset", ["java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:318)",
                                 "java.base/sun.security.ssl.SSLSocketInputRecord.read(SSLSocketInputRecord.java:489)"] + japp(c)),
                 dn=dotnet("System.Net.Http.HttpRequestException", "An error occurred while sending the request.",
                           ["System.Net.Http.HttpConnection.SendAsync(HttpRequestMessage request, Boolean async, CancellationToken cancellationToken)"] + dn_app(c),
                           "System.IO.IOException: Unable to read data from the transport connection: Connection reset by peer.\n"
                           " ---> System.Net.Sockets.SocketException (104): Connection reset by peer"),
                 grpc="Connection reset by peer", ngx="recv() failed (104: Connection reset by peer) while reading response header from upstream",
                 human="connection to {host} dropped mid-response (reset by peer)|{vendor} socket closed unexpectedly while reading",
                 html=nginx_page(r, 502, "Bad Gateway"))
    return pick_form(c, {
        "html_page": k["html"], "python_tb": tb(fr, k["hx"] if lib == "httpx" else k["py"]), "node_error": k["node"],
        "http_wrapper": wrapper(c, 502, nginx_page(r, 502, "Bad Gateway"), {"Content-Type": "text/html"}, pick(r, ["nginx", "awselb/2.0"])),
        "java_trace": k["java"], "dotnet_exc": k["dn"], "grpc_status": grpc(c, "UNAVAILABLE", k["grpc"]),
        "log_line": [nginx_log(c, k["ngx"]), log_line(c, c.fill(pick(r, k["human"].split("|"))))],
        "status_line": status_line(c, 502, pick(r, ["Server: nginx", "Server: awselb/2.0", None]))})

def c_tls(c):
    r, host = c.r, c.host
    kind = wpick(r, {"issuer": 4, "expired": 2, "selfsigned": 2, "hostname": 1})
    c.f.update(proxy=pick(r, ["Globex Corp SSL Inspection CA", "Zscaler Intermediate Root CA", "Netskope Inc Certificate Authority"]))
    reason, ncode, nmsg, why = {
        "issuer": ("unable to get local issuer certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate",
                   "errors in the certificate chain: UntrustedRoot"),
        "expired": ("certificate has expired", "CERT_HAS_EXPIRED", "certificate has expired", "errors in the certificate chain: NotTimeValid"),
        "selfsigned": ("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain",
                       "errors in the certificate chain: PartialChain"),
        "hostname": (f"Hostname mismatch, certificate is not valid for '{host}'.", "ERR_TLS_CERT_ALTNAME_INVALID",
                     f"Hostname/IP does not match certificate's altnames: Host: {host}. is not in the cert's altnames: DNS:*.corp.internal",
                     "RemoteCertificateNameMismatch")}[kind]
    fr, lib = py_net(c, "raise SSLError(e, request=request)")
    core = f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {reason} (_ssl.c:{pick(r, [1006, 1007, 992])})"
    jmsg = ("PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed" if kind == "expired" else
            "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target")
    cf = cf_page(c, 526, "Invalid SSL certificate")
    return pick_form(c, {
        "html_page": cf, "http_wrapper": wrapper(c, 526, cf, {"Content-Type": "text/html"}, "cloudflare"),
        "python_tb": tb(fr, f"httpx.ConnectError: {core}" if lib == "httpx" else
                        f"requests.exceptions.SSLError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {c.path} "
                        f"(Caused by SSLError(SSLCertVerificationError(1, '{core}')))"),
        "node_error": node_err(c, f"Error: {nmsg}", "TLSSocket.onConnectSecure (node:_tls_wrap:1674:34)", {"code": ncode}),
        "java_trace": java_trace("javax.net.ssl.SSLHandshakeException", jmsg, ["java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130)",
                                 "java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:378)",
                                 "java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1304)"] + japp(c)),
        "dotnet_exc": dotnet("System.Net.Http.HttpRequestException", "The SSL connection could not be established, see inner exception.",
                             ["System.Net.Http.ConnectHelper.EstablishSslConnectionAsync(SslClientAuthenticationOptions sslOptions, HttpRequestMessage request, "
                              "Boolean async, Stream stream, CancellationToken cancellationToken)"] + dn_app(c),
                             f"System.Security.Authentication.AuthenticationException: The remote certificate is invalid because of {why}"),
        "grpc_status": grpc(c, "UNAVAILABLE", "Ssl handshake failed: SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED"),
        "log_line": [nginx_log(c, "SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed) while SSL handshaking to upstream", False),
                     log_line(c, c.fill(pick(r, ["TLS verify failed for {host}: chain issued by '{proxy}' is not in the trust store",
                                                 "certificate presented by {host} could not be validated (expired or untrusted)",
                                                 "handshake with {vendor} aborted: server certificate not trusted"])))]},
        {**INFRA_W, "html_page": 1, "status_line": 0})

BUG_PY = {
    "amadeus": [("price = offer['price']['grandTotal']", "KeyError: 'grandTotal'"), ("segs = resp.data[0]['itineraries'][0]['segments']", "IndexError: list index out of range"),
                ("carrier = resp.result['dictionaries']['carriers'][seg['carrierCode']]", "KeyError: 'dictionaries'")],
    "duffel": [("total = Decimal(offer.total_amount) + offer.tax_amount", "TypeError: unsupported operand type(s) for +: 'decimal.Decimal' and 'str'"),
               ("first = order.slices[0].segments[0]", "IndexError: list index out of range"), ("owner = offer.owner.iata_code.upper()", "AttributeError: 'NoneType' object has no attribute 'upper'")],
    "fedex": [("events = res['scanEvents']", "KeyError: 'scanEvents'"), ("eta = res['estimatedDeliveryTimeWindow']['window']['ends']", "KeyError: 'ends'"),
              ("label = piece['packageDocuments'][0]['encodedLabel']", "TypeError: 'NoneType' object is not subscriptable")],
    "ups": [("status = pkg['activity'][0]['status']['description']", "KeyError: 'activity'"), ("weight = float(pkg['weight']['weight'])", "TypeError: float() argument must be a string or a real number, not 'NoneType'"),
            ("charge = resp['ShipmentResponse']['ShipmentResults']['ShipmentCharges']['TotalCharges']['MonetaryValue']", "KeyError: 'ShipmentCharges'")],
    "plaid": [("for txn in resp['added']:", "KeyError: 'added'"), ("total = acct.balances.available + acct.balances.current", "TypeError: unsupported operand type(s) for +: 'NoneType' and 'float'"),
              ("cat = txn.personal_finance_category.primary.lower()", "AttributeError: 'NoneType' object has no attribute 'primary'")],
    "quickbooks": [("rows = report['Rows']['Row']", "KeyError: 'Row'"), ("total = sum(l['Amount'] for l in inv['Line'])", "KeyError: 'Amount'"),
                   ("name = inv.CustomerRef.name.strip()", "AttributeError: 'NoneType' object has no attribute 'strip'")],
    "xero": [("inv_id = result.invoices[0].invoice_id", "IndexError: list index out of range"), ("due = invoice.due_date.strftime('%d %b %Y')", "AttributeError: 'NoneType' object has no attribute 'strftime'"),
             ("contact_id = payload['Contacts'][0]['ContactID']", "KeyError: 'Contacts'")],
    "docusign": [("signer = env.recipients.signers[0].email", "TypeError: 'NoneType' object is not subscriptable"), ("state = summary['status'].upper()", "KeyError: 'status'"),
                 ("sent = datetime.strptime(env.sent_date_time, '%Y-%m-%dT%H:%M:%S.%fZ')", "ValueError: time data '2024-06-04T09:12:44.1230000Z' does not match format '%Y-%m-%dT%H:%M:%S.%fZ'")],
}
BUG_KEYS = {"amadeus": ["price", "itineraries", "travelerPricings", "dictionaries"], "duffel": ["total_amount", "slices", "owner", "conditions"],
            "fedex": ["scanEvents", "latestStatusDetail", "trackResults", "pieceResponses"], "ups": ["activity", "package", "ShipmentResults", "deliveryDate"],
            "plaid": ["balances", "transactions", "added", "owners"], "quickbooks": ["QueryResponse", "Invoice", "Rows", "TotalAmt"],
            "xero": ["Invoices", "Contact", "LineItems", "AmountDue"], "docusign": ["envelopeId", "recipients", "signers", "status"]}

def c_code_bug(c):
    r, p = c.r, c.p
    form = wpick(r, {"python_tb": 5, "node_error": 3, "java_trace": 2, "dotnet_exc": 2, "log_line": 2, "http_wrapper": 2, "grpc_status": 1})
    key = pick(r, BUG_KEYS[p])
    code, exc = pick(r, BUG_PY[p])
    if form == "python_tb":
        fr = runner_frames(c)
        base = fr[1][0].rsplit("/", 1)[0]
        fr.append((f"{base}/{pick(r, ['mappers', 'formatting', 'normalize', 'summary'])}.py", r.randint(12, 240), pick(r, ["to_summary", "normalize", "build_reply", "_extract"]), code))
        return form, tb(fr, exc)
    if form == "node_error":
        what = pick(r, [f"TypeError: Cannot read properties of undefined (reading '{key}')", f"TypeError: Cannot read properties of null (reading '{key}')",
                        f"TypeError: {key}.map is not a function", f"ReferenceError: {key}Total is not defined"])
        return form, f"{what}\n    at map{PASCAL[p]}Response (/srv/app/plugins/{p}/mapper.js:{r.randint(10, 200)}:{r.randint(5, 60)})\n" + "\n".join(node_frames(c))
    if form == "java_trace":
        dto = PASCAL[p] + pick(r, ["Response", "Dto", "Summary"])
        getter = "get" + key[0].upper() + key[1:]
        exc_j, msg = pick(r, [("java.lang.NullPointerException", f'Cannot invoke "java.util.List.get(int)" because the return value of "{JPKG}.plugins.{p}.dto.{dto}.{getter}()" is null'),
                              ("java.lang.NullPointerException", f'Cannot invoke "String.toUpperCase()" because "{key}" is null'),
                              ("java.lang.IndexOutOfBoundsException", "Index 0 out of bounds for length 0"),
                              ("java.lang.ClassCastException", "class java.lang.Integer cannot be cast to class java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader 'bootstrap')")])
        return form, java_trace(exc_j, msg, [f"{JPKG}.plugins.{p}.mapper.{dto}Mapper.toSummary({dto}Mapper.java:{r.randint(20, 120)})"] + japp(c))
    if form == "dotnet_exc":
        exc_d, msg = pick(r, [("System.NullReferenceException", "Object reference not set to an instance of an object."),
                              ("System.Collections.Generic.KeyNotFoundException", f"The given key '{key}' was not present in the dictionary."),
                              ("System.InvalidCastException", "Unable to cast object of type 'System.String' to type 'System.Decimal'."),
                              ("System.ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")])
        return form, dotnet(exc_d, msg, [f"Globex.Copilot.Plugins.{PASCAL[p]}.ResponseMapper.ToSummary(JsonElement root) in /src/Plugins/{PASCAL[p]}/ResponseMapper.cs:line {r.randint(20, 150)}"] + dn_app(c))
    if form == "http_wrapper":
        return form, json.dumps({"status": 500, "headers": {"Content-Type": "application/json", "X-Request-Id": c.rid},
                                 "body": {"error": "internal_error", "message": "Unhandled exception in tool handler", "exception": exc.split(":")[0], "detail": exc.split(": ", 1)[-1]}})
    if form == "grpc_status":
        return form, grpc(c, pick(r, ["UNKNOWN", "INTERNAL"]), f"Exception calling application: {exc.split(': ', 1)[-1]}")
    c.f.update(key=key, exc=exc.split(":")[0])
    return form, log_line(c, c.fill(pick(r, ["handler {tool} crashed while post-processing a successful {vendor} response ({exc})",
                                             "unexpected response shape: field '{key}' absent, mapper raised {exc}",
                                             "plugin bug: {op} result could not be mapped ({exc} on '{key}')"])), 500)

# ----------------------------------------------------------------------------------------------- registry
ALL = {p: (1, None) for p in VENDOR}
CAUSES = {
    "token_expired": (17, c_token_expired, {"amadeus": (2, None), "quickbooks": (3, None), "xero": (3, None), "docusign": (2, None), "fedex": (1, None)}),
    "credentials_revoked": (5, c_credentials_revoked, {p: (1, None) for p in VENDOR}),
    "oauth_scope_missing": (6, c_scope_missing, {"quickbooks": (1, None), "xero": (1, None), "docusign": (1, None)}),
    "feature_not_enabled": (4, c_feature_not_enabled, {"plaid": (2, {"premium"}), "fedex": (1, {"ship"}), "docusign": (1, {"compose"}),
                                                       "quickbooks": (1, {"currency"}), "xero": (1, {"currency"})}),
    "rate_limited": (10, c_rate_limited, ALL),
    "quota_exhausted": (4, c_quota_exhausted, {"xero": (2, None), "amadeus": (2, None), "duffel": (1, None), "fedex": (1, None), "ups": (1, None)}),
    "field_validation": (9, c_field_validation, {"amadeus": (1, None), "duffel": (1, {"write"}), "fedex": (1, {"ship"}), "ups": (1, {"ship"}),
                                                 "plaid": (1, None), "quickbooks": (1, {"write", "query"}), "xero": (1, {"ledger"}), "docusign": (1, {"compose"})}),
    "malformed_date_currency": (7, c_malformed, {"amadeus": (2, {"dated", "currency"}), "duffel": (1, {"dated", "currency"}), "plaid": (1, {"dated"}),
                                                 "quickbooks": (2, {"dated", "currency"}), "xero": (2, {"dated", "currency"}), "docusign": (1, {"dated"})}),
    "gateway_timeout": (7, c_gateway_timeout, ALL),
    "network_unreachable": (5, c_network, ALL),
    "tls_certificate": (2, c_tls, ALL),
    "plugin_code_bug": (7, c_code_bug, ALL),
    "bank_reauth_required": (5, c_bank_reauth, {"plaid": (1, None)}),
    "stale_flight_offer": (4, c_stale_offer, {"amadeus": (1, {"book"}), "duffel": (1, {"book"})}),
    "tracking_not_found": (5, c_tracking_not_found, {"fedex": (1, {"track"}), "ups": (1, {"track"})}),
    "period_locked": (3, c_period_locked, {"quickbooks": (1, {"ledger"}), "xero": (1, {"ledger"})}),
}
FAMILY = {"token_expired": "auth", "credentials_revoked": "auth", "oauth_scope_missing": "auth", "feature_not_enabled": "auth",
          "rate_limited": "limit", "quota_exhausted": "limit", "field_validation": "input", "malformed_date_currency": "input",
          "gateway_timeout": "infra", "network_unreachable": "infra", "tls_certificate": "infra", "plugin_code_bug": "bug",
          "bank_reauth_required": "domain", "stale_flight_offer": "domain", "tracking_not_found": "domain", "period_locked": "domain"}
AI_GENERIC = ("Sorry, I wasn't able to {action} just now. Please try again in a few minutes."
              "|I ran into a problem while {acting} and couldn't finish. Want me to try again?"
              "|Apologies, the request to {vendor} didn't go through, so I can't {action} right now."
              "|Something went wrong on my end while {acting}. I've logged it for the team."
              "|Unfortunately {vendor} returned an error and I couldn't {action}."
              "|I couldn't complete that; {vendor} didn't give me a usable response."
              "|Hmm, that didn't work. I hit an error while {acting}. If it keeps happening, please contact your admin."
              '|Sorry about that! I tried to {action} but the {vendor} integration failed.').split("|")
AI_FAMILY = {k: v.split("|") for k, v in {
    'auth': "There may be an issue with the {vendor} connection, so I couldn't {action}. An admin might need to check the integration."
             "|I couldn't get access to {vendor} for that request. You may want to check the integration settings.",
    'limit': "{vendor} isn't accepting more requests from me at the moment. Please try again later."
             "|The {vendor} service is limiting requests right now, so I couldn't {action}.",
    'input': "{vendor} didn't accept the details I sent. Could you double-check them so I can try again?"
             "|Some of the details for that request didn't go through. Can you confirm them?",
    'infra': "I couldn't reach {vendor} right now. This is usually temporary, so please try again in a bit."
             '|The connection to {vendor} failed before I got an answer.',
    'domain': "{vendor} couldn't process that request as it stands. You may need to check it directly in {vendor}."
             "|I wasn't able to {action}; {vendor} rejected the request.",
    'bug': "I hit an internal error while {acting}. Sorry, I've reported it."
             "|Something unexpected happened on my side after contacting {vendor}; I couldn't {action}.",
}.items()}
PREFIX = ["", "", "", "Hi! ", "hey, ", "Quick one: ", "Can you help? ", "Hello, "]
SUFFIX = ["", "", "", " Thanks!", " asap please", " - need it for a meeting", " thx", " :)"]

def allocate(n, shares):
    total = sum(shares.values())
    raw = {k: n * s / total for k, s in shares.items()}
    out = {k: int(x) for k, x in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[: n - sum(out.values())]:
        out[k] += 1
    return out

def _generate(n_events=3000, seed=0):
    r = random.Random(seed)
    tenants = [f"tn_{pick(r, ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell', 'soylent', 'vandelay', 'nakatomi', 'cyberdyne'])}-{hx(r, 6)}" for _ in range(36)]
    users = [(f"usr_{hx(r, 12)}", tenants[min(int(r.paretovariate(1.2)) - 1, 35)] if r.random() < 0.5 else pick(r, tenants)) for _ in range(320)]
    uw = [1.0 / (i + 8) for i in range(len(users))]
    counts = allocate(n_events, {k: v[0] for k, v in CAUSES.items()})
    seq = [k for k in CAUSES for _ in range(counts[k])]
    r.shuffle(seq)
    rows, truth, forms, seen = [], [], [], set()
    for cause in seq:
        _, fn, plugins = CAUSES[cause]
        plugin = wpick(r, {p: w for p, (w, _) in plugins.items()})
        need = plugins[plugin][1]
        cands = [t for t in TOOLS if t["plugin"] == plugin and (not need or t["tags"] & need)]
        tool = pick(r, cands)
        day = r.randrange(14)
        hour = r.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 7, 8, 9, 9, 8, 6, 4, 3, 3, 2, 2, 1])[0]
        ts = START + timedelta(days=day, hours=hour, minutes=r.randrange(60), seconds=r.randrange(60), milliseconds=r.randrange(1000))
        user, tenant = r.choices(users, weights=uw)[0]
        v = make_values(r, ts)
        c = Ctx(r, tool, v, ts, tenant, user)
        form, out = fn(c)
        args = tool["args"](v)
        if r.random() < 0.72:
            skill_input = json.dumps({"tool": tool["name"], "arguments": args})
        else:
            skill_input = tool["name"] + "(" + ", ".join(f"{k}={json.dumps(a)}" for k, a in args.items()) + ")"
        prompt = pick(r, tool["prompts"]).format_map(SafeDict(v))
        pre = pick(r, PREFIX)
        if pre and prompt[:1].isupper() and pre.endswith(", "):
            prompt = prompt[0].lower() + prompt[1:]
        prompt = pre + prompt + pick(r, SUFFIX)
        fam = FAMILY[cause]
        pool = AI_FAMILY[fam] if r.random() < 0.35 else AI_GENERIC
        ai = pick(r, pool).format(action=tool["action"], acting=tool["acting"], vendor=VENDOR[plugin])
        eid = "ev_" + hx(r, 20)
        while eid in seen:
            eid = "ev_" + hx(r, 20)
        seen.add(eid)
        rows.append({"evaluation_id": eid, "customer_prompt": prompt, "skill_input": skill_input, "skill_output": out,
                     "ai_output": ai, "timestamp": iso_ms(ts), "user_id": user, "tenant_id": tenant})
        truth.append({"evaluation_id": eid, "cause": cause, "plugin": plugin})
        forms.append(form)
    order = sorted(range(len(rows)), key=lambda i: rows[i]["timestamp"])
    return [rows[i] for i in order], [truth[i] for i in order], [forms[i] for i in order]

def generate(n_events: int = 3000, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Return (rows, truth_rows); deterministic for a given seed."""
    rows, truth, _ = _generate(n_events, seed)
    return rows, truth

ROW_FIELDS = ["evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output", "timestamp", "user_id", "tenant_id"]
TRUTH_FIELDS = ["evaluation_id", "cause", "plugin"]

def write_csv(path, fields, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        w.writerows(rows)

def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate labelled failed-plugin-call telemetry (travel/logistics/finance).")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    rows, truth = generate(a.events, a.seed)
    write_csv(os.path.join(a.out, "telemetry.csv"), ROW_FIELDS, rows)
    write_csv(os.path.join(a.out, "truth.csv"), TRUTH_FIELDS, truth)
    print(f"wrote {len(rows)} events to {a.out}")

if __name__ == "__main__":
    main()
