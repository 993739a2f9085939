#!/usr/bin/env python3
"""Labelled benchmark corpus: failed cloud-storage, messaging and AI-model plugin calls.

Plugins (7): google_drive (Drive v3 + Sheets v4), aws (S3 + DynamoDB), slack, dropbox, openai, twilio, notion.
Each event is one failed plugin call; the label is the ROOT CAUSE only.  Plugin, surface form (raw JSON,
{"status","body"} wrapper, SDK traceback, gRPC status, Go/Node error, HTML gateway page, one-line log), frames,
ids and wording never define a group.  Causes (share; plugins: forms):
  rate_limited (20%)               google 403/429 rateLimitExceeded|userRateLimitExceeded|quota metric (JSON, HttpError,
                                   gRPC RESOURCE_EXHAUSTED); slack ratelimited (wrapped+Retry-After, log, SlackApiError);
                                   notion 429 rate_limited; openai 429 rate_limit_exceeded TPM/RPM; S3 SlowDown, DynamoDB
                                   ProvisionedThroughputExceeded
  expired_credentials (10%)        google 401 UNAUTHENTICATED, RefreshError invalid_grant; AWS ExpiredToken (XML, botocore);
                                   slack token_revoked|invalid_auth|token_expired; dropbox expired_access_token
  permission_denied_on_resource (8%) google 403 insufficientFilePermissions / "caller does not have permission";
                                   S3 AccessDenied XML; DynamoDB AccessDeniedException (IAM)
  context_length_exceeded (8%)     openai 400 (JSON, BadRequestError traceback, wrapped, log line)
  upstream_timeout (8%)            Cloudflare 524 page, ELB/nginx 504 page, gRPC DeadlineExceeded, read timeouts
  resource_not_found (7%)          dropbox path/not_found (JSON, 409 wrapper, ApiError); S3 NoSuchKey/NoSuchBucket; google 404
  quota_exhausted_billing (6%)     openai 429 insufficient_quota / billing_not_active
  integration_not_shared (5%)      notion 404 object_not_found (JSON, APIResponseError, @notionhq/client log)
  bot_not_in_channel (5%)          slack not_in_channel (JSON, log line, SlackApiError)
  malformed_tool_arguments (4.5%)  google 400 INVALID_ARGUMENT; DynamoDB ValidationException; notion 400 validation_error
  content_filtered (4%)            Azure ResponsibleAIPolicyViolation, openai content_policy_violation, finish_reason=content_filter
  invalid_recipient (4%)           twilio 21211/21614 (JSON, TwilioRestException); slack channel_not_found/users_not_found
  tool_code_bug (3.5%)             KeyError / AttributeError on None / TypeError in the tool's own code (traceback, JSON, log)
  upstream_connection_failure (3%) connection reset/refused: Python, Go read tcp, gRPC Unavailable, nginx 502 page
  api_not_enabled (2.5%)           google 403 accessNotConfigured / SERVICE_DISABLED ErrorInfo (JSON, HttpError)
  dns_resolution_failure (1.5%)    urllib3 NameResolutionError, Go "no such host", Node getaddrinfo ENOTFOUND/EAI_AGAIN
Confusable pairs: openai 400 context_length_exceeded vs 400 content_filter; openai 429 rate_limit_exceeded vs 429
insufficient_quota; google 403 insufficientFilePermissions vs 403 accessNotConfigured (and 403 userRateLimitExceeded);
notion 404 object_not_found (not shared) vs dropbox/S3/Drive not found (missing); slack channel_not_found vs
not_in_channel; HTML 504 (timeout) vs HTML 502 (connection failure).

Usage: python3 bench/corpora/cloud_ai.py --out DIR [--events N] [--seed S]
"""
import argparse
import csv
import json
import os
import random
import string
from datetime import datetime, timedelta, timezone

AN = string.ascii_letters + string.digits
HX = '0123456789abcdef'
UP = string.ascii_uppercase + string.digits

def rs(r, n, alpha=AN):
    return ''.join(r.choice(alpha) for _ in range(n))

def guid(r):
    h = rs(r, 32, HX)
    return f'{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}'

def drive_id(r): return '1' + rs(r, 32, AN + '-_')
def chan_id(r): return 'C' + rs(r, r.choice([8, 10]), UP)
def org_id(r): return 'org-' + rs(r, 24)
def aws_req(r): return rs(r, 16, '0123456789ABCDEF')
def host_id(r): return rs(r, 76, AN + '+/') + '='
def ip10(r): return f'10.{r.randint(0, 9)}.{r.randint(0, 255)}.{r.randint(2, 254)}'
def ippub(r): return f'{r.choice([34, 52, 142, 104, 162, 3])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}'
def acct(r): return str(r.randint(10 ** 11, 10 ** 12 - 1))
def proj(r): return str(r.randint(10 ** 10, 10 ** 12))

def J(r, obj):
    x = r.random()
    if x < 0.6:
        return json.dumps(obj)
    if x < 0.88:
        return json.dumps(obj, separators=(',', ':'))
    return json.dumps(obj, indent=2)

def wrapped(r, status, body, headers=None):
    d = {'status': status}
    if headers:
        d['headers'] = headers
    d['body'] = body if isinstance(body, str) else json.dumps(body)
    return json.dumps(d)

SITES = ['/usr/local/lib/python3.11/site-packages', '/opt/venv/lib/python3.10/site-packages',
         '/app/.venv/lib/python3.11/site-packages']
TOOLF = {'google_drive': '/opt/app/tools/drive.py', 'aws': '/opt/app/tools/aws_tools.py',
         'slack': '/opt/app/tools/slack_tool.py', 'dropbox': '/opt/app/tools/dropbox_tool.py',
         'openai': '/opt/app/tools/llm.py', 'twilio': '/opt/app/tools/sms.py', 'notion': '/opt/app/tools/notion_tool.py'}

def tb(r, c, lib, exc):
    """Python traceback: executor frame, tool frame, library frames (path under site-packages)."""
    sp = r.choice(SITES)
    frames = [('/opt/app/runtime/executor.py', r.choice(['invoke', 'run_tool']),
               r.choice(['result = tool.fn(**call.arguments)', 'return handler(**kwargs)'])), (TOOLF[c['plugin']], c['fn'], c['src'])]
    frames += [(sp + '/' + p, f, code) for p, f, code in lib]
    out = ['Traceback (most recent call last):']
    for p, f, code in frames:
        out += [f'  File "{p}", line {r.randint(18, 480)}, in {f}', f'    {code}']
    return '\n'.join(out + [exc])

# ---------------------------------------------------------------- slot values
DOCS = ['Q3 budget', 'onboarding checklist', 'board deck', 'pricing proposal', 'team OKRs', 'vendor contract',
        'hiring plan', 'launch retro', 'security policy', 'roadmap 2024']
SHEETS = ['Sales Pipeline', 'Expenses 2024', 'Inventory', 'Headcount', 'Marketing Spend', 'Customer List', 'Renewals']
TABS = ['Sheet1', 'Q2', 'Summary', 'Raw Data', 'May', 'Pipeline']
CHANNELS = ['general', 'eng-oncall', 'sales', 'marketing', 'product-launch', 'support-escalations', 'design', 'finance']
FIRST = ['Priya', 'Marcus', 'Elena', 'Tom', 'Aisha', 'Kenji', 'Sofia', 'Daniel', 'Fatima', 'Liam', 'Chloe', 'Raj']
LAST = ['Shah', 'Okafor', 'Garcia', 'Nguyen', 'Miller', 'Tanaka', 'Rossi', 'Kim', 'Haddad', 'Brown']
DOMAINS = ['acme.io', 'northwind.com', 'globex.co', 'initech.net', 'umbrella-corp.com']
MSGS = ['the deploy is done', 'standup moved to 10:30', 'the Q3 numbers are in', "I'll be out Friday",
        'the client call is confirmed', 'the release slips a day', 'the invoice was paid', 'lunch is on me']
