#!/usr/bin/env python3
"""Labelled benchmark corpus: failed workplace / IT-operations assistant plugin calls.

Plugins (8): servicenow (Table API), zendesk (Support API v2), okta (Management API v1), workday (SOAP web services + REST),
pagerduty (REST API v2), box (Content API 2.0), snowflake (SQL API v2 / Python connector / JDBC / Node SDK), confluence (Cloud REST v1+v2).
Each event is one failed plugin call; the label is the ROOT CAUSE only.  Plugin, surface form (raw JSON body, SOAP fault XML,
{"status","headers","body"} wrapper, Python SDK traceback, Java stack trace, Node.js error, .NET exception, HTML gateway page,
one-line log, bare status line), ids and wording never define a group.  Causes (share: plugins and vendor errors; forms):
  rate_limited (18%): servicenow 429, zendesk APIRateLimitExceeded / ticket-update limit, okta E0000047, pagerduty 2020, box
      rate_limit_exceeded, confluence 429; JSON, wrapper with Retry-After, SDK exception, log, status line only
  expired_token (10%): 401 + WWW-Authenticate "expired" (okta E0000011, box, servicenow, confluence), box "Refresh token has
      expired", workday REST invalid_token, snowflake 390114 / 390318; wrapper, JSON, Python connector, JDBC, log
  record_not_found (10%): servicenow "No Record found", zendesk RecordNotFound, okta E0000007, pagerduty 2100, box not_found /
      trashed, confluence v1/v2 404, workday "Invalid ID value" fault, snowflake 002003; JSON, wrapper, SDK, JDBC, status line
  upstream_timeout (8%): nginx/ELB 504 + Cloudflare 524 pages, requests ReadTimeout, SocketTimeoutException, axios ECONNABORTED /
      ETIMEDOUT, .NET HttpClient.Timeout TaskCanceledException
  invalid_field_value (8%): zendesk 422 InvalidValue, servicenow Data Policy Exception, okta E0000001 pattern, pagerduty 2001, box
      item_name_invalid, confluence xhtml parse error, workday Validation_Fault, snowflake 100038/100040; JSON, wrapper, SDK, JDBC, log
  missing_oauth_scope (7%): okta 403 insufficient_scope header, box 403 insufficient_scope, confluence 401 "scope does not match",
      pagerduty 2010, workday REST functional-area scope; wrapper, JSON, SDK, log
  malformed_query (6%): snowflake 001003 syntax / 000904 invalid identifier, confluence "Could not parse cql", okta E0000031,
      servicenow "Invalid query detected"; JSON, wrapper, Python connector, JDBC, Node SDK
  revoked_credentials (5%): okta E0000011 (SSWS), zendesk "Couldn't authenticate you", pagerduty 2006, confluence "Client must be
      authenticated", workday authenticationError, snowflake 390144 JWT invalid; JSON, wrapper, SDK, JDBC
  licence_quota_exhausted (5%): zendesk agent-seat limit, box storage_limit_exceeded, pagerduty 402 2012, snowflake resource
      monitor quota; JSON, wrapper, SDK, JDBC, log
  ip_allowlist_blocked (4%): snowflake "Incoming request with IP/Token ... is not allowed", okta 403 network zone, zendesk IP
      restrictions, Atlassian IP allowlist, Cloudflare 1006 page; Python connector, JDBC, JSON, HTML, log
  optimistic_lock_conflict (4%): confluence 409 "Version must be incremented", box 412 precondition_failed, zendesk 409
      UpdateConflict; JSON, wrapper, SDK, Node
  duplicate_record (4%): okta E0000001 "already exists", box 409 item_name_in_use / user_already_collaborator, zendesk email
      "already being used", confluence duplicate title, servicenow unique key, pagerduty dedup key; JSON, wrapper, SDK, Node, log
  connection_failure (3.5%): refused / reset (requests ConnectionError, ConnectException, JDBC communication error, Node
      ECONNREFUSED / ECONNRESET), nginx / Cloudflare 502 pages
  warehouse_suspended (3%): snowflake 000606 no active warehouse / suspended; Python connector, JDBC, SQL API JSON, log
  tool_code_bug (3%): KeyError / IndexError / AttributeError in the tool's own code, NullPointerException, Node TypeError, JSON
  dns_failure (1.5%): NameResolutionError, UnknownHostException, getaddrinfo ENOTFOUND / EAI_AGAIN, .NET "No such host is known"
Confusable pairs: 403 missing_oauth_scope vs 403 ip_allowlist_blocked (okta E0000006 in both; servicenow 403 "Operation Failed"
is invalid_field_value or duplicate_record); 400/422 invalid_field_value vs malformed_query (snowflake 100038 vs 001003, both 422)
vs duplicate_record (okta E0000001, zendesk RecordInvalid) vs licence_quota_exhausted (zendesk RecordInvalid agent limit); 429
rate_limited vs licence_quota_exhausted (402/403); 404 record_not_found vs workday / snowflake compilation faults; 401
expired_token vs revoked_credentials (okta E0000011 in both, snowflake 390114 vs 390144) vs confluence 401 missing scope; 409
optimistic_lock_conflict vs duplicate_record (box 412 vs 409, confluence 409 vs 400); warehouse_suspended vs resource-monitor
quota; 504/524 timeout vs 502 connection failure; DNS vs connection refused.

Usage: python3 bench/corpora/workplace.py --out DIR [--events N] [--seed S]
"""
import argparse
import csv
import json
import os
import random
import re
import string
from datetime import datetime, timedelta, timezone

AN, LO, HX, UP = string.ascii_letters + string.digits, string.ascii_lowercase + string.digits, '0123456789abcdef', string.ascii_uppercase + string.digits
def rs(r, n, alpha=AN): return ''.join(r.choice(alpha) for _ in range(n))
def guid(r):
    h = rs(r, 32, HX)
    return f'{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}'
def sf_qid(r): return f'01b{rs(r, 5, HX)}-{rs(r, 4, HX)}-{rs(r, 4, HX)}-0000-{rs(r, 12, HX)}'
def ippub(r): return f'{r.choice([34, 35, 52, 54, 18, 20, 104, 146])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}'
def iso(ts): return ts.strftime('%Y-%m-%dT%H:%M:%S.') + f'{ts.microsecond // 1000:03d}Z'
def hdate(ts): return ts.strftime('%a, %d %b %Y %H:%M:%S GMT')
def compact(o): return o if isinstance(o, str) else json.dumps(o, separators=(',', ':'))
def bigid(r, lo=10 ** 10, hi=3 * 10 ** 11): return str(r.randint(lo, hi))
def J(r, obj):
    x = r.random()
    return json.dumps(obj) if x < 0.6 else json.dumps(obj, separators=(',', ':')) if x < 0.88 else json.dumps(obj, indent=2)