BUCKETS = ['acme-reports-prod', 'data-lake-raw', 'finance-exports', 'ml-artifacts-us-east-1', 'customer-uploads']
REPORTS = ['sales', 'churn', 'billing', 'usage', 'inventory', 'payroll']
TABLES = ['Orders', 'Customers', 'prod-orders', 'Subscriptions']
REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1']
DBX_FILES = ['Contract_final_v3.pdf', 'Q2 report.docx', 'headshots.zip', 'Budget.xlsx', 'notes.txt', 'invoice-0042.pdf']
DBX_DIRS = ['Clients', 'Finance', 'Photos/2024', 'Shared/Legal', 'Projects/Atlas']
MODELS = ['gpt-4', 'gpt-4-0613', 'gpt-3.5-turbo', 'gpt-4o', 'gpt-4-turbo', 'gpt-4o-mini']
DOCTYPES = ['contract', 'meeting transcript', 'research paper', 'support ticket thread', 'PDF report', 'codebase dump']
LANGS = ['Spanish', 'German', 'Japanese', 'French', 'Portuguese']
TOPICS = ['remote work', 'pricing strategy', 'AI in healthcare', 'supply chains', 'customer retention']
NOTION_DBS = ['Tasks', 'Content Calendar', 'Bugs', 'CRM', 'Reading List', 'Sprint Board']
NOTION_PAGES = ['Team Wiki', 'Meeting Notes', 'Q3 Planning', 'Onboarding', 'Design Specs']
EVENTS_ = ['the dentist appointment', 'the 3pm interview', 'rent due', 'the team offsite', 'the pickup at 5']
ACTIONS = ['finalize the deck', 'review PR 214', 'call the vendor', 'update the FAQ', 'book flights']

def person(r):
    f, l = r.choice(FIRST), r.choice(LAST)
    return f, l, f'{f.lower()}.{l.lower()}@{r.choice(DOMAINS)}'

def phone(r): return f'+1{r.choice([415, 212, 646, 312, 206, 617])}{r.randint(2000000, 9999999)}'

# ---------------------------------------------------------------- plugin operations (prompt + call)
def op_google(r):
    fid, k, f = drive_id(r), r.randrange(4), r.choice(FIRST)
    c = dict(plugin='google_drive', kind='drive', file_id=fid)
    if k == 0:
        d = r.choice(DOCS)
        c['prompt'] = r.choice(['Find the {d} doc in my Drive', 'Can you pull up the latest {d}?',
                                'Where is the {d} file? I think {f} shared it', 'search drive for {d}']).format(d=d, f=f)
        q = f"name contains '{d}' and trashed = false"
        c.update(tool='google_drive.search_files', args={'query': q, 'page_size': 25}, fn='list_files',
                 call=f'drive.files.list(q="{q}", pageSize=25, fields="files(id,name,modifiedTime)")',
                 src='resp = service.files().list(q=q, pageSize=25).execute()',
                 url=f"https://www.googleapis.com/drive/v3/files?q=name+contains+%27{d.replace(' ', '+')}%27&pageSize=25&alt=json")
    elif k == 1:
        d = r.choice(DOCS)
        c['prompt'] = r.choice(['Summarize the {d} document', 'What are the action items in {d}?',
                                'Give me the key points from the {d} Google Doc']).format(d=d)
        c.update(tool='google_drive.read_document', args={'file_id': fid, 'mime_type': 'text/plain'}, fn='export_doc',
                 call=f'drive.files.export(fileId="{fid}", mimeType="text/plain")',
                 src='data = service.files().export(fileId=file_id, mimeType=mime).execute()',
                 url=f'https://www.googleapis.com/drive/v3/files/{fid}/export?mimeType=text%2Fplain&alt=media')
    else:
        s, t, col = r.choice(SHEETS), r.choice(TABS), r.choice('CDEFGH')
        c['kind'] = 'sheets'
        if k == 2:
            c['prompt'] = r.choice(["What's the total in column {col} of the {s} sheet?", 'Pull the {t} numbers from {s}',
                                    "How many rows in {s} are marked 'Closed Won'?"]).format(col=col, s=s, t=t)
            rng = f'{t}!A1:{col}500'
            c.update(tool='google_sheets.get_values', args={'spreadsheet_id': fid, 'range': rng}, fn='read_range',
                     call=f'sheets.spreadsheets.values.get(spreadsheetId="{fid}", range="{rng}")',
                     src='res = sheets.values().get(spreadsheetId=sid, range=rng).execute()')
        else:
            f2, amt = r.choice(FIRST), r.randint(12, 4800)
            c['prompt'] = r.choice(['Add a row to {s} for {f} with ${a}', "Log today's numbers in the {s} spreadsheet",
                                    "Append {f}'s expense of ${a} to {s}"]).format(s=s, f=f2, a=amt)
            rng = f'{t}!A:F'
            c.update(tool='google_sheets.append_row', fn='append_rows',
                     args={'spreadsheet_id': fid, 'range': rng, 'values': [[f2, amt, '2024-05-%02d' % r.randint(1, 28)]]},
                     call=f'sheets.spreadsheets.values.append(spreadsheetId="{fid}", range="{rng}", valueInputOption="USER_ENTERED")',
                     src='sheets.values().append(spreadsheetId=sid, range=rng, body=body).execute()')
        c['url'] = f'https://sheets.googleapis.com/v4/spreadsheets/{fid}/values/{rng}?alt=json'
    return c

def op_aws(r):
    b, rep, k = r.choice(BUCKETS), r.choice(REPORTS), r.randrange(5)
    key = f'{r.choice(["exports", "reports", "raw"])}/2024/{r.randint(1, 5):02d}/{rep}_{r.randint(1, 28):02d}.csv'
    c = dict(plugin='aws', bucket=b, key=key, region=r.choice(REGIONS), table=r.choice(TABLES))
    if k < 3:
        c['svc'] = 's3'
        if k == 0:
            c['prompt'] = r.choice(['Grab the {rep} report from S3', 'Open s3://{b}/{key} and summarize it',
                                    "Download last month's {rep} export from our bucket"]).format(rep=rep, b=b, key=key)
            c.update(tool='aws_s3.get_object', args={'bucket': b, 'key': key}, op='GetObject', fn='get_object',
                     call=f's3.get_object(Bucket="{b}", Key="{key}")', src="obj = s3.get_object(Bucket=bucket, Key=key)")
        elif k == 1:
            p = key.rsplit('/', 1)[0] + '/'
            c['prompt'] = r.choice(['List the files under {p} in {b}', "What's in the {b} bucket?",
                                    'Which {rep} exports do we have in S3?']).format(p=p, b=b, rep=rep)
            c.update(tool='aws_s3.list_objects', args={'bucket': b, 'prefix': p}, op='ListObjectsV2', fn='list_objects',
                     call=f's3.list_objects_v2(Bucket="{b}", Prefix="{p}")', src='page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)')
        else:
            c['prompt'] = r.choice(['Save this summary to S3 as {key}', 'Upload the {rep} numbers to {b}']).format(key=key, rep=rep, b=b)
            c.update(tool='aws_s3.put_object', args={'bucket': b, 'key': key, 'content_type': 'text/csv'}, op='PutObject',
                     fn='put_object', call=f's3.put_object(Bucket="{b}", Key="{key}", Body=<{r.randint(300, 90000)} bytes>)',
                     src='s3.put_object(Bucket=bucket, Key=key, Body=body)')
    else:
        c['svc'], t, o = 'dynamodb', c['table'], f'{r.choice("ABCDEFGHJK")}{r.randint(10000, 99999)}'
        if k == 3:
            c['prompt'] = r.choice(['Look up order {o} in the orders table', "What's the status of order #{o}?",
                                    'Is order {o} shipped yet?']).format(o=o)
            c.update(tool='aws_dynamodb.get_item', args={'table': t, 'key': {'order_id': o}}, op='GetItem', fn='get_item',
                     call=f'dynamodb.get_item(TableName="{t}", Key={{"order_id": {{"S": "{o}"}}}})',
                     src="item = table.get_item(Key={'order_id': order_id})")
        else:
            _, _, em = person(r)
            c['prompt'] = r.choice(['Show all orders for {em} from the last 30 days',
                                    'How many orders did {em} place this quarter?']).format(em=em)
            c.update(tool='aws_dynamodb.query', args={'table': t, 'index': 'email-index', 'email': em}, op='Query', fn='query_orders',
                     call=f'dynamodb.query(TableName="{t}", IndexName="email-index", KeyConditionExpression="email = :e")',
                     src="resp = table.query(IndexName='email-index', KeyConditionExpression=Key('email').eq(email))")
    return c

def op_slack(r):
    ch, cid, msg, k = r.choice(CHANNELS), chan_id(r), r.choice(MSGS), r.randrange(3)
    c = dict(plugin='slack', channel=cid, chname=ch)
    if k == 0:
        c['prompt'] = r.choice(["Post '{m}' in #{ch}", 'Tell #{ch} that {m}', 'Let the {ch} channel know {m}',
                                'slack #{ch}: {m}']).format(m=msg, ch=ch)
        c.update(tool='slack.post_message', args={'channel': cid, 'text': msg}, method='chat.postMessage', fn='post_message',
                 call=f'slack.chat.postMessage(channel="{cid}", text="{msg}")',
                 src='resp = client.chat_postMessage(channel=channel, text=text)')
    elif k == 1:
        c['prompt'] = r.choice(['Summarize what happened in #{ch} today', 'Catch me up on #{ch}',
                                'Any updates in #{ch} since yesterday?']).format(ch=ch)
        ts = f'{r.randint(1714900000, 1716100000)}.{r.randint(0, 999999):06d}'
        c.update(tool='slack.read_history', args={'channel': cid, 'oldest': ts, 'limit': 200}, method='conversations.history',
                 fn='read_history', call=f'slack.conversations.history(channel="{cid}", oldest="{ts}", limit=200)',
                 src='resp = client.conversations_history(channel=channel, oldest=oldest, limit=limit)')
    else:
        f, _, em = person(r)
        c['prompt'] = r.choice(['DM {f} that {m}', 'Send {f} a Slack message saying {m}', 'ping {f} on slack: {m}']).format(f=f, m=msg)
        c.update(tool='slack.send_dm', args={'user_email': em, 'text': msg}, method='chat.postMessage', fn='send_dm',
                 call=f'slack.users.lookupByEmail(email="{em}") -> chat.postMessage(channel=<user>, text="{msg}")',
                 src='client.chat_postMessage(channel=user["id"], text=text)')
    return c

def op_dropbox(r):
    fl, dr, k = r.choice(DBX_FILES), r.choice(DBX_DIRS), r.randrange(3)
    path = f'/{dr}/{fl}'
    c = dict(plugin='dropbox', path=path)
    if k == 0:
        c['prompt'] = r.choice(['Open {fl} from my Dropbox', 'Read the {fl} in Dropbox and summarize it',
                                "What's in {fl}? It's in Dropbox under {dr}"]).format(fl=fl, dr=dr)
        c.update(tool='dropbox.download', args={'path': path}, endpoint='files/download', errcls='DownloadError', fn='download',
                 call=f'dbx.files_download(path="{path}")', src='md, res = dbx.files_download(path)')
    elif k == 1:
        c['path'] = path = f'/{dr}'
        c['prompt'] = r.choice(["What's in my Dropbox {dr} folder?", 'List the files in /{dr}', 'show me dropbox {dr}']).format(dr=dr)
        c.update(tool='dropbox.list_folder', args={'path': path, 'recursive': False}, endpoint='files/list_folder',
                 errcls='ListFolderError', fn='list_folder', call=f'dbx.files_list_folder(path="{path}")',
                 src='res = dbx.files_list_folder(path, recursive=False)')
    else:
        c['prompt'] = r.choice(['Get me a share link for {fl}', 'Share {fl} from Dropbox with the client']).format(fl=fl)
        c.update(tool='dropbox.share_link', args={'path': path, 'settings': {'requested_visibility': 'public'}},
                 endpoint='sharing/create_shared_link_with_settings', errcls='CreateSharedLinkWithSettingsError',
                 fn='share_link', call=f'dbx.sharing_create_shared_link_with_settings(path="{path}")',
                 src='link = dbx.sharing_create_shared_link_with_settings(path)')
    return c

def op_openai(r):
    m, dt = r.choice(MODELS), r.choice(DOCTYPES)
    c = dict(plugin='openai', model=m, fn=r.choice(['complete', 'chat']),
             src='resp = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens)')
    c['prompt'] = r.choice(['Summarize this {dt} for me', 'Translate the attached {dt} into {lang}',
                            'Rewrite this email so it sounds more professional', 'Draft a reply to this customer complaint',
                            'Give me 5 title ideas for a blog post about {t}', 'Explain this {dt} like I am new to the team'
                            ]).format(dt=dt, lang=r.choice(LANGS), t=r.choice(TOPICS))
    mt, nm = r.choice([256, 512, 1024, 2048]), r.randint(2, 14)
    c.update(tool='openai.chat_completion', max_tokens=mt,
             args={'model': m, 'messages': [{'role': 'system', 'content': 'You are a helpful assistant.'},
                                            {'role': 'user', 'content': f'<{r.randint(800, 60000)} chars>'}], 'max_tokens': mt},
             call=f'openai.chat.completions.create(model="{m}", messages=[...{nm} messages], max_tokens={mt}, temperature=0.2)')
    return c

def op_twilio(r):
    f, p, msg = r.choice(FIRST), phone(r), r.choice(MSGS + EVENTS_)
    sid, frm = 'AC' + rs(r, 32, HX), phone(r)
    c = dict(plugin='twilio', account=sid, fn='send_sms', src='msg = client.messages.create(to=to, from_=sender, body=body)')
    c['prompt'] = r.choice(['Text {f} at {p} that {m}', 'Send an SMS to {p}: {m}', 'Remind {f} by text about {m} tomorrow',
                            'shoot {f} a text saying {m}']).format(f=f, p=p, m=msg)
    c['args'] = {'to': p, 'from': frm, 'body': msg}
    c.update(tool='twilio.send_sms', call=f'client.messages.create(to="{p}", from_="{frm}", body="{msg}")')
    return c