REASON = {400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
          412: 'Precondition Failed', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error'}
PNAME = {'servicenow': 'ServiceNow', 'zendesk': 'Zendesk', 'okta': 'Okta', 'workday': 'Workday', 'pagerduty': 'PagerDuty',
         'box': 'Box', 'snowflake': 'Snowflake', 'confluence': 'Confluence'}
HP = ('servicenow', 'zendesk', 'okta', 'pagerduty', 'box', 'confluence')
ALL8 = HP + ('workday', 'snowflake')

# ---------------------------------------------------------------- slot values
FIRST = ['Aisha', 'Ben', 'Carla', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiroshi', 'Ines', 'Jonas', 'Kavya', 'Liam', 'Maya', 'Nikolai',
         'Olu', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoe', 'Mateo', 'Chloe', 'Arjun']
LAST = ['Okafor', 'Lindqvist', 'Moreau', 'Petrov', 'Garcia', 'Nakamura', 'Haddad', 'Schmidt', 'Rossi', 'Kowalski', 'Nguyen', 'Patel',
        'Oconnell', 'Dubois', 'Fischer', 'Silva', 'Yilmaz', 'Novak', 'Tanaka', 'Mensah', 'Brennan', 'Costa', 'Ivanova', 'Larsen', 'Chen']
ORGS = ['acme', 'globex', 'initech', 'umbrellacorp', 'hooli', 'vandelay', 'wayne-ent', 'starkind', 'tyrell', 'cyberdyne', 'soylent',
        'wonka', 'oscorp', 'gringotts', 'aperture', 'bluesun', 'nakatomi', 'monarch', 'duffco', 'prestige', 'massivedyn', 'virtucon',
        'siriuscyb', 'zorgind']
TEAMS = ['Network Operations', 'Service Desk', 'Identity & Access', 'Database Admins', 'End User Computing', 'SRE', 'Payroll Ops',
         'Facilities', 'Security Operations', 'Platform Engineering', 'Collaboration Tools']
ISSUES = ['VPN drops every 10 minutes for the Lisbon office', 'Outlook keeps prompting for a password', 'printer on floor 4 is jammed again',
          "laptop won't boot after the BIOS update", 'SAP GUI login fails with SNC error', 'Wi-Fi is very slow in building C',
          'Jira times out when opening boards', 'nightly payroll export failed', 'badge reader at the loading dock is offline',
          'MFA push notifications are not arriving', 'shared drive X: no longer maps at login', 'Teams calls drop after 30 seconds',
          'disk almost full on db-prod-07', 'TLS cert on the intranet expires Friday', 'new hire has no access to Salesforce',
          'monitor flickers in room 2.14']
SITES_ = ['Frankfurt', 'Austin', 'Singapore', 'Dublin', 'Toronto', 'Sao Paulo', 'Pune', 'Warsaw']
SERVICES = ['checkout-api', 'payments-gateway', 'identity-service', 'search-indexer', 'mobile-backend', 'data-pipeline', 'edge-proxy',
            'billing-worker']
PAGES = ['Runbook: {s} failover', 'Onboarding checklist - {t}', 'Postmortem {d}: {s} outage', 'Q{q} OKRs - {t}',
         'How to request a laptop ({site})', 'On-call handbook - {t}', 'Change freeze calendar {y}', 'Architecture: {s}']
SPACES = ['ENG', 'IT', 'OPS', 'HR', 'SEC', 'DOCS', 'PLAT', 'SD']
FILES = ['Q{q} Board Deck v{n}.pptx', 'Offer Letter - {f} {l}.pdf', 'SOC2 evidence {y}.zip', 'Vendor MSA {o}.docx',
         'Laptop refresh plan {y}.xlsx', 'Network diagram {site} v{n}.vsdx', 'Incident report {d}.pdf', 'Headcount forecast FY{yy}.xlsx']
FOLDERS = ['Finance/Board', 'HR/Offers', 'Security/Audit', 'Legal/Contracts', 'IT/Projects', 'Shared/Ops']
GROUPS = ['Engineering', 'Sales-EMEA', 'Contractors', 'VPN-Users', 'Finance-Approvers', 'GitHub-Admins', 'All-Staff']
TITLES = ['Senior Site Reliability Engineer', 'IT Support Specialist II', 'Staff Data Engineer', 'HR Business Partner',
          'Engineering Manager', 'Security Analyst', 'Payroll Coordinator']
WAREHOUSES = ['ANALYTICS_WH', 'BI_XS_WH', 'REPORTING_WH', 'ETL_WH', 'ADHOC_WH', 'COMPUTE_WH']
WD_TYPES = ['Vacation', 'Sick Leave', 'Floating Holiday', 'Parental Leave', 'Personal Day']
SQLS = [  # (prompt, sql, a column that can be misspelt)
    ('how many P1 incidents did each assignment group get last month', "SELECT assignment_group, COUNT(*) AS n FROM "
     "IT.SERVICENOW.INCIDENTS WHERE priority = 1 AND opened_at >= DATEADD(month, -1, CURRENT_DATE) GROUP BY assignment_group ORDER BY n DESC",
     'assignment_group'),
    ('give me headcount by department as of today', "SELECT department, COUNT(*) AS headcount FROM HR.WORKDAY.WORKERS WHERE "
     "worker_status = 'Active' GROUP BY department", 'department'),
    ('which laptops in {site} are out of warranty', "SELECT asset_tag, model, warranty_end FROM IT.ASSETS.LAPTOPS WHERE site = '{site}' "
     "AND warranty_end < CURRENT_DATE", 'warranty_end'),
    ("what's the average first reply time on support tickets this quarter", "SELECT AVG(first_reply_minutes) AS avg_frt FROM "
     "SUPPORT.ZENDESK.TICKETS WHERE created_at >= DATE_TRUNC('quarter', CURRENT_DATE)", 'first_reply_minutes'),
    ('SaaS licence spend by vendor for {y}', "SELECT vendor, SUM(amount_usd) AS spend FROM FINANCE.PROCUREMENT.SAAS_SPEND WHERE "
     "fiscal_year = {y} GROUP BY vendor ORDER BY spend DESC", 'amount_usd'),
    ('how many okta logins failed per app yesterday', "SELECT app_name, COUNT(*) AS failures FROM SECURITY.OKTA.SYSTEM_LOG WHERE "
     "outcome = 'FAILURE' AND published::date = CURRENT_DATE - 1 GROUP BY app_name", 'app_name')]
PRE = ['', '', '', 'hey, ', 'Hi! ', 'quick one: ', 'pls ', '@assistant ', 'hello - ', 'ok so ']
SUF = ['', '', '', ' thanks', ' asap', ' ty', ' - urgent', ' when you get a sec', '!', ' please']
def fill(r, s):
    return s.format(s=r.choice(SERVICES), t=r.choice(TEAMS), d=f'2024-{r.randint(1, 8):02d}-{r.randint(1, 28):02d}', q=r.randint(1, 4),
                    y=r.choice([2023, 2024, 2025]), yy=r.choice([24, 25]), site=r.choice(SITES_), n=r.randint(2, 9), f=r.choice(FIRST),
                    l=r.choice(LAST), o=r.choice(ORGS).title())
def person(r, t):
    f, l = r.choice(FIRST), r.choice(LAST)
    return f, l, f'{f.lower()}.{l.lower()}@{t["domain"]}'
def say(r, opts): return (r.choice(PRE) + r.choice(opts) + r.choice(SUF)).strip()
def op(tool, method, path, prompt, args, **kw):
    return dict(tool=tool, fn=tool.split('.')[1], method=method, path=path, prompt=prompt, args=args, **kw)

# ---------------------------------------------------------------- plugin operations: prompt + call (kinds gate which forms apply)
def sn_create(r, t):
    iss, team, urg = r.choice(ISSUES), r.choice(TEAMS), r.choice(['1', '2', '3'])
    p = say(r, [f'open an incident: {iss}. assign to {team}', f'log a ServiceNow ticket for "{iss}", urgency {urg}',
                f'{iss} -- raise a P{urg} incident and route it to {team}', f'create a snow incident, {iss.lower()}'])
    return op('servicenow.create_record', 'POST', '/api/now/table/incident', p, {'table': 'incident', 'fields': {
        'short_description': iss, 'urgency': urg, 'assignment_group': team, 'caller_id': person(r, t)[2]}}, rec=iss)
def sn_get(r, t):
    num = f'INC{r.randint(10000, 2999999):07d}'
    p = say(r, [f"what's the status of {num}?", f'who is working on {num}', f'show me the latest work notes on {num}', f'is {num} resolved yet'])
    return op('servicenow.get_record', 'GET', f'/api/now/table/incident?sysparm_query=number%3D{num}&sysparm_limit=1', p,
              {'table': 'incident', 'query': f'number={num}', 'limit': 1}, rec=num)
def sn_update(r, t):
    num, sid, team, st = f'INC{r.randint(10000, 2999999):07d}', rs(r, 32, HX), r.choice(TEAMS), r.choice(['In Progress', 'On Hold', 'Resolved'])
    p = say(r, [f'assign {num} to {team} and set it to {st}', f'move {num} to {st}, note: waiting on vendor', f'reassign {num} to the {team} queue'])
    return op('servicenow.update_record', 'PATCH', f'/api/now/table/incident/{sid}', p,
              {'table': 'incident', 'sys_id': sid, 'fields': {'assignment_group': team, 'state': st}}, rec=sid)
def sn_cmdb(r, t):
    site = r.choice(SITES_)
    q = f'location.name={site} DC^operational_status=1^os_versionSTARTSWITH{r.choice(["8.", "9.", "22.04"])}'
    p = say(r, [f'list all linux servers in the {site} datacenter', f'which CIs in {site} are still on old OS versions',
                f'pull the CMDB entries for {site} servers that are operational'])
    return op('servicenow.query_table', 'GET', '/api/now/table/cmdb_ci_linux_server?sysparm_query=' + q.replace('=', '%3D').replace(' ', '%20'),
              p, {'table': 'cmdb_ci_linux_server', 'query': q, 'fields': 'name,ip_address,os_version'}, rec=q)
def zd_create(r, t):
    iss, em, pr = r.choice(ISSUES), person(r, t)[2], r.choice(['low', 'normal', 'high', 'urgent'])
    p = say(r, [f'open a zendesk ticket for {em}: {iss}', f'file a support ticket, priority {pr}: {iss}', f'customer {em} reports "{iss}", make a ticket'])
    return op('zendesk.create_ticket', 'POST', '/api/v2/tickets.json', p, {'subject': iss, 'requester_email': em, 'priority': pr,
                                                                           'tags': ['ai_assistant']}, rec=iss)
def zd_update(r, t):
    tid, st = r.randint(10000, 999999), r.choice(['pending', 'solved', 'open', 'hold'])
    p = say(r, [f'set ticket #{tid} to {st} and add a note that we rolled back', f'mark zendesk {tid} as {st}',
                f'add an internal comment to #{tid}: escalated to tier 2'])
    return op('zendesk.update_ticket', 'PUT', f'/api/v2/tickets/{tid}.json', p,
              {'ticket_id': tid, 'status': st, 'comment': {'body': 'Escalated by assistant', 'public': False}}, rec=str(tid))
def zd_user(r, t):
    (f, l, em), role = person(r, t), r.choice(['agent', 'end-user', 'agent'])
    p = say(r, [f'add {f} {l} ({em}) as a zendesk {role}', f'create a zendesk {role} account for {em}',
                f'{f} {l} joined support, give them a zendesk seat'])
    return op('zendesk.create_user', 'POST', '/api/v2/users.json', p, {'name': f'{f} {l}', 'email': em, 'role': role}, rec=em)
def okta_get(r, t):
    f, l, em = person(r, t)
    p = say(r, [f'is {em} active in okta?', f'check the okta status of {f} {l}', f"why can't {em} log in? check okta",
                f'show me the okta profile for {em}'])
    return op('okta.get_user', 'GET', f'/api/v1/users/{em}', p, {'user': em}, rec=em, rtype='User')
def okta_create(r, t):
    (f, l, em), dep = person(r, t), r.choice(GROUPS)
    p = say(r, [f'create an okta account for new hire {f} {l}, {dep}', f'provision {em} in okta and activate',
                f'onboard {f} {l} starting monday: okta user please'])
    return op('okta.create_user', 'POST', '/api/v1/users?activate=true', p, {'profile': {
        'firstName': f, 'lastName': l, 'email': em, 'login': em, 'department': dep}, 'activate': True}, rec=em)
def okta_group(r, t):
    em, g, gid, uid = person(r, t)[2], r.choice(GROUPS), '00g' + rs(r, 17), '00u' + rs(r, 17)
    p = say(r, [f'add {em} to the {g} group', f'give {em} access to {g} in okta', f'put {em} in {g} so they get VPN'])
    return op('okta.add_user_to_group', 'PUT', f'/api/v1/groups/{gid}/users/{uid}', p,
              {'group_id': gid, 'user_id': uid, 'group_name': g}, rec=gid, rtype='UserGroup')
def okta_search(r, t):
    dep, site, m = r.choice(GROUPS), r.choice(SITES_), r.randint(1, 8)
    p, q = r.choice([(f'list everyone in okta from {dep}', f'profile.department eq "{dep}"'),
                     (f'find active okta users in {site}', f'profile.city eq "{site}" and status eq "ACTIVE"'),
                     ('which okta accounts changed recently', f'lastUpdated gt "2024-0{m}-01T00:00:00.000Z"'),
                     ('who is locked out in okta right now', 'status eq "LOCKED_OUT"')])
    return op('okta.list_users', 'GET', '/api/v1/users?search=' + q.replace(' ', '+'), say(r, [p]), {'search': q, 'limit': 200}, rec=q)
def wd_get(r, t):
    (f, l, _), eid = person(r, t), str(r.randint(10000, 99999))
    p = say(r, [f"who is {f} {l}'s manager in workday", f'pull the workday record for employee {eid}', f'what cost center is {f} {l} in?'])
    return op('workday.get_worker', 'POST', f'/ccx/service/{t["wd"]}/Human_Resources/v42.0', p,
              {'employee_id': eid, 'include': ['Management_Chain']}, soap='Get_Workers', rec=eid)
def wd_timeoff(r, t):
    d0, days, typ = datetime(2024, r.randint(9, 12), r.randint(1, 27)), r.randint(1, 5), r.choice(WD_TYPES)
    p = say(r, [f'book {days} days of {typ.lower()} for me starting {d0:%b %d}', f'request time off {d0:%Y-%m-%d}, {typ}',
                f"I'm off from {d0:%A %d %B} for {days} days, put it in workday"])
    return op('workday.request_time_off', 'POST', f'/ccx/service/{t["wd"]}/Absence_Management/v42.0', p, {
        'start_date': f'{d0:%Y-%m-%d}', 'days': days, 'time_off_type': typ, 'hours_per_day': 8}, soap='Enter_Time_Off', rec=f'{d0:%Y-%m-%d}')
def wd_title(r, t):
    (f, l, _), eid, ti = person(r, t), str(r.randint(10000, 99999)), r.choice(TITLES)
    p = say(r, [f"change {f} {l}'s business title to {ti}", f'update title for employee {eid} to "{ti}"'])
    return op('workday.change_business_title', 'POST', f'/ccx/service/{t["wd"]}/Human_Resources/v42.0', p,
              {'employee_id': eid, 'proposed_business_title': ti}, soap='Change_Business_Title', rec=eid)
def pd_create(r, t):
    s = r.choice(SERVICES)
    key = f'{s}-{rs(r, 8, LO)}'
    p = say(r, [f'page the on-call for {s}, error rate is spiking', f'trigger a pagerduty incident on {s}: p95 latency > 2s', f'{s} is down, wake someone up'])
    return op('pagerduty.create_incident', 'POST', '/incidents', p, {'title': f'{s} degraded', 'service_id': 'P' + rs(r, 6, UP),
                                                                      'urgency': r.choice(['high', 'low']), 'incident_key': key}, rec=key)
def pd_ack(r, t):
    iid = 'Q' + rs(r, 13, UP)
    p = say(r, [f'ack incident {iid}', f'acknowledge the pagerduty alert {iid} for me', f'resolve {iid}, it was a false alarm'])
    return op('pagerduty.update_incident', 'PUT', f'/incidents/{iid}', p, {'incident_id': iid, 'status': r.choice(['acknowledged', 'resolved'])}, rec=iid)
def pd_oncall(r, t):
    sched = 'P' + rs(r, 6, UP)
    p = say(r, [f'who is on call for {r.choice(TEAMS)} this week', 'who do I page for the database right now',
                f'show the on-call schedule for {r.choice(SERVICES)}'])
    return op('pagerduty.list_oncalls', 'GET', f'/oncalls?schedule_ids%5B%5D={sched}', p, {'schedule_ids': [sched], 'earliest': True}, rec=sched)
def box_upload(r, t):
    name, fold = fill(r, r.choice(FILES)), r.choice(FOLDERS)
    p = say(r, [f'save {name} to box under {fold}', f'upload the attachment "{name}" to our {fold} folder', f'put {name} in box'])
    return op('box.upload_file', 'POST', '/api/2.0/files/content', p, {'name': name, 'parent_id': bigid(r), 'path': fold}, rec=name,
              host_over='upload.box.com')
def box_list(r, t):
    fid, fold = bigid(r), r.choice(FOLDERS)
    p = say(r, [f"what's in the {fold} folder on box", f'list the latest files in box folder {fid}', f'find the newest contract in {fold}'])
    return op('box.list_folder_items', 'GET', f'/2.0/folders/{fid}/items', p, {'folder_id': fid, 'limit': 100}, rec=fid)
def box_share(r, t):
    fid, name = bigid(r, 10 ** 11, 2 * 10 ** 12), fill(r, r.choice(FILES))
    p = say(r, [f'make a shared link for {name}', f'share "{name}" with the company, view only', f'give me a company link to {name}'])
    return op('box.update_file', 'PUT', f'/2.0/files/{fid}', p,
              {'file_id': fid, 'shared_link': {'access': 'company', 'permissions': {'can_download': False}}}, rec=fid)
def box_collab(r, t):
    em, fold = person(r, t)[2], r.choice(FOLDERS)
    p = say(r, [f'give {em} editor access to {fold} on box', f'share the {fold} box folder with {em}'])
    return op('box.add_collaboration', 'POST', '/2.0/collaborations', p, {'item': {'type': 'folder', 'id': bigid(r)}, 'accessible_by': {
        'type': 'user', 'login': em}, 'role': r.choice(['editor', 'viewer', 'co-owner'])}, rec=em)
def sf_query(r, t):
    (pr, sql, col), site, y, wh = r.choice(SQLS), r.choice(SITES_), r.choice([2023, 2024]), r.choice(WAREHOUSES)
    return op('snowflake.run_query', 'POST', '/api/v2/statements', say(r, [pr.format(site=site, y=y)]), {
        'statement': sql.format(site=site, y=y), 'warehouse': wh, 'role': r.choice(['ANALYST', 'BI_READER', 'IT_OPS']),
        'timeout': r.choice([30, 60, 120])}, rec=sql, col=col, wh=wh)
def cf_create(r, t):
    ti, sp = fill(r, r.choice(PAGES)), r.choice(SPACES)
    p = say(r, [f'create a confluence page "{ti}" in {sp}', f'write up the notes as a new page in the {sp} space: {ti}', f'draft a page called {ti}'])
    return op('confluence.create_page', 'POST', '/wiki/rest/api/content', p, {'type': 'page', 'title': ti, 'space': {'key': sp}, 'body': {
        'storage': {'value': '<h2>Summary</h2><ul><li>Drafted by assistant</li></ul>', 'representation': 'storage'}}}, rec=ti)
def cf_update(r, t):
    pid, ti, v = bigid(r, 10 ** 8, 4 * 10 ** 9), fill(r, r.choice(PAGES)), r.randint(2, 40)
    p = say(r, [f'update the "{ti}" page with today\'s changes', f'append the new escalation steps to {ti}', f'fix the typo in confluence page {pid}'])
    return op('confluence.update_page', 'PUT', f'/wiki/rest/api/content/{pid}', p, {'id': pid, 'title': ti, 'version': {'number': v},
                                                                                    'type': 'page'}, rec=pid, ver=v)
def cf_get(r, t):
    pid, ti = bigid(r, 10 ** 8, 4 * 10 ** 9), fill(r, r.choice(PAGES))
    p = say(r, [f'summarize the confluence page "{ti}"', f'what does {ti} say about escalation?', f'read page {pid} for me'])
    return op('confluence.get_page', 'GET', f'/wiki/api/v2/pages/{pid}?body-format=storage', p, {'page_id': pid, 'body_format': 'storage'}, rec=pid)
def cf_search(r, t):
    sp, w = r.choice(SPACES), r.choice(['runbook', 'postmortem', 'VPN', 'onboarding', 'escalation', 'SSO'])
    p, cql = r.choice([(f'any {w} pages in the {sp} wiki?', f'type = page AND space = {sp} AND title ~ "{w}"'),
                       (f'find recent pages mentioning {w}', f'text ~ "{w}" AND lastModified > now("-30d")'),
                       (f'search confluence for {w} docs in {sp}', f'space = {sp} AND label = "{w.lower()}" ORDER BY lastModified DESC')])
    return op('confluence.search', 'GET', '/wiki/rest/api/search?cql=' + cql.replace(' ', '%20').replace('"', '%22'), say(r, [p]),
              {'cql': cql, 'limit': 25}, rec=cql)

# kinds: create, update, write, id (names an existing record), query, sql
OPS = {'servicenow': [({'create', 'write'}, sn_create), ({'id'}, sn_get), ({'update', 'write', 'id'}, sn_update), ({'query'}, sn_cmdb)],
       'zendesk': [({'create', 'write'}, zd_create), ({'update', 'write', 'id'}, zd_update), ({'create', 'write'}, zd_user)],
       'okta': [({'id'}, okta_get), ({'create', 'write'}, okta_create), ({'write', 'id', 'update'}, okta_group), ({'query'}, okta_search)],
       'workday': [({'id'}, wd_get), ({'create', 'write'}, wd_timeoff), ({'update', 'write', 'id'}, wd_title)],
       'pagerduty': [({'create', 'write'}, pd_create), ({'update', 'write', 'id'}, pd_ack), (set(), pd_oncall)],
       'box': [({'create', 'write'}, box_upload), ({'id'}, box_list), ({'update', 'write', 'id'}, box_share), ({'create', 'write'}, box_collab)],
       'snowflake': [({'query', 'sql'}, sf_query)],
       'confluence': [({'create', 'write'}, cf_create), ({'update', 'write', 'id'}, cf_update), ({'id'}, cf_get), ({'query'}, cf_search)]}
# (plugin, cause) -> the operations for which that failure is realistic
PIN = {('zendesk', 'licence_quota_exhausted'): [zd_user], ('zendesk', 'duplicate_record'): [zd_user], ('box', 'licence_quota_exhausted'): [box_upload],
       ('box', 'invalid_field_value'): [box_upload], ('pagerduty', 'invalid_field_value'): [pd_create], ('okta', 'invalid_field_value'): [okta_create],
       ('workday', 'invalid_field_value'): [wd_timeoff], ('zendesk', 'invalid_field_value'): [zd_create, zd_update],
       ('workday', 'record_not_found'): [wd_get, wd_title], ('box', 'duplicate_record'): [box_upload, box_collab],
       ('confluence', 'invalid_field_value'): [cf_create]}

def host_for(p, t):
    return {'servicenow': f'{t["org"]}.service-now.com', 'zendesk': f'{t["org"]}.zendesk.com', 'okta': f'{t["org"]}.okta.com',
            'workday': f'{t["wdhost"]}.workday.com', 'pagerduty': 'api.pagerduty.com', 'box': 'api.box.com',
            'snowflake': f'{t["sf"]}.snowflakecomputing.com', 'confluence': f'{t["org"]}.atlassian.net'}[p]

# ---------------------------------------------------------------- vendor error bodies
def sn_body(m, d): return {'error': {'message': m, 'detail': d}, 'status': 'failure'}
def pd_body(m, code, errs=None): return {'error': dict({'message': m, 'code': code}, **({'errors': errs} if errs else {}))}
def sf_body(r, code, msg, state): return {'code': code, 'message': msg, 'sqlState': state, 'statementHandle': sf_qid(r)}
def cf1(status, msg, reason, valid=True):
    return {'statusCode': status, 'data': {'authorized': status != 403, 'valid': valid, 'allowedInReadOnlyMode': True, 'errors': [],
                                           'successful': False}, 'message': msg, 'reason': reason}
def okta_body(r, code, summ, causes=()):
    return {'errorCode': code, 'errorSummary': summ, 'errorLink': code, 'errorId': 'oae' + rs(r, 22),
            'errorCauses': [{'errorSummary': x} for x in causes]}
def box_body(r, status, code, msg, ctx=None):
    b = {'type': 'error', 'status': status, 'code': code, 'help_url': 'http://developers.box.com/docs/#errors', 'message': msg,
         'request_id': rs(r, r.choice([13, 16, 17]), LO)}
    return dict(b, context_info=ctx) if ctx else b
def zd_invalid(field, desc, err='InvalidValue'):
    return {'error': 'RecordInvalid', 'description': 'Record validation errors', 'details': {field: [{'description': desc, 'error': err}]}}
def wd_fault(kind, faultstring, msg='', xpath=None):
    code = {'Validation': 'Client.validationError', 'Processing': 'Client.processingFault', 'Auth': 'Client.authenticationError'}[kind]
    det = '' if kind == 'Auth' else (f'<detail><wd:{kind}_Fault><wd:{kind}_Error><wd:Message>{msg}</wd:Message>'
                                     + (f'<wd:Xpath>{xpath}</wd:Xpath>' if xpath else '') + f'</wd:{kind}_Error></wd:{kind}_Fault></detail>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<SOAP-ENV:Body><SOAP-ENV:Fault xmlns:wd="urn:com.workday/bsvc"><faultcode>SOAP-ENV:{code}</faultcode>'
            f'<faultstring>{faultstring}</faultstring>{det}</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>')
RID = {'okta': ('X-Okta-Request-Id', lambda r: rs(r, 27)), 'zendesk': ('x-zendesk-request-id', lambda r: rs(r, 20, HX)),
       'box': ('box-request-id', lambda r: rs(r, 32, LO)), 'pagerduty': ('x-request-id', guid), 'confluence': ('atl-traceid', lambda r: rs(r, 32, HX)),
       'servicenow': ('X-Transaction-ID', lambda r: rs(r, 12, HX)), 'workday': ('X-Request-Id', guid), 'snowflake': ('x-snowflake-request-id', guid)}
def std_headers(r, c, extra=None):
    k, f = RID[c['plugin']]
    return dict({'Date': hdate(c['ts']), 'Content-Type': 'application/json;charset=UTF-8', k: f(r)}, **(extra or {}))

# ---------------------------------------------------------------- surface renderers
SITES = ['/usr/local/lib/python3.11/site-packages', '/opt/venv/lib/python3.11/site-packages', '/app/.venv/lib/python3.10/site-packages',
         '/home/svc/.local/lib/python3.12/site-packages']
ROOTS = ['/app/assistant/plugins', '/srv/copilot/tools', '/opt/agent/skills']
NM = '/srv/assistant/node_modules'
def url(c): return f'https://{c.get("host_over") or c["host"]}{c["path"]}'
def hostof(c): return c.get('host_over') or c['host']
def camel(s): return ''.join(x.title() for x in s.split('_'))
def pytb(r, c, lib, exc, call=None):
    sp, root = r.choice(SITES), r.choice(ROOTS)
    rec = str(c.get('rec', ''))[:40].replace("'", '')
    frames = [(f'{root}/../runtime/dispatch.py', r.choice(['invoke_tool', 'run']), 'result = await tool(**call.arguments)'),
              (f'{root}/{c["plugin"]}_tool.py', c['fn'], call or r.choice(['resp.raise_for_status()', f"resp = self.session.request('{c['method']}', "
                                                                             "url, json=payload)", f"return self.client.{c['fn']}(**kwargs)  # {rec}"]))]
    out = ['Traceback (most recent call last):']
    for p, f, code in frames + [(sp + '/' + p, f, code) for p, f, code in lib]:
        out += [f'  File "{p}", line {r.randint(18, 980)}, in {f}', f'    {code}']
    return '\n'.join(out + [exc])
def jtrace(r, head, frames, more=True):
    out = [head] + [f'\tat {m}({m.split(".")[-2].split("/")[-1].split("$")[0]}.java:{r.randint(30, 1400)})' for m in frames]
    return '\n'.join(out + ([f'\t... {r.randint(8, 60)} more'] if more and r.random() < 0.6 else []))
def jclass(c): return f'com.{c["org"].replace("-", "")}.assistant.plugins.{c["plugin"]}.{PNAME[c["plugin"]]}Client.{c["fn"].split("_")[0]}'
def nstack(r, c, head, frames):
    nm = camel(c['fn'])
    fr = frames + [(f'async {PNAME[c["plugin"]]}Tool.{nm[0].lower() + nm[1:]}', f'/srv/assistant/dist/plugins/{c["plugin"]}.js')]
    return '\n'.join([head] + [f'    at {f} ({p}:{r.randint(10, 4200)}:{r.randint(3, 60)})' for f, p in fr])
def dotnet(r, c, head, frames):
    p = PNAME[c['plugin']]
    fr = frames + [f'Contoso.Copilot.Plugins.{p}.{p}Client.{camel(c["fn"])}Async(CancellationToken ct) in /src/Plugins/{p}/{p}Client.cs:line '
                   f'{r.randint(40, 400)}', f'Contoso.Copilot.Runtime.ToolInvoker.InvokeAsync(ToolCall call) in /src/Runtime/ToolInvoker.cs:line {r.randint(60, 260)}']
    return '\n'.join([head] + ['   at ' + f for f in fr])
def logline(r, c, msg):
    x = r.randrange(4)
    return [f'{iso(c["ts"])} ERROR [{c["tool"]}] {msg}', f'level=error ts={iso(c["ts"])} plugin={c["plugin"]} op={c["fn"]} msg={json.dumps(msg)}',
            f'[{c["ts"]:%H:%M:%S}.{c["ts"].microsecond // 1000:03d}] {c["plugin"]}: {msg}', f'ERROR tools.{c["plugin"]} trace={rs(r, 16, HX)}: {c["fn"]} failed: {msg}'][x]
def sdk_exc(r, c, status, body, hdr):
    """The vendor SDK / client exception for an HTTP error, in that SDK's own message shape."""
    p, bt = c['plugin'], compact(body)
    if p == 'servicenow':
        return pytb(r, c, [('pysnow/response.py', '_get_buffered_response', 'self._raise_on_error(response)'), ('pysnow/response.py',
                    '_raise_on_error', 'raise ResponseError(error)')], 'pysnow.exceptions.ResponseError: Error in response. Message: '
                    f"{body['error']['message']}, Details: {body['error']['detail']}")
    if p == 'zendesk':
        cls = {404: 'RecordNotFoundException', 429: 'RatelimitBudgetExceeded'}.get(status, 'APIException')
        return pytb(r, c, [('zenpy/lib/api.py', '_check_response', f'raise {cls}(response.text, response=response)')], f'zenpy.lib.exception.{cls}: {bt}')
    if p == 'okta':
        msg = f"Okta HTTP {status} {body['errorCode']} {body['errorSummary']}" + ''.join(f"\n{x['errorSummary']}" for x in body['errorCauses'])
        if r.random() < 0.5:
            return pytb(r, c, [('okta/error_messages.py', 'raise_error', 'raise OktaAPIError(url, response_details, response_body)')],
                        f'okta.errors.okta_api_error.OktaAPIError: {msg}')
        return f'OktaApiError: {msg}\n    at OktaApiError ({NM}/@okta/okta-sdk-nodejs/src/api-error.js:27:5)\n  errorId: {body["errorId"]}'
    if p == 'pagerduty':
        return pytb(r, c, [('pdpyras.py', 'rget', 'return self._raise_on_error(r)'), ('pdpyras.py', 'raise_on_error', 'raise PDHTTPError(message, r)')],
                    f"pdpyras.PDHTTPError: {c['method']} {c['path'].split('?')[0]}: API responded with non-success status ({status})\nresponse.text: {bt}")
    if p == 'box':
        hh = {k: v for k, v in hdr.items() if k != 'Content-Type'}
        return pytb(r, c, [('boxsdk/session/session.py', '_raise_on_unsuccessful_request', 'raise BoxAPIException(')],
                    f"boxsdk.exception.BoxAPIException: Message: {body.get('message')}\nStatus: {status}\nCode: {body.get('code')}\nRequest ID: "
                    f"{body.get('request_id')}\nHeaders: {hh}\nURL: {url(c)}\nMethod: {c['method']}\nContext Info: {body.get('context_info')}")
    if p == 'confluence':
        m = body.get('message') or '; '.join(body.get('errorMessages') or []) or (body.get('errors') or [{}])[0].get('title')
        cls = {404: 'ApiNotFoundError', 409: 'ApiConflictError', 403: 'ApiPermissionError'}.get(status)
        return pytb(r, c, [('atlassian/rest_client.py', 'raise_for_status', f'raise {cls}(error_msg, reason=e)' if cls else
                            'raise HTTPError(error_msg, response=response)')], f'atlassian.errors.{cls}: {m}' if cls else f'requests.exceptions.HTTPError: {m}')
    fs = body.split('<faultstring>')[1].split('</faultstring>')[0]  # workday SOAP via zeep
    return pytb(r, c, [('zeep/wsdl/bindings/soap.py', 'process_error', 'raise Fault(')], f'zeep.exceptions.Fault: {fs}',
                call=f"return self.client.service.{c.get('soap', 'Get_Workers')}(**request)")
def render(r, c, form, status, body, hdr=None, const=False):
    """Render an HTTP error (status, body) in one surface form; bodies without any varying token travel with their headers."""
    bt = compact(body)
    const = const or not re.search(r'\b(?=[\w-]*\d)[\w-]{8,}\b|\d{5,}', bt)
    if form == 'json' and not const:
        return body if isinstance(body, str) else J(r, body)
    if form in ('json', 'wrap'):
        d = {'status': status}
        if hdr or const or r.random() < 0.5:
            d['headers'] = std_headers(r, c, hdr)
        return json.dumps(dict(d, body=bt))
    if form == 'sdk':
        return sdk_exc(r, c, status, body, std_headers(r, c, hdr))
    if form == 'log':
        return logline(r, c, f'{c["method"]} {url(c)} -> {status} {REASON[status]}: {bt}')
    if form == 'node':
        return nstack(r, c, f'AxiosError: Request failed with status code {status}', [
            ('settle', f'{NM}/axios/dist/node/axios.cjs'), ('IncomingMessage.handleStreamEnd', f'{NM}/axios/dist/node/axios.cjs'),
            ('process.processTicksAndRejections', 'node:internal/process/task_queues')]) + f"\n  code: 'ERR_BAD_REQUEST',\n  response: {{ status: {status}, data: {bt} }}"
    x = r.randrange(3)  # 'status': the status line only, no body
    if x == 0:
        return logline(r, c, f"Client error '{status} {REASON[status]}' for url '{url(c)}'")
    if x == 1:
        return pytb(r, c, [('requests/models.py', 'raise_for_status', 'raise HTTPError(http_error_msg, response=self)')],
                    f'requests.exceptions.HTTPError: {status} Client Error: {REASON[status]} for url: {url(c)}')
    return dotnet(r, c, f'System.Net.Http.HttpRequestException: Response status code does not indicate success: {status} ({REASON[status]}).',
                  ['System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()'])
SF_STMT = ['net.snowflake.client.jdbc.SnowflakeUtil.checkErrorAndThrowExceptionSub', 'net.snowflake.client.jdbc.SnowflakeUtil.checkErrorAndThrowException',
           'net.snowflake.client.core.StmtUtil.pollForOutput', 'net.snowflake.client.core.StmtUtil.execute', 'net.snowflake.client.core.SFStatement.executeHelper',
           'net.snowflake.client.core.SFStatement.executeQueryInternal', 'net.snowflake.client.jdbc.SnowflakeStatementV1.executeQueryInternal']
SF_LOGIN = ['net.snowflake.client.core.SessionUtil.newSession', 'net.snowflake.client.core.SessionUtil.openSession',
            'net.snowflake.client.core.SFSession.open', 'net.snowflake.client.jdbc.SnowflakeConnectionV1.initialize']
def sf_render(r, c, form, code, state, msg, login=False, pycls='ProgrammingError', jcls='SnowflakeSQLException'):
    """A Snowflake error as Python connector traceback, JDBC trace, Node SDK error, SQL API body or log line."""
    if form == 'sdk':
        lib = [('snowflake/connector/connection.py', '__open_connection', 'self.authenticate_with_retry(self.auth_class)')] if login else [
            ('snowflake/connector/cursor.py', 'execute', 'Error.errorhandler_wrapper(self.connection, self, error_class, errvalue)')]
        return pytb(r, c, lib + [('snowflake/connector/errors.py', 'errorhandler_wrapper', 'handed_over = Error.hand_to_other_handler('),
                                 ('snowflake/connector/errors.py', 'default_errorhandler', 'raise error_class(')],
                    f'snowflake.connector.errors.{pycls}: {code} ({state}): {sf_qid(r)}: {msg}', call='cur.execute(sql, timeout=timeout)')
    if form == 'java':
        fr = (SF_LOGIN[:r.randint(3, 4)] if login else SF_STMT[:r.randint(4, 7)]) + ['net.snowflake.client.jdbc.SnowflakePreparedStatementV1.executeQuery', jclass(c)]
        return jtrace(r, f'net.snowflake.client.jdbc.{jcls}: {msg}', fr)
    if form == 'node':
        return nstack(r, c, f'OperationFailedError: {msg}', [('createError', f'{NM}/snowflake-sdk/lib/errors.js'), ('Object.exports.createOperationFailedError',
                      f'{NM}/snowflake-sdk/lib/errors.js'), ('Object.callback', f'{NM}/snowflake-sdk/lib/connection/statement.js')]) + \
            f"\n  code: '{code}', sqlState: '{state}', data: {{ queryId: '{sf_qid(r)}' }}"
    if form == 'log':
        return logline(r, c, f'statement {sf_qid(r)} failed: ' + (f'{code} ({state}): ' if code else '') + msg.strip())
    return render(r, c, form, 401 if login else 422, sf_body(r, code, msg, state))

# ---------------------------------------------------------------- per-cause payloads: (status, body, headers, const)
def pay_rate(r, c):
    p, ra, reset = c['plugin'], r.choice([1, 2, 5, 10, 20, 30, 60]), str(int(c['ts'].timestamp()) + r.randint(5, 60))
    if p == 'servicenow':
        n = r.choice([500, 1000, 2500, 5000])
        return 429, sn_body('Too Many Requests', f"Rate limit of {n} requests per hour exceeded for rule 'AI integration user - REST' (user: "
                            f"svc_{c['org']}_assistant)"), {'X-RateLimit-Limit': str(n), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset,
                                                           'Retry-After': str(ra)}, False
    if p == 'zendesk':
        b = {'error': 'TooManyRequests', 'description': 'Rate limit for ticket updates exceeded, please wait before updating this ticket again'} \
            if c['method'] == 'PUT' and r.random() < 0.6 else {'error': 'APIRateLimitExceeded', 'description': 'Number of allowed API requests per minute exceeded'}
        return 429, b, {'Retry-After': str(ra), 'x-rate-limit': str(r.choice([200, 400, 700, 2500])), 'x-rate-limit-remaining': '0'}, True
    if p == 'okta':
        return 429, okta_body(r, 'E0000047', 'API call exceeded rate limit due to too many requests.'), {
            'X-Rate-Limit-Limit': str(r.choice([600, 1200, 100])), 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': reset}, False
    if p == 'pagerduty':
        return 429, pd_body('Rate Limit Exceeded', 2020), {'ratelimit-limit': '960', 'ratelimit-remaining': '0', 'ratelimit-reset': str(r.randint(1, 60))}, True
    if p == 'box':
        return 429, box_body(r, 429, 'rate_limit_exceeded', 'Request rate limit exceeded, please try again later'), {'Retry-After': str(ra)}, False
    return 429, {'message': f'Rate limit exceeded. Retry after {ra} seconds.', 'statusCode': 429}, {'Retry-After': str(ra), 'X-RateLimit-Remaining': '0',
                 'RateLimit-Reason': r.choice(['confluence-quota-global-based', 'confluence-burst-based', 'confluence-quota-tenant-based'])}, True
def pay_expired(r, c, form):
    p, ago = c['plugin'], r.randint(1, 7200)
    if p == 'okta':
        return 401, okta_body(r, 'E0000011', 'Invalid token provided'), {'WWW-Authenticate': f'Bearer authorization_uri="https://{c["host"]}/oauth2/v1/'
                f'authorize", realm="https://{c["host"]}", scope="okta.users.manage", error="invalid_token", error_description="The access token has '
                f'expired.", resource="{c["path"].split("?")[0]}"'}, False
    if p == 'box':
        if form == 'json':
            return 400, {'error': 'invalid_grant', 'error_description': 'Refresh token has expired'}, None, True
        return 401, '', {'WWW-Authenticate': 'Bearer realm="Service", error="invalid_token", error_description="The access token provided has expired."'}, True
    if p == 'servicenow':
        return 401, sn_body('User Not Authenticated', 'Required to provide Auth information'), {'WWW-Authenticate': f'Bearer realm="{c["host"]}", '
                f'error="invalid_token", error_description="access token expired {ago}s ago"'}, False
    if p == 'confluence':
        return 401, {'code': 401, 'message': 'Unauthorized'}, {'WWW-Authenticate': 'Bearer realm="api.atlassian.com", error="invalid_token", '
                                                                                   f'error_description="The access token expired {ago} seconds ago"'}, True
    return 401, {'error': 'invalid_token', 'error_description': 'Access token expired'}, None, True  # workday REST
def pay_revoked(r, c):
    p = c['plugin']
    if p == 'okta':
        return 401, okta_body(r, 'E0000011', 'Invalid token provided'), None, False
    if p == 'zendesk':
        return 401, {'error': "Couldn't authenticate you"}, {'WWW-Authenticate': 'Basic realm="Web Password"'}, True
    if p == 'pagerduty':
        return 401, pd_body('Authentication failed', 2006), {'WWW-Authenticate': 'Token realm="PagerDuty"'}, True
    if p == 'confluence':
        return 401, {'errorMessages': ['Client must be authenticated to access this resource.'], 'errors': {}}, None, True
    return 500, wd_fault('Auth', 'invalid username or password'), {'Content-Type': 'text/xml;charset=UTF-8'}, True
def pay_notfound(r, c):
    p, rec = c['plugin'], c['rec']
    if p == 'servicenow':
        return 404, sn_body('No Record found', "Record doesn't exist or ACL restricts the record retrieval"), None, True
    if p == 'zendesk':
        return 404, {'error': 'RecordNotFound', 'description': 'Not found'}, None, True
    if p == 'okta':
        return 404, okta_body(r, 'E0000007', f'Not found: Resource not found: {rec} ({c.get("rtype", "User")})'), None, False
    if p == 'pagerduty':
        return 404, pd_body('Not Found', 2100), None, True
    if p == 'box':
        b = box_body(r, 404, 'trashed', 'Item is trashed') if r.random() < 0.25 else \
            box_body(r, 404, 'not_found', r.choice(['Could not find the specified resource', 'Not Found']))
        return 404, b, None, False
    if p == 'confluence':
        if r.random() < 0.5:
            return 404, {'errors': [{'status': 404, 'code': 'NOT_FOUND', 'title': 'Not Found', 'detail': None}]}, None, True
        return 404, cf1(404, f'No content found with id: ContentId{{id={rec}}}', 'Not Found'), None, False
    m = f"Invalid ID value.  '{rec}' is not a valid ID value for type = 'Employee_ID'"  # workday
    return 500, wd_fault('Validation', 'Validation error occurred. ' + m, m,
                         f"/ns0:{c['soap']}_Request[1]/ns0:Request_References[1]/ns0:Worker_Reference[1]/ns0:ID[1]"), None, False
def pay_invalid(r, c):
    p, a = c['plugin'], c['args']
    if p == 'zendesk':
        if c['fn'] == 'create_ticket' and r.random() < 0.5:
            a['requester_email'] = em = a['requester_email'].replace('@', r.choice(['@@', ' @', '@.']))
            return 422, zd_invalid('requester', f'Requester: Email:  {em} is not properly formatted'), None, False
        a['status'] = v = r.choice(['in_progress', 'escalated', 'waiting', 'closed-ish'])
        return 422, zd_invalid('status', f'Status: {v} is not a valid value'), None, False
    if p == 'servicenow':
        f = r.choice(['Assignment group', 'Configuration item', 'Category', 'Impact'])
        return 403, sn_body('Operation Failed', f'Data Policy Exception: \n\tThe following fields are mandatory: {f}\n'), None, False
    if p == 'okta':
        bad = r.choice(['email', 'login'])
        a['profile'][bad] = a['profile'][bad].split('@')[0]
        msg = 'Does not match required pattern' if bad == 'email' else 'Username must be in the form of an email address'
        return 400, okta_body(r, 'E0000001', f'Api validation failed: {bad}', [f'{bad}: {msg}']), None, False
    if p == 'pagerduty':
        a['urgency'] = v = r.choice(['P1', 'critical', 'urgent', 'HIGH '])
        return 400, pd_body('Invalid Input Provided', 2001, [f"Urgency must be one of high or low. Received '{v}'"]), None, False
    if p == 'box':
        nm = a['name']
        a['name'] = bad = r.choice([nm + ' ', 'Finance/' + nm, nm.replace('.', '\\.'), '.' + nm[:5]])
        return 400, box_body(r, 400, 'item_name_invalid', 'Item name invalid', {'errors': [
            {'reason': 'invalid_parameter', 'name': 'name', 'message': f"Invalid value '{bad}'."}]}), None, False
    if p == 'confluence':
        tag, exp = r.choice(['li', 'p', 'ul', 'h2', 'td']), r.choice(['ac:structured-macro', 'strong', 'a'])
        return 400, cf1(400, f'Error parsing xhtml: Unexpected close tag </{tag}>; expected </{exp}>.\n at [row,col {{unknown-source}}]: '
                        f'[{r.randint(1, 40)},{r.randint(5, 300)}]', 'Bad Request', False), None, False
    a['hours_per_day'] = v = r.choice(['eight', '8h', '7,5', '-4', 'full'])  # workday
    m = f"Element Content '{v}' is invalid: not a valid decimal"
    return 500, wd_fault('Validation', 'Validation error occurred. ' + m, m,
                         f"/ns0:{c['soap']}_Request[1]/ns0:{c['soap']}_Data[1]/ns0:Time_Off_Entry_Data[1]/ns0:Hours[1]"), None, False
def pay_scope(r, c):
    p, w = c['plugin'], c['method'] != 'GET'
    if p == 'okta':
        sc = 'okta.groups.manage' if '/groups' in c['path'] else 'okta.users.manage' if w else 'okta.users.read'
        return 403, okta_body(r, 'E0000006', 'You do not have permission to perform the requested action'), {'WWW-Authenticate':
                f'Bearer authorization_uri="https://{c["host"]}/oauth2/v1/authorize", realm="https://{c["host"]}", scope="{sc}", error="insufficient_scope", '
                f'error_description="The access token provided does not contain the required scopes.", resource="{c["path"].split("?")[0]}"'}, False
    if p == 'box':
        m = 'The request requires higher privileges than provided by the access token.'
        return 403, box_body(r, 403, 'insufficient_scope', m), {'WWW-Authenticate': f'Bearer realm="Service", error="insufficient_scope", error_description="{m}"'}, False
    if p == 'confluence':
        return 401, {'code': 401, 'message': 'Unauthorized; scope does not match'}, None, True
    if p == 'pagerduty':
        return 403, pd_body('Access Denied', 2010, ['The access token does not have the required scope(s): ' + ('incidents.write' if w else 'schedules.read')]), None, False
    area = r.choice(['Time Off and Leave', 'Staffing', 'Worker Data: Public Worker Reports', 'Personal Data'])
    return 403, {'error': 'invalid request: insufficient scope', 'errors': [{'error': f"The API client's scope does not include the functional "
                                                                              f"area '{area}'", 'location': c['path']}]}, None, False
def pay_query(r, c):
    p, a = c['plugin'], c['args']
    if p == 'okta':
        q = a['search']
        a['search'] = r.choice([x for x in (q.replace('"', '', 1), q.replace(' eq ', ' equals '), q + ' and', q.replace('"', "'")) if x != q])
        return 400, okta_body(r, 'E0000031', 'Invalid search criteria.'), None, False
    if p == 'confluence':
        q = a['cql']
        a['cql'] = q2 = r.choice([x for x in (q.replace('"', '', 1), q.replace(' AND ', ' && ', 1), q.replace('~', '~=', 1), q + ' AND') if x != q])
        return 400, cf1(400, f'Could not parse cql : {q2}', 'Bad Request', False), None, False
    fld = r.choice(['u_datacenter', 'location_name', 'os_ver', 'u_dc_code', 'operational'])
    a['query'] = a['query'].replace('location.name', fld)
    return 400, sn_body(f'Invalid query detected, please check logs for details [Unknown field {fld} in table cmdb_ci_linux_server]', None), None, False
def pay_quota(r, c):
    p = c['plugin']
    if p == 'zendesk':
        c['args']['role'] = 'agent'
        return 422, {'error': 'RecordInvalid', 'description': 'Record validation errors', 'details': {'base': [{'description': 'You have reached the '
                     f'maximum number of agents ({r.choice([5, 10, 25, 50, 100, 250])}) allowed on your current plan. Please purchase more agent seats '
                     'to add agents.', 'error': 'AgentLimitExceeded'}]}}, None, False
    if p == 'box':
        return 403, box_body(r, 403, 'storage_limit_exceeded', 'Account storage limit reached', {
            'available': r.randint(0, 10 ** 7), 'required': r.randint(2 * 10 ** 7, 9 * 10 ** 8)}), None, False
    return 402, pd_body('Your account is expired and cannot use the API.', 2012), None, True
def pay_ipblock(r, c):
    p, ip = c['plugin'], ippub(r)
    if p == 'okta':
        b = okta_body(r, 'E0000006', 'You do not have permission to perform the requested action',
                      [f'Request from IP address {ip} is not in an allowed network zone for this API token'])
    elif p == 'zendesk':
        b = {'error': 'Forbidden', 'description': f"Access from IP address {ip} is not permitted by this account's IP restrictions. Please "
                                                  'contact your Zendesk administrator.'}
    else:
        b = {'message': f"Your IP address {ip} isn't on your organization's IP allowlist for {c['host']}", 'statusCode': 403}
    return 403, b, None, False
def pay_lock(r, c):
    p = c['plugin']
    if p == 'confluence':
        return 409, cf1(409, f'Version must be incremented on update. Current version is: {c["ver"] + r.randint(0, 3)}', 'Conflict'), None, False
    if p == 'box':
        return 412, box_body(r, 412, 'precondition_failed', 'The resource has been modified. Please retrieve the resource again and retry'), \
            {'ETag': str(r.randint(1, 30))}, False
    return 409, {'error': 'UpdateConflict', 'description': 'Safe Update prevented the update due to outdated ticket data. Please fetch the latest '
                 'ticket data and try again.', 'details': {'updated_stamp': [{'description': 'Ticket was updated at '
                                                                              f'{iso(c["ts"] - timedelta(seconds=r.randint(2, 600)))}'}]}}, None, False
def pay_dup(r, c):
    p, rec = c['plugin'], c['rec']
    if p == 'okta':
        return 400, okta_body(r, 'E0000001', 'Api validation failed: login', ['login: An object with this field already exists in the current organization']), None, False
    if p == 'box':
        if c['fn'] == 'add_collaboration':
            return 409, box_body(r, 409, 'user_already_collaborator', 'User is already a collaborator'), None, False
        return 409, box_body(r, 409, 'item_name_in_use', 'Item with the same name already exists', {'conflicts': {'type': 'file', 'id': bigid(r, 10 ** 11, 2 * 10 ** 12),
                             'sequence_id': str(r.randint(0, 9)), 'etag': str(r.randint(0, 9)), 'sha1': rs(r, 40, HX), 'name': rec}}), None, False
    if p == 'zendesk':
        return 422, zd_invalid('email', f'Email: {rec} is already being used by another user', 'DuplicateValue'), None, False
    if p == 'confluence':
        return 400, cf1(400, 'A page with this title already exists: A page already exists with the same TITLE in this space', 'Bad Request'), None, True
    if p == 'servicenow':
        return 403, sn_body('Operation Failed', f"Unique Key violation detected by database ((conn={r.randint(10 ** 5, 10 ** 7)}) Duplicate entry "
                            f"'{rs(r, 32, HX)}' for key 'PRIMARY')"), None, False
    return 400, pd_body('Invalid Input Provided', 2001, [f'Open incident with key {rec!r} already exists on this service']), None, False

# ---------------------------------------------------------------- Snowflake messages per cause: (code, state, message, login?, python class, JDBC class)
def sf_syntax(r, c):
    """Mutate the statement; return the matching compilation error."""
    s, col, k = c['args']['statement'], c['col'], r.randrange(4)
    if k == 0:
        s2 = s.replace(' FROM ', ' FORM ', 1)
        m = f"SQL compilation error:\nsyntax error line 1 at position {s2.index(' FORM ') + 6} unexpected '{s2.split(' FORM ')[1].split('.')[0]}'."
    elif k == 1:
        bad = col[:3] + col[4:]
        s2 = s.replace(col, bad, 1)
        c['args']['statement'] = s2
        return '000904', '42000', f"SQL compilation error: error line 1 at position {s2.index(bad)}\ninvalid identifier '{bad.upper()}'"
    elif k == 2:
        s2 = s.replace(' GROUP BY', ' GROUP', 1) if ' GROUP BY' in s else s.replace(' WHERE ', ' WHERE AND ', 1)
        tok = 'GROUP' if ' GROUP ' in s2 else 'AND'
        m = f"SQL compilation error:\nsyntax error line 1 at position {s2.find(' ' + tok + ' ') + 1} unexpected '{tok}'."
    else:
        s2 = s.replace('(', '((', 1) if '(' in s else s + ' AND'
        m = f"SQL compilation error:\nsyntax error line 1 at position {len(s2)} unexpected '<EOF>'."
    c['args']['statement'] = s2
    return '001003', '42000', m
def sf_msg(r, c, cause):
    if cause == 'malformed_query':
        return sf_syntax(r, c) + (False, 'ProgrammingError', 'SnowflakeSQLException')
    if cause == 'record_not_found':
        tbl = c['args']['statement'].split(' FROM ')[1].split()[0]
        return '002003', '42S02', f"SQL compilation error:\nObject '{tbl}' does not exist or not authorized.", False, 'ProgrammingError', 'SnowflakeSQLException'
    if cause == 'invalid_field_value':
        v = r.choice(['N/A', 'n/a', '-', 'TBD', '1,234.50', '12/31/2024', '2024-13-01'])
        if '/' in v or v.startswith('2024'):
            return '100040', '22007', f"Date '{v}' is not recognized", False, 'ProgrammingError', 'SnowflakeSQLException'
        return '100038', '22018', f"Numeric value '{v}' is not recognized", False, 'ProgrammingError', 'SnowflakeSQLException'
    if cause == 'expired_token':
        if r.random() < 0.3:
            return '390318', '08001', f'OAuth access token expired. [{r.randint(10 ** 8, 10 ** 10)}]', True, 'DatabaseError', 'SnowflakeSQLException'
        return '390114', '08001', 'Authentication token has expired.  The user must authenticate again.', True, 'DatabaseError', 'SnowflakeReauthenticationRequest'
    if cause == 'revoked_credentials':
        return '390144', '08004', f'JWT token is invalid. [{guid(r)}]', True, 'DatabaseError', 'SnowflakeSQLException'
    if cause == 'licence_quota_exhausted':
        rm = r.choice(['RM_MONTHLY_ANALYTICS', 'ACCOUNT_MONITOR', 'BI_CREDIT_CAP', 'ADHOC_QUOTA'])
        return None, None, f"Warehouse '{c['wh']}' cannot be resumed because resource monitor '{rm}' has exceeded its quota.", False, 'ProgrammingError', 'SnowflakeSQLException'
    if cause == 'ip_allowlist_blocked':
        m = f'Incoming request with IP/Token {ippub(r)} is not allowed to access Snowflake. Contact your account administrator.'
        return '250001', '08001', f'Failed to connect to DB: {c["host"]}:443. {m}', True, 'DatabaseError', 'SnowflakeSQLException'
    if r.random() < 0.8:  # warehouse_suspended
        return '000606', '57P03', "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.\n", \
            False, 'ProgrammingError', 'SnowflakeSQLException'
    return '000606', '57P03', f"Warehouse '{c['wh']}' is suspended and AUTO_RESUME is disabled.", False, 'ProgrammingError', 'SnowflakeSQLException'

# ---------------------------------------------------------------- cause forms: f(r, c) -> skill_output
def named(name):
    def deco(f):
        f.__name__ = name
        return f
    return deco
def H(payload, form):
    """An HTTP failure of the given payload in one surface form."""
    return named(form)(lambda r, c: render(r, c, form, *payload(r, c)))
def SF(cause, form):
    """A Snowflake failure for the cause in one surface form."""
    def f(r, c):
        code, state, msg, login, pycls, jcls = sf_msg(r, c, cause)
        if form == 'java' and jcls != 'SnowflakeSQLException':
            return jtrace(r, f'net.snowflake.client.jdbc.{jcls}: {msg}', ['net.snowflake.client.core.SessionUtil.renewSession',
                          'net.snowflake.client.core.SFSession.renewSession', 'net.snowflake.client.jdbc.RestRequest.execute', jclass(c)])
        if form == 'java' and cause == 'ip_allowlist_blocked':
            msg = msg.split('443. ')[1]
        return sf_render(r, c, form, code, state, msg, login, pycls, jcls)
    return named(form)(f)
def expired_log(r, c):
    exp = c['ts'] - timedelta(seconds=r.randint(5, 86400))
    return logline(r, c, r.choice([f'OAuth access token for {PNAME[c["plugin"]]} expired at {iso(exp)}; no refresh_token stored for this connection',
                                   f'401 from {c["host"]}: bearer token expired (exp={int(exp.timestamp())}, now={int(c["ts"].timestamp())})',
                                   f'token refresh skipped, cached access token expired {iso(exp)} -> 401 Unauthorized']))
def EXP(form):
    return named(form)(expired_log if form == 'log' else lambda r, c: render(r, c, form, *pay_expired(r, c, form)))
@named('html')
def ip_html(r, c):
    ip = ippub(r)
    return (f'<!DOCTYPE html>\n<html lang="en-US"><head><title>Access denied | {c["host"]} used Cloudflare to restrict access</title></head><body>'
            '<div id="cf-wrapper"><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">1006</span></h1><h2 class="cf-subheadline">'
            f'Access denied</h2><p>The owner of this website ({c["host"]}) has banned your IP address ({ip}).</p><span class="cf-footer-item">Cloudflare '
            f'Ray ID: <strong>{rs(r, 16, HX)}</strong></span><span class="cf-footer-item">Your IP: {ip}</span></div></body></html>')
def timeout_form(form):
    def f(r, c):
        h, u, to = hostof(c), url(c), r.choice([10, 15, 30, 60, 120])
        if form == 'html':
            x = r.randrange(3)
            if x == 0:
                return (f'<!DOCTYPE html>\n<html lang="en-US"><head><title>{h} | 524: A timeout occurred</title></head><body><div id="cf-error-details">'
                        '<h1>A timeout occurred</h1><span class="code-label">Error code 524</span><p>The origin web server timed out responding to this '
                        f'request.</p><span>Cloudflare Ray ID: <strong>{rs(r, 16, HX)}</strong></span><span>Your IP: {ippub(r)}</span><span>'
                        f'{c["ts"]:%Y-%m-%d %H:%M:%S} UTC</span></div></body></html>')
            tail = f'<hr><center>nginx/1.{r.choice([18, 22, 24, 25])}.{r.randint(0, 4)}</center>\r\n' if x == 1 else ''
            page = f'<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n{tail}</body>\r\n</html>'
            if r.random() < 0.5:
                return json.dumps({'status': 504, 'headers': std_headers(r, c, {'Content-Type': 'text/html', 'Server': 'nginx' if x == 1 else 'awselb/2.0'}), 'body': page})
            return f'{iso(c["ts"])} HTTP 504 from {c["method"]} {u} after {r.randint(30000, 120000)} ms:\n{page}'
        if form == 'py':
            return pytb(r, c, [('requests/sessions.py', 'send', 'r = adapter.send(request, **kwargs)'), ('requests/adapters.py', 'send',
                        'raise ReadTimeout(e, request=request)')], f"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{h}', port=443): Read timed out. (read timeout={to})")
        if form == 'java':
            return jtrace(r, 'java.net.SocketTimeoutException: Read timed out', [
                'java.base/sun.nio.ch.NioSocketImpl.timedRead', 'java.base/sun.nio.ch.NioSocketImpl.implRead', 'java.base/java.net.Socket$SocketInputStream.read',
                'org.apache.http.impl.io.SessionInputBufferImpl.fillBuffer', 'org.apache.http.impl.execchain.MainClientExec.execute', jclass(c)]) + \
                f'\n[{iso(c["ts"])}] request to {u} timed out after {to * 1000} ms'
        if form == 'node':
            if r.random() < 0.5:
                return nstack(r, c, f'AxiosError: timeout of {to * 1000}ms exceeded', [('RedirectableRequest.handleRequestTimeout', f'{NM}/axios/dist/node/axios.cjs'),
                              ('Timeout._onTimeout', f'{NM}/follow-redirects/index.js')]) + f"\n  code: 'ECONNABORTED', url: '{u}'"
            return nstack(r, c, 'Error: read ETIMEDOUT', [('TLSWrap.onStreamRead', 'node:internal/stream_base_commons')]) + \
                f"\n  errno: -110, code: 'ETIMEDOUT', syscall: 'read', host: '{h}'"
        return dotnet(r, c, f'System.Threading.Tasks.TaskCanceledException: The request was canceled due to the configured HttpClient.Timeout of {to} '
                      'seconds elapsing.\n ---> System.TimeoutException: A task was canceled.', ['System.Net.Http.HttpClient.HandleFailure(Exception e, '
                      'Boolean telemetryStarted, HttpResponseMessage response, CancellationTokenSource cts, CancellationToken cancellationToken, '
                      'CancellationTokenSource pendingRequestsCts)'])
    return named(form)(f)
def conn_form(form):
    def f(r, c):
        h, u, ip = hostof(c), url(c), ippub(r)
        if form == 'py':
            exc = (f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{h}', port=443): Max retries exceeded with url: {c['path']} (Caused by "
                   f"NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f{rs(r, 10, HX)}>: Failed to establish a new connection: [Errno 111] "
                   "Connection refused'))") if r.random() < 0.5 else \
                f"requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))\nwhile calling {c['method']} {u}"
            return pytb(r, c, [('requests/adapters.py', 'send', 'raise ConnectionError(err, request=request)')], exc)
        if form == 'java':
            if c['plugin'] == 'snowflake':
                return jtrace(r, 'net.snowflake.client.jdbc.SnowflakeSQLException: JDBC driver encountered communication error. Message: Exception encountered '
                              f'for HTTP request: Connection reset by peer ({h}:443).', ['net.snowflake.client.jdbc.RestRequest.execute',
                              'net.snowflake.client.core.HttpUtil.executeRequestInternal', 'net.snowflake.client.core.HttpUtil.executeGeneralRequest', jclass(c)])
            return jtrace(r, 'java.net.ConnectException: Connection refused', ['java.base/sun.nio.ch.Net.pollConnect', 'java.base/sun.nio.ch.NioSocketImpl.connect',
                          'java.base/java.net.Socket.connect', 'org.apache.http.conn.ssl.SSLConnectionSocketFactory.connectSocket', jclass(c)]) + f'\n(target {h}/{ip}:443)'
        if form == 'node':
            if r.random() < 0.5:
                return (f'Error: connect ECONNREFUSED {ip}:443\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:{r.choice([1555, 1595, 1607])}:16) '
                        f"{{\n  errno: -111,\n  code: 'ECONNREFUSED',\n  syscall: 'connect',\n  address: '{ip}',\n  port: 443\n}}")
            return nstack(r, c, 'Error: socket hang up', [('TLSSocket.socketOnEnd', 'node:_http_client')]) + f"\n  code: 'ECONNRESET', url: '{u}'"
        if r.random() < 0.5:
            return f'{iso(c["ts"])} HTTP 502 from {u}\n<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>'
        return (f'<!DOCTYPE html>\n<html><head><title>{h} | 502: Bad gateway</title></head><body><h1>Bad gateway</h1><span class="code-label">Error code 502</span>'
                f'<p>The web server reported a bad gateway error.</p><span>Cloudflare Ray ID: <strong>{rs(r, 16, HX)}</strong></span><span>{c["ts"]:%Y-%m-%d %H:%M:%S} UTC</span></body></html>')
    return named(form)(f)
BUG_KEYS = {'servicenow': ['result', 'sys_id', 'display_value'], 'zendesk': ['ticket', 'tickets', 'user'], 'okta': ['profile', 'id', '_links'],
            'workday': ['Worker_Data', 'Response_Data', 'Worker_Reference'], 'pagerduty': ['incident', 'oncalls', 'user'], 'box': ['entries', 'id', 'shared_link'],
            'snowflake': ['rowset', 'resultSetMetaData', 'data'], 'confluence': ['results', 'body', 'version']}
def bug_form(form):
    def f(r, c):
        keys = BUG_KEYS[c['plugin']]
        k = r.choice(keys)
        if form == 'py':
            line, exc = r.choice([(f'return resp.json()["{k}"][0]["{r.choice(keys)}"]', f"KeyError: '{k}'"), (f'first = payload["{k}"][0]', 'IndexError: list index out of range'),
                                  (f'name = rec.get("{k}").get("display_value")', "AttributeError: 'NoneType' object has no attribute 'get'")])
            return pytb(r, c, [], exc, call=line) + f'\n(tool={c["tool"]}, request_id={guid(r)})'
        if form == 'java':
            return jtrace(r, 'java.lang.NullPointerException: Cannot invoke "com.fasterxml.jackson.databind.JsonNode.get(String)" because the return value of '
                          '"com.fasterxml.jackson.databind.JsonNode.get(String)" is null', [f'com.{c["org"].replace("-", "")}.assistant.plugins.{c["plugin"]}.'
                          f'{PNAME[c["plugin"]]}Mapper.to{camel(k.strip("_"))}', jclass(c), 'com.contoso.copilot.runtime.ToolExecutor.invoke'], more=False) + f'\n[trace {rs(r, 16, HX)}]'
        if form == 'node':
            return nstack(r, c, f"TypeError: Cannot read properties of undefined (reading '{k}')", [('mapResult', f'/srv/assistant/dist/plugins/{c["plugin"]}/mapper.js')]) + \
                f'\n  invocationId: {guid(r)}'
        return J(r, {'error': 'ToolExecutionError', 'tool': c['tool'], 'invocation_id': guid(r), 'detail': r.choice([
            f"KeyError('{k}')", "TypeError(\"'NoneType' object is not subscriptable\")", "ValueError('too many values to unpack (expected 2)')"])})
    return named(form)(f)
def dns_form(form):
    def f(r, c):
        h = hostof(c)
        why = r.choice(['Name or service not known', 'Temporary failure in name resolution'])
        if form == 'py':
            return pytb(r, c, [('requests/adapters.py', 'send', 'raise ConnectionError(e, request=request)')], f"requests.exceptions.ConnectionError: HTTPSConnectionPool("
                        f"host='{h}', port=443): Max retries exceeded with url: {c['path']} (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at "
                        f"0x7f{rs(r, 10, HX)}>: Failed to resolve '{h}' ([Errno {-2 if why[0] == 'N' else -3}] {why})\"))")
        if form == 'java':
            return jtrace(r, f'java.net.UnknownHostException: {h}: {why}', ['java.base/java.net.Inet6AddressImpl.lookupAllHostAddr', 'java.base/java.net.InetAddress.getAllByName0',
                          'org.apache.http.impl.conn.SystemDefaultDnsResolver.resolve', jclass(c)])
        if form == 'node':
            code = r.choice(['ENOTFOUND', 'EAI_AGAIN'])
            return (f'Error: getaddrinfo {code} {h}\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:{r.choice([107, 109, 118])}:26) {{\n  errno: '
                    f"{-3008 if code == 'ENOTFOUND' else -3001},\n  code: '{code}',\n  syscall: 'getaddrinfo',\n  hostname: '{h}'\n}}")
        return dotnet(r, c, f'System.Net.Http.HttpRequestException: No such host is known. ({h}:443)\n ---> System.Net.Sockets.SocketException (11001): No such host is '
                      'known.', ['System.Net.Http.HttpConnectionPool.ConnectToTcpHostAsync(String host, Int32 port, HttpRequestMessage initialRequest, Boolean async, '
                                 'CancellationToken cancellationToken)'])
    return named(form)(f)

# ---------------------------------------------------------------- causes: share, variants (weight, plugins, form, needed kind)
CAUSES = {
    'rate_limited': (18, [(4, HP, H(pay_rate, 'json'), None), (4, HP, H(pay_rate, 'wrap'), None), (3, HP[:5], H(pay_rate, 'sdk'), None),
                          (2, HP, H(pay_rate, 'log'), None), (2, HP, H(pay_rate, 'status'), None)]),
    'expired_token': (10, [(4, ('okta', 'box', 'servicenow', 'confluence'), EXP('wrap'), None), (1.5, ('box', 'workday'), EXP('json'), None),
                           (1, ('snowflake',), SF('expired_token', 'json'), 'sql'), (1.2, ('snowflake',), SF('expired_token', 'sdk'), 'sql'),
                           (1, ('snowflake',), SF('expired_token', 'java'), 'sql'), (2, ('servicenow', 'zendesk', 'pagerduty', 'workday', 'confluence'), EXP('log'), None)]),
    'record_not_found': (10, [(3, ('okta', 'box', 'confluence', 'workday'), H(pay_notfound, 'json'), 'id'),
                              (3, ('servicenow', 'zendesk', 'pagerduty', 'confluence', 'okta'), H(pay_notfound, 'wrap'), 'id'),
                              (3, ('servicenow', 'zendesk', 'okta', 'box', 'confluence', 'workday'), H(pay_notfound, 'sdk'), 'id'),
                              (1.5, ('snowflake',), SF('record_not_found', 'sdk'), 'sql'), (1, ('snowflake',), SF('record_not_found', 'java'), 'sql'),
                              (2.5, HP, H(pay_notfound, 'status'), 'id')]),
    'upstream_timeout': (8, [(3, HP + ('workday',), timeout_form('html'), None), (3, ALL8, timeout_form('py'), None),
                             (2, ('workday', 'servicenow', 'snowflake', 'confluence'), timeout_form('java'), None), (2, HP, timeout_form('node'), None),
                             (1.5, ALL8, timeout_form('dotnet'), None)]),
    'invalid_field_value': (8, [(3, ('zendesk', 'okta', 'pagerduty', 'box', 'confluence', 'workday'), H(pay_invalid, 'json'), 'write'),
                                (2, ('servicenow', 'zendesk', 'pagerduty', 'confluence'), H(pay_invalid, 'wrap'), 'write'),
                                (2, ('servicenow', 'zendesk', 'okta', 'box', 'workday'), H(pay_invalid, 'sdk'), 'write'),
                                (1.5, ('snowflake',), SF('invalid_field_value', 'java'), 'sql'), (1, ('snowflake',), SF('invalid_field_value', 'json'), 'sql'),
                                (1, ('zendesk', 'servicenow', 'okta'), H(pay_invalid, 'log'), 'write')]),
    'missing_oauth_scope': (7, [(3, ('okta', 'box', 'confluence', 'pagerduty', 'workday'), H(pay_scope, 'wrap'), 'write'),
                                (2, ('box', 'confluence', 'pagerduty', 'workday'), H(pay_scope, 'json'), 'write'),
                                (2, ('box', 'pagerduty', 'confluence'), H(pay_scope, 'sdk'), 'write'), (1.5, ('okta', 'box', 'pagerduty', 'workday'), H(pay_scope, 'log'), None)]),
    'malformed_query': (6, [(2.5, ('snowflake',), SF('malformed_query', 'sdk'), 'sql'), (1.5, ('snowflake',), SF('malformed_query', 'java'), 'sql'),
                            (1, ('snowflake',), SF('malformed_query', 'node'), 'sql'), (1, ('snowflake',), SF('malformed_query', 'json'), 'sql'),
                            (2.5, ('okta', 'confluence', 'servicenow'), H(pay_query, 'json'), 'query'), (1.5, ('okta', 'confluence', 'servicenow'), H(pay_query, 'wrap'), 'query')]),
    'revoked_credentials': (5, [(2, ('okta',), H(pay_revoked, 'json'), None), (3, ('okta', 'zendesk', 'pagerduty', 'confluence', 'workday'), H(pay_revoked, 'wrap'), None),
                                (2, ('okta', 'zendesk', 'confluence', 'workday'), H(pay_revoked, 'sdk'), None), (0.8, ('snowflake',), SF('revoked_credentials', 'sdk'), 'sql'),
                                (0.8, ('snowflake',), SF('revoked_credentials', 'java'), 'sql')]),
    'licence_quota_exhausted': (5, [(2, ('zendesk', 'box'), H(pay_quota, 'json'), 'create'), (1.5, ('zendesk', 'box', 'pagerduty'), H(pay_quota, 'wrap'), 'create'),
                                    (1.5, ('zendesk', 'box'), H(pay_quota, 'sdk'), 'create'), (1.5, ('snowflake',), SF('licence_quota_exhausted', 'java'), 'sql'),
                                    (1, ('snowflake',), SF('licence_quota_exhausted', 'log'), 'sql')]),
    'ip_allowlist_blocked': (4, [(2, ('snowflake',), SF('ip_allowlist_blocked', 'sdk'), 'sql'), (1.5, ('snowflake',), SF('ip_allowlist_blocked', 'java'), 'sql'),
                                 (2, ('okta', 'zendesk', 'confluence'), H(pay_ipblock, 'json'), None), (1, ('zendesk', 'confluence', 'servicenow'), ip_html, None)]),
    'optimistic_lock_conflict': (4, [(3, ('confluence', 'box', 'zendesk'), H(pay_lock, 'json'), 'update'), (2, ('confluence', 'box', 'zendesk'), H(pay_lock, 'wrap'), 'update'),
                                     (2, ('confluence', 'box', 'zendesk'), H(pay_lock, 'sdk'), 'update'), (1, ('confluence', 'box'), H(pay_lock, 'node'), 'update')]),
    'duplicate_record': (4, [(3, ('okta', 'box', 'zendesk', 'servicenow', 'pagerduty'), H(pay_dup, 'json'), 'create'),
                             (2, ('box', 'confluence', 'zendesk', 'pagerduty'), H(pay_dup, 'wrap'), 'create'), (2, ('okta', 'box', 'servicenow', 'confluence'), H(pay_dup, 'sdk'), 'create'),
                             (1, ('box', 'confluence', 'okta'), H(pay_dup, 'node'), 'create'), (1, ('servicenow', 'pagerduty', 'zendesk'), H(pay_dup, 'log'), 'create')]),
    'connection_failure': (3.5, [(3, ALL8, conn_form('py'), None), (2, ('snowflake', 'workday', 'servicenow'), conn_form('java'), None),
                                 (2, HP, conn_form('node'), None), (2, HP + ('workday',), conn_form('html'), None)]),
    'warehouse_suspended': (3, [(3, ('snowflake',), SF('warehouse_suspended', 'sdk'), 'sql'), (2, ('snowflake',), SF('warehouse_suspended', 'java'), 'sql'),
                                (1.5, ('snowflake',), SF('warehouse_suspended', 'json'), 'sql'), (1.5, ('snowflake',), SF('warehouse_suspended', 'log'), 'sql')]),
    'tool_code_bug': (3, [(3, ALL8, bug_form('py'), None), (2, ('workday', 'snowflake', 'servicenow'), bug_form('java'), None), (1.5, HP, bug_form('node'), None),
                          (1.5, ALL8, bug_form('json'), None)]),
    'dns_failure': (1.5, [(2, ALL8, dns_form('py'), None), (1.5, ('snowflake', 'workday', 'servicenow'), dns_form('java'), None), (1, HP, dns_form('node'), None),
                          (1, HP, dns_form('dotnet'), None)]),
}

# ---------------------------------------------------------------- call rendering, assistant replies, generation
def render_input(r, c):
    x, a = r.random(), c['args']
    if x < 0.32:
        return json.dumps({'tool': c['tool'], 'arguments': a})
    if x < 0.52:
        return f"{c['tool']}(" + ', '.join(f'{k}={json.dumps(v)}' for k, v in a.items()) + ')'
    if x < 0.68:
        return json.dumps({'plugin': c['plugin'], 'operation': c['fn'], 'params': a}, separators=(',', ':'))
    if x < 0.84:
        return json.dumps({'name': c['tool'].replace('.', '_'), 'arguments': json.dumps(a)})
    if c.get('soap'):
        return f"POST {url(c)}\nSOAPAction: {c['soap']}\n<bsvc:{c['soap']}_Request xmlns:bsvc=\"urn:com.workday/bsvc\">{json.dumps(a)}</bsvc:{c['soap']}_Request>"
    return f"{c['method']} {url(c)}" + ('' if c['method'] == 'GET' else '\n' + json.dumps(a))
AI_OUT = ["Sorry, I couldn't complete that - {svc} returned an error. Please try again in a few minutes.", "I wasn't able to finish this request in {svc}.",
          "Something went wrong while talking to {svc}. I've logged the error; you may want to contact IT.", "I tried to do that in {svc}, but the request failed.",
          "Unfortunately the {svc} integration failed on my side, so nothing was changed.", "I ran into a problem with {svc} and couldn't get a result.",
          "That didn't work - the {svc} plugin reported an error. Want me to try again?", "I'm having trouble reaching {svc} right now.",
          "The {svc} action failed. Please check with your administrator if this keeps happening.", "Hmm, {svc} rejected the request. I can retry or you can do it manually."]
def counts_for(n):
    tot = sum(s for s, _ in CAUSES.values())
    raw = {k: n * s / tot for k, (s, _) in CAUSES.items()}
    cnt = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - cnt[k]), k))[:n - sum(cnt.values())]:
        cnt[k] += 1
    return cnt