def op_notion(r):
    nid, k = guid(r) if r.random() < 0.6 else rs(r, 32, HX), r.randrange(3)
    c = dict(plugin='notion', obj_id=nid)
    if k == 0:
        db = r.choice(NOTION_DBS)
        c['prompt'] = r.choice(['Show open items in my {db} database', "What's due this week in {db}?",
                                'list everything in notion {db} assigned to me']).format(db=db)
        flt = {'property': 'Status', 'status': {'equals': 'In progress'}}
        c.update(tool='notion.query_database', args={'database_id': nid, 'filter': flt}, obj='database', fn='query_database',
                 call=f'notion.databases.query(database_id="{nid}", filter={json.dumps(flt)})',
                 endpoint=f'/v1/databases/{nid}/query', src='res = notion.databases.query(database_id=db_id, filter=flt)')
    elif k == 1:
        db, a = r.choice(NOTION_DBS), r.choice(ACTIONS)
        c['prompt'] = r.choice(["Add '{a}' to my {db} board in Notion", 'Create a Notion task to {a}',
                                'put {a} in {db}']).format(a=a, db=db)
        c.update(tool='notion.create_page', obj='database', fn='create_page',
                 args={'parent': {'database_id': nid}, 'properties': {'Name': {'title': [{'text': {'content': a}}]}}},
                 call=f'notion.pages.create(parent={{"database_id": "{nid}"}}, properties={{"Name": "{a}"}})',
                 endpoint='/v1/pages', src='page = notion.pages.create(parent=parent, properties=props)')
    else:
        pg = r.choice(NOTION_PAGES)
        c['prompt'] = r.choice(['Open my {p} page in Notion', 'What does the {p} page in Notion say?',
                                'summarize notion {p}']).format(p=pg)
        c.update(tool='notion.read_page', args={'page_id': nid}, obj=r.choice(['page', 'block']), fn='read_page',
                 call=f'notion.blocks.children.list(block_id="{nid}", page_size=100)',
                 endpoint=f'/v1/blocks/{nid}/children', src='blocks = notion.blocks.children.list(block_id=page_id)')
    return c

OPS = {'google_drive': op_google, 'aws': op_aws, 'slack': op_slack, 'dropbox': op_dropbox,
       'openai': op_openai, 'twilio': op_twilio, 'notion': op_notion}
HOSTS = {'google_drive': 'www.googleapis.com', 'aws': 's3.amazonaws.com', 'slack': 'slack.com', 'dropbox': 'api.dropboxapi.com',
         'openai': 'api.openai.com', 'twilio': 'api.twilio.com', 'notion': 'api.notion.com'}

def upath(c):
    p = c['plugin']
    if p == 'google_drive':
        return c.get('url', 'https://www.googleapis.com/drive/v3/files').split('.com', 1)[1]
    return {'aws': '/' + c.get('key', ''), 'slack': '/api/' + c.get('method', ''), 'dropbox': '/2/' + c.get('endpoint', ''),
            'openai': '/v1/chat/completions', 'notion': c.get('endpoint', '/v1/pages'),
            'twilio': f"/2010-04-01/Accounts/{c.get('account')}/Messages.json"}[p] if p != 'aws' or c['svc'] == 's3' else '/'

def host(c):
    if c['plugin'] == 'aws':
        return f"{c['bucket']}.s3.{c['region']}.amazonaws.com" if c['svc'] == 's3' else f"dynamodb.{c['region']}.amazonaws.com"
    if c['plugin'] == 'google_drive' and c['kind'] == 'sheets':
        return 'sheets.googleapis.com'
    return HOSTS[c['plugin']]

# ---------------------------------------------------------------- shared renderers per vendor
def g_err(r, c, code, msg, reason, status, domain='global', extra=None):
    """Google API error: JSON body (optionally without errors[]/status), or HttpError traceback."""
    if r.random() < 0.3:
        url = c.get('url', 'https://www.googleapis.com/drive/v3/files?alt=json')
        det = repr([{'message': msg, 'domain': domain, 'reason': reason}])
        return tb(r, c, [('googleapiclient/_helpers.py', 'positional_wrapper', 'return wrapped(*args, **kwargs)'),
                         ('googleapiclient/http.py', 'execute', 'raise HttpError(resp, content, uri=self.uri)')],
                  f'googleapiclient.errors.HttpError: <HttpError {code} when requesting {url} returned "{msg}". Details: "{det}">')
    e = {'code': code, 'message': msg}
    if r.random() < 0.8:
        e['errors'] = [{'message': msg, 'domain': domain, 'reason': reason}]
    e['status'] = status
    if extra:
        e['details'] = extra
    return J(r, {'error': e})

def aws_xml(r, code, msg, extra=''):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' if r.random() < 0.8 else '') + (
        f'<Error><Code>{code}</Code><Message>{msg}</Message>{extra}<RequestId>{aws_req(r)}</RequestId>'
        f'<HostId>{host_id(r)}</HostId></Error>')

def botocore(r, c, code, msg):
    return tb(r, c, [('botocore/client.py', '_api_call', 'return self._make_api_call(operation_name, kwargs)'),
                     ('botocore/client.py', '_make_api_call', 'raise error_class(parsed_response, operation_name)')],
              f"botocore.exceptions.ClientError: An error occurred ({code}) when calling the {c['op']} operation: {msg}"
              if r.random() < 0.7 else
              f"botocore.errorfactory.{code if code.endswith('Exception') else code + 'Exception'}: An error occurred ({code}) "
              f"when calling the {c['op']} operation: {msg}")

def slack_err(r, c, err, status=200):
    body = {'ok': False, 'error': err}
    if r.random() < 0.25:
        body.update(warning='missing_charset', response_metadata={'warnings': ['missing_charset']})
    x = r.random()
    if x < 0.45:
        return J(r, body) if status == 200 else wrapped(r, status, body, {'Retry-After': str(r.randint(1, 60))})
    if x < 0.75:
        extra = f', retry_after={r.randint(1, 60)}s' if status == 429 else ''
        return f"slack {c['method']} -> {err} (channel={c['channel']}{extra})" if r.random() < 0.5 else \
            f"[slack] {c['method']} failed: error={err} channel={c['channel']} req={rs(r, 12, HX)}{extra}"
    return tb(r, c, [('slack_sdk/web/client.py', c['method'].replace('.', '_'), 'return self.api_call(...)'),
                     ('slack_sdk/web/base_client.py', 'api_call', 'return self._sync_send(api_url=api_url, req_args=req_args)'),
                     ('slack_sdk/web/slack_response.py', 'validate', 'raise e.SlackApiError(message=msg, response=self)')],
              f"slack_sdk.errors.SlackApiError: The request to the Slack API failed. (url: https://www.slack.com/api/{c['method']})\n"
              f"The server responded with: {repr(body)}")

def notion_err(r, c, status, code, msg):
    body = {'object': 'error', 'status': status, 'code': code, 'message': msg}
    if r.random() < 0.6:
        body['request_id'] = guid(r)
    x = r.random()
    if x < 0.55:
        return J(r, body)
    if x < 0.8 or status == 429:
        return tb(r, c, [('notion_client/api_endpoints.py', r.choice(['query', 'create', 'list']), 'return self.parent.request(')
                         , ('notion_client/client.py', 'request', 'return self._parse_response(response)'),
                         ('notion_client/client.py', '_parse_response', 'raise APIResponseError(response, body["message"], code)')],
                  f'notion_client.errors.APIResponseError: {msg}')
    return (f"@notionhq/client warn: request fail {{\n  code: '{code}',\n  message: '{msg}',\n"
            f"  requestId: '{guid(r)}'\n}}\nAPIResponseError: {msg}\n    at buildRequestError (/srv/app/node_modules/@notionhq/client/build/src/errors.js:162:16)")

def openai_err(r, c, status, cls, err, log=None):
    body = {'error': err}
    x = r.random()
    if x < 0.4:
        return J(r, body)
    if x < 0.72:
        return tb(r, c, [('openai/_utils/_utils.py', 'wrapper', 'return func(*args, **kwargs)'),
                         ('openai/_base_client.py', '_request', 'raise self._make_status_error_from_response(err.response) from None')],
                  f'openai.{cls}: Error code: {status} - {repr(body)}')
    if log and x < 0.85:
        return log
    return wrapped(r, status, body, {'x-request-id': 'req_' + rs(r, 32, HX)} if r.random() < 0.4 else None)

# ---------------------------------------------------------------- cause forms: f(r, c) -> skill_output
def rl_google(r, c):
    k = r.randrange(3)
    if k == 2 or c['kind'] == 'sheets' and r.random() < 0.5:
        svc = 'sheets' if c['kind'] == 'sheets' else 'drive'
        what = r.choice(['Read requests', 'Write requests', 'Queries'])
        msg = (f"Quota exceeded for quota metric '{what}' and limit '{what} per minute per user' of service "
               f"'{svc}.googleapis.com' for consumer 'project_number:{proj(r)}'.")
        if r.random() < 0.3:
            return ('grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n'
                    '\tstatus = StatusCode.RESOURCE_EXHAUSTED\n\tdetails = "' + msg + '"\n'
                    f'\tdebug_error_string = "UNKNOWN:Error received from peer ipv4:{ippub(r)}:443 {{grpc_status:8}}"\n>')
        return g_err(r, c, 429, msg, 'rateLimitExceeded', 'RESOURCE_EXHAUSTED')
    msg, reason = [('Rate Limit Exceeded', 'rateLimitExceeded'), ('User Rate Limit Exceeded', 'userRateLimitExceeded')][k]
    return g_err(r, c, r.choice([403, 429]), msg, reason, 'PERMISSION_DENIED' if r.random() < 0.5 else 'RESOURCE_EXHAUSTED',
                 domain='usageLimits')

def rl_slack(r, c): return slack_err(r, c, 'ratelimited', 429)

def rl_notion(r, c):
    return notion_err(r, c, 429, 'rate_limited', r.choice(['You have been rate limited. Please try again in a few minutes.',
                                                           'Rate limited. Please retry after a short delay.']))

def rl_openai(r, c):
    m, o, lim = c['model'], org_id(r), r.choice([10000, 40000, 90000, 300000])
    k = r.randrange(3)
    if k == 0:
        msg = (f'Rate limit reached for {m} in organization {o} on tokens per min (TPM): Limit {lim}, Used {lim - r.randint(10, 900)}, '
               f'Requested {r.randint(900, 9000)}. Please try again in {r.randint(1, 59)}.{r.randint(1, 999)}s. '
               'Visit https://platform.openai.com/account/rate-limits to learn more.')
    elif k == 1:
        rpm = r.choice([500, 3500, 5000])
        msg = (f'Rate limit reached for {m} in organization {o} on requests per min (RPM): Limit {rpm}, Used {rpm}, Requested 1. '
               f'Please try again in {r.randint(20, 900)}ms. Visit https://platform.openai.com/account/rate-limits to learn more.')
    else:
        msg = (f'Rate limit reached for default-{m} in organization {o} on tokens per min. Limit: {lim} / min. Please try again in '
               f'{r.randint(1, 900)}ms. Contact us through our help center at help.openai.com if you continue to have issues.')
    return openai_err(r, c, 429, 'RateLimitError',
                      {'message': msg, 'type': ['tokens', 'requests', 'tokens'][k], 'param': None, 'code': 'rate_limit_exceeded'})