def make_call(r, plugin, need, cause, t):
    ops = PIN.get((plugin, cause)) or [fn for kinds, fn in OPS[plugin] if need is None or need in kinds]
    if plugin == 'zendesk' and cause not in ('licence_quota_exhausted', 'duplicate_record'):
        ops = [fn for fn in ops if fn is not zd_user]
    c = r.choice(ops)(r, t)
    c.update(plugin=plugin, org=t['org'], host=host_for(plugin, t))
    return c
def generate(n_events: int = 3000, seed: int = 0):
    r = random.Random(seed)
    tenants = []
    for org in ORGS:
        o = org.replace('-', '')
        sf = r.choice([f'{rs(r, 2, string.ascii_lowercase)}{r.randint(10000, 99999)}.{r.choice(["us-east-1", "eu-west-1", "east-us-2.azure", "us-central1.gcp"])}',
                       f'{o}-{r.choice(["analytics", "prod", "dw"])}'])
        tenants.append({'id': 'tnt_' + rs(r, 8, LO), 'org': org, 'domain': o + r.choice(['.com', '.io', '.co', '.net']), 'sf': sf,
                        'wd': o + r.choice(['', '_prod', '1', '_impl']), 'wdhost': r.choice(['wd2-impl-services1', 'wd5-services1', 'wd3-services1', 'wd501-services1'])})
    users = [('usr_' + rs(r, 10, LO), r.choice(tenants)) for _ in range(260)]
    labels = [k for k, v in counts_for(n_events).items() for _ in range(v)]
    r.shuffle(labels)
    t0 = datetime(2024, 9, 2, tzinfo=timezone.utc)
    rows, seen = [], set()
    for cause in labels:
        variants = CAUSES[cause][1]
        _, plugins, form, need = r.choices(variants, weights=[w for w, _, _, _ in variants])[0]
        plugin = r.choice(plugins)
        uid, t = r.choice(users)
        c = make_call(r, plugin, need, cause, t)
        c['ts'] = ts = t0 + timedelta(seconds=r.randint(0, 14 * 86400 - 1), milliseconds=r.randint(0, 999))
        out = form(r, c)
        eid = 'ev_' + rs(r, 20, HX)
        while eid in seen:
            eid = 'ev_' + rs(r, 20, HX)
        seen.add(eid)
        ai = r.choices(AI_OUT, weights=[6, 3, 3, 3, 2, 2, 2, 2, 1, 1])[0].format(svc=PNAME[plugin])
        ev = {'evaluation_id': eid, 'customer_prompt': c['prompt'], 'skill_input': render_input(r, c), 'skill_output': out, 'ai_output': ai,
              'timestamp': iso(ts), 'user_id': uid, 'tenant_id': t['id']}
        rows.append((ev['timestamp'], ev, {'evaluation_id': eid, 'cause': cause, 'plugin': plugin}))
    rows.sort(key=lambda x: (x[0], x[1]['evaluation_id']))
    return [e for _, e, _ in rows], [t for _, _, t in rows]

EV_COLS = ['evaluation_id', 'customer_prompt', 'skill_input', 'skill_output', 'ai_output', 'timestamp', 'user_id', 'tenant_id']

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--events', type=int, default=3000)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    events, truth = generate(a.events, a.seed)
    os.makedirs(a.out, exist_ok=True)
    for name, cols, data in (('telemetry.csv', EV_COLS, events), ('truth.csv', ['evaluation_id', 'cause', 'plugin'], truth)):
        with open(os.path.join(a.out, name), 'w', newline='', encoding='utf-8') as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(data)
    print(f'wrote {len(events)} events, {len(truth)} truth rows to {a.out}')

if __name__ == '__main__':
    main()