def rl_aws(r, c):
    if c['svc'] == 's3':
        msg = r.choice(['Please reduce your request rate.', 'Reduce your request rate.'])
        return aws_xml(r, 'SlowDown', msg) if r.random() < 0.6 else botocore(r, c, 'SlowDown', msg)
    msg = r.choice(['The level of configured provisioned throughput for the table was exceeded. Consider increasing your '
                    'provisioning level with the UpdateTable API.', 'Throughput exceeds the current capacity of your table or index. '
                    'DynamoDB is automatically scaling your table or index so please try again shortly.'])
    if r.random() < 0.5:
        return J(r, {'__type': 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', 'message': msg})
    return botocore(r, c, 'ProvisionedThroughputExceededException', msg)

def quota_openai(r, c):
    k = r.randrange(3)
    msg = ['You exceeded your current quota, please check your plan and billing details.',
           'You exceeded your current quota, please check your plan and billing details. For more information on this error, '
           'read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
           'Your account is not active, please check your billing details on our website.'][k]
    code = 'billing_not_active' if k == 2 else 'insufficient_quota'
    return openai_err(r, c, 429, 'RateLimitError', {'message': msg, 'type': 'insufficient_quota' if k < 2 else 'invalid_request_error',
                                                   'param': None, 'code': code},
                      log=f"openai {c['model']} -> 429 {code} org={org_id(r)}")

def cred_google(r, c):
    if r.random() < 0.35:
        desc = r.choice(['Token has been expired or revoked.', 'Bad Request'])
        return tb(r, c, [('googleapiclient/http.py', 'execute', 'resp, content = _retry_request('),
                         ('google/oauth2/credentials.py', 'refresh', 'raise exceptions.RefreshError('),
                         ('google/oauth2/_client.py', '_handle_error_response', 'raise exceptions.RefreshError(')],
                  f"google.auth.exceptions.RefreshError: ('invalid_grant: {desc}', {{'error': 'invalid_grant', "
                  f"'error_description': '{desc}'}})")
    msg = r.choice(['Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid '
                    'authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
                    'Invalid Credentials'])
    return g_err(r, c, 401, msg, 'authError', 'UNAUTHENTICATED')

def cred_aws(r, c):
    if c['svc'] == 's3':
        msg = 'The provided token has expired.'
        return aws_xml(r, 'ExpiredToken', msg, f'<Token-0>{rs(r, 120, AN + "/+")}</Token-0>') if r.random() < 0.4 \
            else botocore(r, c, 'ExpiredToken', msg)
    return botocore(r, c, 'ExpiredTokenException', 'The security token included in the request is expired')

def cred_slack(r, c): return slack_err(r, c, r.choice(['token_revoked', 'token_revoked', 'invalid_auth', 'token_expired']))

def cred_dropbox(r, c):
    body = {'error_summary': 'expired_access_token/' + r.choice(['', '..', '...']), 'error': {'.tag': 'expired_access_token'}}
    if r.random() < 0.5:
        return J(r, body) if r.random() < 0.6 else wrapped(r, 401, body)
    return tb(r, c, [('dropbox/dropbox_client.py', 'request', 'raise AuthError(request_id, err)')],
              f"dropbox.exceptions.AuthError: AuthError('{rs(r, 32, HX)}', AuthError('expired_access_token', None))")

def perm_google(r, c):
    fid = c['file_id']
    if c['kind'] == 'sheets' and r.random() < 0.6:
        return g_err(r, c, 403, 'The caller does not have permission', 'forbidden', 'PERMISSION_DENIED')
    msg = r.choice([f'The user does not have sufficient permissions for file {fid}.',
                    'Insufficient permissions for the specified parent.' if 'append' in c['tool'] else
                    f'The user does not have sufficient permissions for file {fid}.'])
    return g_err(r, c, 403, msg, 'insufficientFilePermissions', 'PERMISSION_DENIED')

def perm_aws(r, c):
    if c['svc'] == 's3':
        return aws_xml(r, 'AccessDenied', 'Access Denied') if r.random() < 0.6 else botocore(r, c, 'AccessDenied', 'Access Denied')
    a, act = acct(r), 'dynamodb:' + c['op']
    msg = (f"User: arn:aws:sts::{a}:assumed-role/{r.choice(['assistant-tools', 'plugin-runner', 'LambdaExec'])}/"
           f"{r.choice(['i-', 'sess-'])}{rs(r, 17, HX)} is not authorized to perform: {act} on resource: "
           f"arn:aws:dynamodb:{c['region']}:{a}:table/{c['table']}" +
           r.choice([f' because no identity-based policy allows the {act} action', '']))
    if r.random() < 0.4:
        return J(r, {'__type': 'com.amazon.coral.service#AccessDeniedException', 'Message': msg})
    return botocore(r, c, 'AccessDeniedException', msg)

def notfound_dropbox(r, c):
    tag = 'path_lookup' if c['endpoint'] == 'sharing/create_shared_link_with_settings' else 'path'
    body = {'error_summary': f"{tag}/not_found/{r.choice(['', '.', '..', '...'])}", 'error': {'.tag': tag, tag: {'.tag': 'not_found'}}}
    x = r.random()
    if x < 0.4:
        return J(r, body)
    if x < 0.6:
        return wrapped(r, 409, body)
    return tb(r, c, [('dropbox/base.py', c['fn'].replace('download', 'files_download').replace('list_folder', 'files_list_folder'),
                      'r = self.request('), ('dropbox/dropbox_client.py', 'request', 'raise ApiError(res.request_id,')],
              f"dropbox.exceptions.ApiError: ApiError('{rs(r, 32, HX)}', {c['errcls']}('{tag}', LookupError('not_found', None)))")

def notfound_s3(r, c):
    if c['op'] == 'ListObjectsV2':
        msg = 'The specified bucket does not exist'
        return aws_xml(r, 'NoSuchBucket', msg, f"<BucketName>{c['bucket']}</BucketName>") if r.random() < 0.5 \
            else botocore(r, c, 'NoSuchBucket', msg)
    if r.random() < 0.5:
        return aws_xml(r, 'NoSuchKey', 'The specified key does not exist.', f"<Key>{c['key']}</Key>")
    return botocore(r, c, 'NoSuchKey', 'The specified key does not exist.')

def notfound_google(r, c):
    return g_err(r, c, 404, f"File not found: {c['file_id']}.", 'notFound', 'NOT_FOUND')

def ctx_openai(r, c):
    mx = r.choice([4097, 8192, 16385, 32768, 128000])
    n = mx + r.randint(15, mx // 2 + 20)
    k = r.randrange(3)
    if k == 0:
        msg = f"This model's maximum context length is {mx} tokens. However, your messages resulted in {n} tokens. Please reduce the length of the messages."
    elif k == 1:
        a = n - c['max_tokens']
        msg = (f"This model's maximum context length is {mx} tokens. However, you requested {n} tokens ({a} in the messages, "
               f"{c['max_tokens']} in the completion). Please reduce the length of the messages or completion.")
    else:
        msg = f'Input tokens exceed the configured limit of {mx} tokens. Your messages resulted in {n} tokens. Please reduce the length of the messages.'
    return openai_err(r, c, 400, 'BadRequestError', {'message': msg, 'type': 'invalid_request_error', 'param': 'messages',
                                                    'code': 'context_length_exceeded'},
                      log=f"openai.chat.completions model={c['model']} -> 400 context_length_exceeded (prompt_tokens={n}, max={mx})")

def filter_openai(r, c):
    cats = ['hate', 'self_harm', 'sexual', 'violence']
    bad = r.choice(cats)
    res = {k: {'filtered': k == bad, 'severity': r.choice(['medium', 'high']) if k == bad else 'safe'} for k in cats}
    k = r.randrange(3)
    if k == 2:
        return J(r, {'id': 'chatcmpl-' + rs(r, 29), 'object': 'chat.completion', 'model': c['model'],
                     'choices': [{'index': 0, 'finish_reason': 'content_filter', 'message': {'role': 'assistant', 'content': None},
                                  'content_filter_results': res}]})
    if k == 0:
        err = {'message': "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                          'Please modify your prompt and retry. To learn more about our content filtering policies please read our '
                          'documentation: https://go.microsoft.com/fwlink/?linkid=2198766',
               'type': None, 'param': 'prompt', 'code': 'content_filter', 'status': 400,
               'innererror': {'code': 'ResponsibleAIPolicyViolation', 'content_filter_result': res}}
    else:
        err = {'message': 'Your request was rejected as a result of our safety system. ' + r.choice(
            ['Your prompt may contain text that is not allowed by our safety system.', '']).strip(),
               'type': 'invalid_request_error', 'param': None, 'code': 'content_policy_violation'}
    return openai_err(r, c, 400, 'BadRequestError', err)

def bad_twilio(r, c):
    p = r.choice([f'+1555{r.randint(100, 999)}', str(r.randint(10000, 99999)), f'+1 (555) {r.randint(10, 99)}',
                  f'+44{r.randint(1000, 99999)}', f'555-{r.randint(1000, 9999)}', f'+1{r.randint(100, 999)}00000000000'])
    c['args']['to'] = p
    c['call'] = f"client.messages.create(to=\"{p}\", from_=\"{c['args']['from']}\", body=\"{c['args']['body']}\")"
    code, msg = r.choice([(21211, f"The 'To' number {p} is not a valid phone number."), (21211, f"Invalid 'To' Phone Number: {p}"),
                          (21614, f"'To' number {p} is not a valid mobile number")])
    body = {'code': code, 'message': msg, 'more_info': f'https://www.twilio.com/docs/errors/{code}', 'status': 400}
    if r.random() < 0.55:
        return J(r, body)
    if r.random() < 0.5:
        exc = f'twilio.base.exceptions.TwilioRestException: HTTP 400 error: Unable to create record: {msg}'
    else:
        exc = (f"twilio.base.exceptions.TwilioRestException: \nHTTP Error Your request was:\n\n"
               f"POST /Accounts/{c['account']}/Messages.json\n\nTwilio returned the following information:\n\n"
               f"Unable to create record: {msg}\n\nMore information may be available here:\n\nhttps://www.twilio.com/docs/errors/{code}")
    return tb(r, c, [('twilio/rest/api/v2010/account/message/__init__.py', 'create', 'payload = self._version.create('),
                     ('twilio/base/version.py', 'create', 'raise self.exception(method, uri, response, "Unable to create record")')], exc)

def bad_slack(r, c):
    if c['fn'] == 'send_dm':
        c['method'] = 'users.lookupByEmail'
        return slack_err(r, c, r.choice(['users_not_found', 'user_not_found']))
    new = r.choice([c['channel'], '#' + c['chname'] + r.choice(['-old', '-2023', 's']), chan_id(r)])
    c['call'] = c['call'].replace(c['channel'], new)
    c['args']['channel'] = c['channel'] = new
    return slack_err(r, c, 'channel_not_found')

def notin_slack(r, c):
    return slack_err(r, c, 'not_in_channel')

def unshared_notion(r, c):
    nid, obj = c['obj_id'], c['obj']
    if len(nid) == 32 and r.random() < 0.5:
        nid = f'{nid[:8]}-{nid[8:12]}-{nid[12:16]}-{nid[16:20]}-{nid[20:]}'
    msg = r.choice([f'Could not find {obj} with ID: {nid}. Make sure the relevant pages and databases are shared with your integration.',
                    f'Could not find {obj} with ID: {nid}. Make sure the relevant pages and databases are shared with your integration '
                    f'"{r.choice(["Assistant", "AI Connector", "Workspace Bot"])}".'])
    return notion_err(r, c, 404, 'object_not_found', msg)

def badarg_google(r, c):
    if c['kind'] == 'sheets':
        rng = c['args']['range']
        bad = r.choice([rng.replace('!', ' '), rng.split('!')[0] + "'!A1", r.choice(TABS) + ' (copy)!A1:Z'])
        c['call'], c['url'] = c['call'].replace(rng, bad), c['url'].replace(rng, bad)
        c['args']['range'] = bad
        msg = r.choice([f'Unable to parse range: {bad}', f'Unable to parse range: {bad}',
                        'Invalid JSON payload received. Unknown name "value" at \'data\': Cannot find field.'])
    else:
        msg = r.choice(["Invalid Value", f"Invalid field selection {r.choice(['file', 'items', 'name,size'])}", "Invalid query"])
    return g_err(r, c, 400, msg, r.choice(['invalid', 'badRequest']), 'INVALID_ARGUMENT')

def badarg_ddb(r, c):
    msg = r.choice(['The provided key element does not match the schema',
                    'One or more parameter values were invalid: Missing the key order_id in the item',
                    'Query condition missed key schema element: email',
                    '1 validation error detected: Value null at \'tableName\' failed to satisfy constraint: Member must not be null'])
    if r.random() < 0.45:
        return J(r, {'__type': 'com.amazon.coral.validate#ValidationException', 'message': msg})
    return botocore(r, c, 'ValidationException', msg)

def badarg_notion(r, c):
    prop = r.choice(['Status', 'Due', 'Assignee', 'Priority', 'Tags'])
    msg = r.choice([f'body failed validation: body.parent.database_id should be a valid uuid, instead was `"{r.choice(NOTION_DBS)}"`.',
                    f'{prop} is not a property that exists.',
                    f'body failed validation. Fix one:\nbody.properties.{prop}.select.name should be a string, instead was `{r.randint(1, 9)}`.'])
    return notion_err(r, c, 400, 'validation_error', msg)

def timeout_any(r, c):
    h, p, x = host(c), c['plugin'], r.random()
    if p in ('openai', 'notion') and x < 0.4:
        return (f'<!DOCTYPE html>\n<html class="no-js" lang="en-US"><head><title>{h} | 524: A timeout occurred</title></head>\n<body>'
                f'<div id="cf-wrapper"><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">524</span></h1>'
                f'<h2 class="cf-subheadline">A timeout occurred</h2><p>The origin web server timed out responding to this request.</p>'
                f'<span>Cloudflare Ray ID: <strong>{rs(r, 16, HX)}</strong></span> &bull; <span>Your IP: {ippub(r)}</span></div></body></html>')
    if p in ('aws', 'twilio', 'dropbox') and x < 0.35 or p == 'google_drive' and x < 0.15:
        return ('<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n'
                + r.choice(['<hr><center>awselb/2.0</center>\r\n', '<hr><center>nginx</center>\r\n', '']) + '</body>\r\n</html>')
    if p == 'google_drive' and x < 0.65:
        if r.random() < 0.5:
            return f"rpc error: code = DeadlineExceeded desc = {r.choice(['context deadline exceeded', 'Deadline Exceeded'])}"
        return ('grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.DEADLINE_EXCEEDED\n'
                f'\tdetails = "Deadline Exceeded"\n\tdebug_error_string = "UNKNOWN:Deadline Exceeded {{grpc_status:4, created_time:'
                f'"2024-05-{r.randint(6, 20)}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999999)}+00:00"}}"\n>')
    if p == 'google_drive':
        return tb(r, c, [('googleapiclient/http.py', 'execute', 'resp, content = _retry_request('),
                         ('httplib2/__init__.py', '_conn_request', 'response = conn.getresponse()'),
                         ('ssl.py', 'recv_into', 'return self.read(nbytes, buffer)')],
                  r.choice(['TimeoutError: The read operation timed out', 'socket.timeout: timed out']))
    if p == 'openai':
        return tb(r, c, [('openai/_base_client.py', '_request', 'raise APITimeoutError(request=request) from err')],
                  'openai.APITimeoutError: Request timed out.')
    if p == 'aws':
        return tb(r, c, [('botocore/httpsession.py', 'send', 'raise ReadTimeoutError(endpoint_url=request.url, error=e)')],
                  f'botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "https://{h}/"')
    to = r.choice([10, 15, 30, 60])
    return tb(r, c, [('requests/sessions.py', 'send', 'r = adapter.send(request, **kwargs)'),
                     ('requests/adapters.py', 'send', 'raise ReadTimeout(e, request=request)')],
              f"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{h}', port=443): Read timed out. (read timeout={to})")

def conn_any(r, c):
    h, k, src = host(c), r.randrange(4), ip10(r)
    if k == 0:
        return tb(r, c, [('requests/adapters.py', 'send', 'raise ConnectionError(err, request=request)')],
                  r.choice(["requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
                            "urllib3.exceptions.ProtocolError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
                            'ConnectionResetError: [Errno 104] Connection reset by peer']))
    if k == 1:
        return (f"{r.choice(['Post', 'Get'])} \"https://{h}{upath(c)}\": read tcp {src}:{r.randint(32768, 60999)}->{ippub(r)}:443: "
                f"read: connection reset by peer")
    if k == 2:
        return r.choice([f'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp {src}:443: connect: connection refused"',
                         f'rpc error: code = Unavailable desc = error reading from server: read tcp {ip10(r)}:{r.randint(32768, 60999)}->{src}:443: read: connection reset by peer',
                         'rpc error: code = Unavailable desc = transport is closing'])
    return ('<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n'
            f"<hr><center>nginx{r.choice(['', '/1.25.3', '/1.18.0 (Ubuntu)'])}</center>\r\n</body>\r\n</html>")

def dns_any(r, c):
    h, k = host(c), r.randrange(3)
    if k == 0:
        return tb(r, c, [('requests/adapters.py', 'send', 'raise ConnectionError(e, request=request)')],
                  f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{h}', port=443): Max retries exceeded with url: {upath(c)} "
                  f"(Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f{rs(r, 10, HX)}>: Failed to resolve "
                  f"'{h}' ([Errno {r.choice(['-2] Name or service not known', '-3] Temporary failure in name resolution'])})\"))")
    if k == 1:
        return f'Get "https://{h}{upath(c)}": dial tcp: lookup {h} on 10.0.0.{r.choice([2, 10, 53])}:53: ' + r.choice(['no such host', 'server misbehaving'])
    code = r.choice(['ENOTFOUND', 'EAI_AGAIN'])
    return (f'Error: getaddrinfo {code} {h}\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:{r.choice([107, 109, 118])}:26) '
            f"{{\n  errno: {-3008 if code == 'ENOTFOUND' else -3001},\n  code: '{code}',\n  syscall: 'getaddrinfo',\n  hostname: '{h}'\n}}")

BUGS = {'google_drive': ['files', 'values', 'id'], 'notion': ['results', 'properties', 'title'], 'dropbox': ['entries', 'path_display'],
        'slack': ['messages', 'channel', 'user']}

def bug_any(r, c):
    key = r.choice(BUGS[c['plugin']])
    k = r.randrange(3)
    exc = [f"KeyError: '{key}'", "AttributeError: 'NoneType' object has no attribute 'get'",
           r.choice(["TypeError: 'NoneType' object is not subscriptable", 'TypeError: string indices must be integers'])][k]
    line = [f'for item in resp["{key}"]:', f'title = item.get("{key}").get("plain_text")', f'return [x["{key}"] for x in page]'][k]
    x = r.random()
    if x < 0.6:
        c = dict(c, src=line)
        return tb(r, c, [], exc)
    name, val = exc.split(': ', 1)
    if x < 0.8:
        return J(r, {'error': 'ToolExecutionError', 'tool': c['tool'], 'detail': f'{name}({val!r})' if k else f'{name}({val})'})
    return f"ERROR tools.{c['plugin']}: unhandled exception in {c['fn']}: {name}: {val}"

def noapi_google(r, c):
    svc, name = ('sheets', 'Google Sheets API') if c['kind'] == 'sheets' else ('drive', 'Google Drive API')
    pn = proj(r)
    msg = (f'{name} has not been used in project {pn} before or it is disabled. Enable it by visiting '
           f'https://console.developers.google.com/apis/api/{svc}.googleapis.com/overview?project={pn} then retry. '
           'If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.')
    extra = None
    if r.random() < 0.45:
        extra = [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', 'reason': 'SERVICE_DISABLED', 'domain': 'googleapis.com',
                  'metadata': {'service': f'{svc}.googleapis.com', 'consumer': f'projects/{pn}'}}]
    return g_err(r, c, 403, msg, 'accessNotConfigured', 'PERMISSION_DENIED', domain='usageLimits', extra=extra)

# cause -> (share, [(weight, plugin, form)])
CAUSES = {
    'rate_limited': (20, [(4, 'google_drive', rl_google), (3, 'slack', rl_slack), (2, 'notion', rl_notion),
                          (3, 'openai', rl_openai), (1, 'aws', rl_aws)]),
    'expired_credentials': (10, [(3, 'google_drive', cred_google), (3, 'aws', cred_aws), (3, 'slack', cred_slack),
                                 (1, 'dropbox', cred_dropbox)]),
    'permission_denied_on_resource': (8, [(3, 'google_drive', perm_google), (2, 'aws', perm_aws)]),
    'context_length_exceeded': (8, [(1, 'openai', ctx_openai)]),
    'upstream_timeout': (8, [(3, 'openai', timeout_any), (2, 'notion', timeout_any), (2, 'google_drive', timeout_any),
                             (1, 'aws', timeout_any), (1, 'dropbox', timeout_any), (1, 'twilio', timeout_any)]),
    'resource_not_found': (7, [(3, 'dropbox', notfound_dropbox), (2, 'aws', notfound_s3), (1, 'google_drive', notfound_google)]),
    'quota_exhausted_billing': (6, [(1, 'openai', quota_openai)]), 'integration_not_shared': (5, [(1, 'notion', unshared_notion)]),
    'bot_not_in_channel': (5, [(1, 'slack', notin_slack)]),
    'malformed_tool_arguments': (4.5, [(2, 'google_drive', badarg_google), (1, 'aws', badarg_ddb), (2, 'notion', badarg_notion)]),
    'content_filtered': (4, [(1, 'openai', filter_openai)]),
    'invalid_recipient': (4, [(3, 'twilio', bad_twilio), (2, 'slack', bad_slack)]),
    'tool_code_bug': (3.5, [(2, 'google_drive', bug_any), (2, 'notion', bug_any), (1, 'dropbox', bug_any), (1, 'slack', bug_any)]),
    'upstream_connection_failure': (3, [(2, 'slack', conn_any), (1, 'google_drive', conn_any), (1, 'openai', conn_any),
                                        (1, 'twilio', conn_any), (1, 'aws', conn_any)]),
    'api_not_enabled': (2.5, [(1, 'google_drive', noapi_google)]),
    'dns_resolution_failure': (1.5, [(1, 'notion', dns_any), (1, 'dropbox', dns_any), (1, 'openai', dns_any), (1, 'slack', dns_any)]),
}

NEED = {notfound_s3: lambda c: c['svc'] == 's3' and c['op'] != 'PutObject',
        badarg_ddb: lambda c: c['svc'] == 'dynamodb', notin_slack: lambda c: c['fn'] != 'send_dm'}
AI_OUT = ["I'm sorry, something went wrong while completing your request. Please try again later.",
          "I wasn't able to complete that action right now.", 'Sorry, I ran into an error while trying to do that.',
          "I couldn't finish that request because the {svc} integration returned an error.",
          'Something went wrong on my end. Could you try again in a moment?', "I'm unable to access {svc} at the moment.",
          "Unfortunately I hit a problem and couldn't complete this. Please try again."]
SVC = {'google_drive': 'Google Drive', 'aws': 'AWS', 'slack': 'Slack', 'dropbox': 'Dropbox', 'openai': 'OpenAI',
       'twilio': 'Twilio', 'notion': 'Notion'}

def render_input(r, c):
    x = r.random()
    if x < 0.45:
        return json.dumps({'tool': c['tool'], 'arguments': c['args']})
    if x < 0.8:
        return c['call']
    if x < 0.92:
        return json.dumps({'plugin': c['plugin'], 'operation': c['tool'].split('.')[-1], 'params': c['args']}, separators=(',', ':'))
    return f"{c['tool']}(" + ', '.join(f'{k}={json.dumps(v)}' for k, v in c['args'].items()) + ')'

def counts_for(n):
    tot = sum(s for s, _ in CAUSES.values())
    raw = {k: n * s / tot for k, (s, _) in CAUSES.items()}
    cnt = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - cnt[k]), k))[:n - sum(cnt.values())]:
        cnt[k] += 1
    return cnt

def generate(n_events: int = 3000, seed: int = 0):
    r = random.Random(seed)
    tenants = ['tnt_' + rs(r, 8, string.ascii_lowercase + string.digits) for _ in range(24)]
    users = [('usr_' + rs(r, 10, string.ascii_lowercase + string.digits), r.choice(tenants)) for _ in range(220)]
    labels = [k for k, v in counts_for(n_events).items() for _ in range(v)]
    r.shuffle(labels)
    t0 = datetime(2024, 5, 6, tzinfo=timezone.utc)
    rows, seen = [], set()
    for cause in labels:
        variants = CAUSES[cause][1]
        _, plugin, form = r.choices(variants, weights=[w for w, _, _ in variants])[0]
        c = OPS[plugin](r)
        while form in NEED and not NEED[form](c):
            c = OPS[plugin](r)
        out = form(r, c)
        eid = 'ev_' + rs(r, 20, HX)
        while eid in seen:
            eid = 'ev_' + rs(r, 20, HX)
        seen.add(eid)
        uid, tid = r.choice(users)
        ts = t0 + timedelta(seconds=r.randint(0, 14 * 86400 - 1), milliseconds=r.randint(0, 999))
        svc = 'Google Sheets' if c.get('kind') == 'sheets' else SVC[plugin]
        ai = r.choices(AI_OUT, weights=[8, 3, 3, 2, 2, 2, 1])[0].format(svc=svc)
        ev = {'evaluation_id': eid, 'customer_prompt': c['prompt'], 'skill_input': render_input(r, c), 'skill_output': out,
              'ai_output': ai, 'timestamp': ts.strftime('%Y-%m-%dT%H:%M:%S.') + f'{ts.microsecond // 1000:03d}Z',
              'user_id': uid, 'tenant_id': tid}
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
