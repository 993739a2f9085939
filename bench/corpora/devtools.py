#!/usr/bin/env python3
# Labelled benchmark corpus: failed developer-tooling plugin calls (see __doc__ at the bottom).
import argparse
import csv
import json
import os
from datetime import datetime, timedelta, timezone
import random

TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "piedpiper", "stark", "wayne",
           "wonka", "tyrell", "cyberdyne", "soylent"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
         "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yusuf", "zoe", "priya",
         "chen", "mateo", "fatima", "kenji", "lars", "ana"]
REPOS = ["api", "web-frontend", "billing-service", "infra", "mobile-app", "data-pipeline", "auth-service",
         "docs", "sdk-python", "terraform-modules", "search", "notifications", "design-system", "etl-jobs"]
BRANCHES = ["main", "develop", "release/2.4", "feature/login-v2", "hotfix/null-check", "chore/deps-bump"]
FILES = ["README.md", "src/index.ts", "app/models/user.py", "Dockerfile", ".github/workflows/ci.yml",
         "config/settings.yaml", "pkg/server/handler.go", "package.json"]
TITLES = ["Login page throws 500 on SSO callback", "Flaky test in payment retry suite",
          "Upgrade Node to 20 LTS", "Dark mode toggle not persisted", "CSV export truncates unicode",
          "Add rate limiting to public API", "Memory leak in websocket handler", "Docs: fix broken links",
          "Search results ignore locale", "Timeout when uploading large files"]
PROJECTS = ["PROJ", "OPS", "WEB", "PAY", "DATA", "MOB", "SEC", "PLAT", "CORE"]
SPACES = ["ENG", "OPS", "PM", "ARCH", "HR", "SRE"]
PAGES = ["Release checklist", "On-call runbook", "Q3 roadmap", "Incident postmortem 2024-05", "API style guide",
         "Onboarding guide", "Architecture decision records"]
JOBS = ["deploy-prod", "build-main", "nightly-e2e", "release-candidate", "api-ci", "frontend-ci", "db-migrations"]
SERVICES = ["Checkout API", "Payments", "Search Cluster", "Auth Gateway", "Mobile Backend", "Data Warehouse"]
ADO_PROJECTS = ["Platform", "Fabrikam", "Contoso-Web", "Mobile", "Infra"]
STATUSES = ["Done", "In Progress", "In Review", "Closed", "QA", "Blocked", "Ready for Release"]
FIELDS = ["customfield_10020", "customfield_10016", "customfield_10014", "customfield_10104", "priority",
          "components", "fixVersions", "customfield_11200", "duedate", "environment"]
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           406: "Not Acceptable", 409: "Conflict", 412: "Precondition Failed", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
           524: "A Timeout Occurred"}
PNAMES = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira", "confluence": "Confluence",
          "azure_devops": "Azure DevOps", "pagerduty": "PagerDuty", "jenkins": "Jenkins"}

def hx(r, n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))

def guid(r):
    return f"{hx(r, 8)}-{hx(r, 4)}-{hx(r, 4)}-{hx(r, 4)}-{hx(r, 12)}"

def gh_req(r):
    return ":".join(hx(r, k).upper() for k in (4, 4, 7, 7, 8))

def iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")

def dur(secs):
    return f"{secs // 60}m{secs % 60:02d}s"
# --------------------------------------------------------------------------- actions / prompts
def P(**kw):
    return kw

ACTIONS = {
    "github": [
        ("list_pull_requests", "GET", "/repos/{owner}/{repo}/pulls", lambda c: P(owner=c["owner"], repo=c["repo"], state="open"),
         ["Show me the open PRs in {repo}", "What pull requests are waiting for review on {owner}/{repo}?",
          "list open pull requests for {repo} please", "any PRs by {person} still open in the {repo} repo?"]),
        ("create_issue", "POST", "/repos/{owner}/{repo}/issues", lambda c: P(owner=c["owner"], repo=c["repo"], title=c["title"], labels=["bug"]),
         ["Open a GitHub issue in {repo}: {title}", "can you file a bug on {owner}/{repo} titled '{title}'",
          "Create an issue for \"{title}\" and assign it to {person}", "log this as an issue in {repo}: {title}"]),
        ("merge_pull_request", "PUT", "/repos/{owner}/{repo}/pulls/{num}/merge", lambda c: P(owner=c["owner"], repo=c["repo"], pull_number=c["num"], merge_method="squash"),
         ["Merge PR #{num} in {repo}", "squash and merge pull request {num} on {owner}/{repo}",
          "go ahead and merge #{num}, CI is green", "please merge {person}'s PR #{num}"]),
        ("get_file_contents", "GET", "/repos/{owner}/{repo}/contents/{file}", lambda c: P(owner=c["owner"], repo=c["repo"], path=c["file"], ref=c["branch"]),
         ["show me {file} from {repo}", "What's in {file} on the {branch} branch of {repo}?", "open {owner}/{repo}/{file}"]),
        ("add_comment", "POST", "/repos/{owner}/{repo}/issues/{num}/comments", lambda c: P(owner=c["owner"], repo=c["repo"], issue_number=c["num"], body="Thanks, looking into it"),
         ["Comment on #{num} in {repo} saying we'll look at it next sprint", "reply to issue {num} in {owner}/{repo}: thanks, fixed in {branch}",
          "leave a comment on PR #{num} asking {person} to rebase"]),
    ],
    "gitlab": [
        ("list_merge_requests", "GET", "/api/v4/projects/{gl_pid}/merge_requests", lambda c: P(project=c["gl_proj"], state="opened"),
         ["what MRs are open in {repo} on GitLab?", "list merge requests waiting on {person}", "show open merge requests for {gl_proj}"]),
        ("create_issue", "POST", "/api/v4/projects/{gl_pid}/issues", lambda c: P(project=c["gl_proj"], title=c["title"], labels="bug"),
         ["create a GitLab issue in {repo}: {title}", "File '{title}' in our gitlab project {gl_proj}", "open an issue on gitlab for {title}"]),
        ("merge_merge_request", "PUT", "/api/v4/projects/{gl_pid}/merge_requests/{mr}/merge", lambda c: P(project=c["gl_proj"], merge_request_iid=c["mr"], squash=True),
         ["merge !{mr} in {repo}", "Please merge merge request {mr} on gitlab", "accept MR !{mr} for {gl_proj} and delete the source branch"]),
        ("get_pipeline", "GET", "/api/v4/projects/{gl_pid}/pipelines/{build}", lambda c: P(project=c["gl_proj"], pipeline_id=c["build"]),
         ["did pipeline {build} pass?", "what's the status of the latest pipeline on {branch} in {repo}?", "why is the {repo} pipeline red?"]),
    ],
    "jira": [
        ("create_issue", "POST", "/rest/api/3/issue", lambda c: P(project=c["project"], issuetype="Bug", summary=c["title"], story_points=c["num"] % 8 + 1),
         ["Create a Jira ticket in {project}: {title}", "file a bug in {project} for '{title}' with 3 story points",
          "make a jira story for {title} and put it in the current sprint", "log a {project} ticket: {title}, assign to {person}"]),
        ("search_issues", "GET", "/rest/api/3/search", lambda c: P(jql=c["jql"], maxResults=50),
         ["What bugs are open in {project}?", "show me everything assigned to {person} in the current sprint",
          "find {project} tickets updated this week", "which issues are blocking the release in {project}?"]),
        ("transition_issue", "POST", "/rest/api/3/issue/{key}/transitions", lambda c: P(issueKey=c["key"], transition=c["status"]),
         ["Move {key} to {status}", "mark {key} as {status}", "set {key} to '{status}' please", "close out {key}, it's shipped"]),
        ("update_issue", "PUT", "/rest/api/3/issue/{key}", lambda c: P(issueKey=c["key"], fields={"customfield_10020": c["num"] % 60, "priority": "High"}),
         ["add {key} to sprint {sprint}", "bump {key} to high priority", "set the story points on {key} to 5", "update {key}: due date Friday"]),
        ("add_comment", "POST", "/rest/api/3/issue/{key}/comment", lambda c: P(issueKey=c["key"], body="Deployed to staging"),
         ["comment on {key} that the fix is deployed to staging", "tell {person} on {key} that I need more info", "add a note to {key}: waiting on QA"]),
    ],
    "confluence": [
        ("get_page", "GET", "/wiki/rest/api/content/{page_id}", lambda c: P(id=c["page_id"], expand="body.storage,version"),
         ["Summarize the '{page}' page", "what does our {page} say about rollbacks?", "pull up the {space} space page {page}"]),
        ("update_page", "PUT", "/wiki/rest/api/content/{page_id}", lambda c: P(id=c["page_id"], title=c["page"], version={"number": c["num"] % 30 + 1}),
         ["add today's release notes to the '{page}' page", "update {page} with the new on-call rotation", "append a section about {title} to {page}"]),
        ("search_pages", "GET", "/wiki/rest/api/search", lambda c: P(cql=f'space = "{c["space"]}" AND text ~ "{c["repo"]}"'),
         ["search confluence for docs about {repo}", "find the runbook for {service}", "is there a wiki page on {title}?"]),
        ("create_page", "POST", "/wiki/rest/api/content", lambda c: P(space=c["space"], title=f"Postmortem: {c['title']}"),
         ["create a postmortem page in {space} for '{title}'", "start a new confluence doc for the {repo} design", "draft a wiki page with meeting notes in {space}"]),
    ],
    "azure_devops": [
        ("create_work_item", "POST", "/{org}/{ado_project}/_apis/wit/workitems/$Task", lambda c: P(project=c["ado_project"], type="Task", title=c["title"]),
         ["create an ADO task: {title}", "add a work item in {ado_project} for '{title}'", "make a new bug in azure boards: {title}"]),
        ("update_work_item", "PATCH", "/{org}/{ado_project}/_apis/wit/workitems/{wi}", lambda c: P(id=c["wi"], state="Active", assignedTo=c["email"]),
         ["assign work item {wi} to me", "set #{wi} to Active", "update work item {wi}: remaining work 4h", "move {wi} to Resolved"]),
        ("list_pull_requests", "GET", "/{org}/{ado_project}/_apis/git/repositories/{repo}/pullrequests", lambda c: P(project=c["ado_project"], repository=c["repo"], status="active"),
         ["show active PRs in the {repo} repo on Azure DevOps", "what's waiting for my review in {ado_project}?", "list PRs for {repo} in ADO"]),
        ("create_pull_request", "POST", "/{org}/{ado_project}/_apis/git/repositories/{repo}/pullrequests", lambda c: P(repository=c["repo"], sourceRefName=f"refs/heads/{c['branch']}", targetRefName="refs/heads/main"),
         ["open a PR from {branch} into main in {repo}", "create a pull request for my {branch} branch", "raise a PR in {ado_project}/{repo} from {branch}"]),
        ("run_pipeline", "POST", "/{org}/{ado_project}/_apis/pipelines/{pipe}/runs", lambda c: P(pipelineId=c["pipe"], branch=c["branch"]),
         ["kick off the {repo} pipeline on {branch}", "run pipeline {pipe}", "rerun the CI build for {repo}"]),
    ],
    "pagerduty": [
        ("create_incident", "POST", "/incidents", lambda c: P(service=c["service"], title=c["title"], urgency="high"),
         ["page the {service} on-call: {title}", "open a pagerduty incident for {service}", "trigger an incident, {service} is down"]),
        ("acknowledge_incident", "PUT", "/incidents/{incident}", lambda c: P(id=c["incident"], status="acknowledged"),
         ["ack incident {incident}", "acknowledge the {service} page", "I'm on it, acknowledge {incident}"]),
        ("list_oncalls", "GET", "/oncalls", lambda c: P(schedule=c["service"], earliest=True),
         ["who is on call for {service}?", "who's on call right now?", "who has the pager for {service} this weekend?"]),
        ("add_note", "POST", "/incidents/{incident}/notes", lambda c: P(id=c["incident"], content="Rolled back deploy"),
         ["add a note to {incident}: rolled back the deploy", "update the incident with 'mitigated, monitoring'"]),
    ],
    "jenkins": [
        ("trigger_build", "POST", "/job/{job}/buildWithParameters", lambda c: P(job=c["job"], parameters={"BRANCH": c["branch"]}),
         ["run {job} on {branch}", "kick off a {job} build", "trigger jenkins {job} with BRANCH={branch}", "deploy {branch} via {job}"]),
        ("get_build_status", "GET", "/job/{job}/{build}/api/json", lambda c: P(job=c["job"], build=c["build"]),
         ["did {job} #{build} pass?", "what's the status of the last {job} build?", "is the {job} job still running?"]),
        ("get_console_log", "GET", "/job/{job}/{build}/consoleText", lambda c: P(job=c["job"], build=c["build"]),
         ["why did {job} #{build} fail?", "show me the console log for {job} build {build}", "grab the error from the last {job} run"]),
    ],
}
HOSTS = {"github": "api.github.com", "gitlab": "{gl_host}", "jira": "{org}.atlassian.net", "confluence": "{org}.atlassian.net",
         "azure_devops": "dev.azure.com", "pagerduty": "api.pagerduty.com", "jenkins": "{jk_host}"}

def make_ctx(r, org, user, ts):
    c = {"org": org, "user": user, "ts": ts}
    c["owner"] = r.choice([org, org, org, f"{org}-labs", f"{org}-oss"])
    c["repo"], c["num"], c["mr"] = r.choice(REPOS), r.randint(2, 4800), r.randint(1, 900)
    c["project"] = r.choice(PROJECTS)
    c["key"] = f'{c["project"]}-{r.randint(1, 9999)}'
    c["person"], c["email"] = r.choice(FIRST), f"{user}@{org}.com"
    c["branch"], c["file"], c["title"] = r.choice(BRANCHES), r.choice(FILES), r.choice(TITLES)
    c["page_id"], c["space"], c["page"] = str(r.randint(100000, 999999999)), r.choice(SPACES), r.choice(PAGES)
    c["job"], c["build"], c["pipe"] = r.choice(JOBS), r.randint(1, 9000), r.randint(1, 300)
    c["service"], c["status"], c["sprint"] = r.choice(SERVICES), r.choice(STATUSES), r.randint(20, 140)
    c["incident"] = "P" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))
    c["wi"], c["ado_project"] = r.randint(1000, 99999), r.choice(ADO_PROJECTS)
    c["gl_host"] = r.choice(["gitlab.com", f"gitlab.{org}.internal", "gitlab.internal.corp", f"git.{org}.corp"])
    c["jk_host"] = r.choice([f"jenkins.{org}.internal", f"ci.{org}.corp", "jenkins.internal.corp"])
    c["gl_proj"] = f'{c["owner"]}/{c["repo"]}'
    c["gl_pid"] = r.choice([str(r.randint(100, 60000)), f'{c["owner"]}%2F{c["repo"]}'])
    c["jql"] = r.choice([f'project = {c["project"]} AND status != Done', f'assignee = "{c["person"]}" AND sprint in openSprints()',
                         f'project = {c["project"]} AND type = Bug ORDER BY priority DESC', f'updated >= -7d AND project = {c["project"]}',
                         f'project = {c["project"]} AND labels = release-blocker'])
    return c

# --------------------------------------------------------------------------- surface-form helpers
def wrap(r, status, body):
    """Vendor body as-is, or wrapped by the plugin runtime in one of two envelopes."""
    k = r.random()
    if k < 0.45:
        return json.dumps(body)
    if k < 0.75:
        return json.dumps({"status": status, "body": body})
    return json.dumps({"response": {"status_code": status, "body": body if isinstance(body, str) else json.dumps(body)}})

def logline(r, c, status, detail):
    k = r.randrange(3)
    if k == 0: return f'{c["method"]} {c["path"]} failed: {status} {REASONS[status]}' + (f" ({detail})" if detail else "")
    if k == 1: return f'[{c["plugin"]}] request {c["method"]} {c["url"]} -> HTTP {status}: {detail or REASONS[status]}'
    return f'{iso(c["ts"])} ERROR {c["plugin"]}-connector {c["method"]} {c["path"]} returned {status} {REASONS[status]} - {detail or "no body"} request_id={hx(r, 16)}'

def camel(a):
    p = a.split("_")
    return p[0] + "".join(x.title() for x in p[1:])

def node_stack(r, c, head, lib=None):
    frames = {
        "github": [f"/app/node_modules/@octokit/request/dist-node/index.js:{r.choice([86, 112, 124])}:{r.choice([21, 23])}"],
        "gitlab": [f"throwFailedRequestError (/app/node_modules/@gitbeaker/rest/dist/index.js:{r.randint(60, 140)}:{r.randint(9, 15)})"],
    }.get(lib or c["plugin"], [f"settle (/app/node_modules/axios/lib/core/settle.js:19:12)",
                               f"IncomingMessage.handleStreamEnd (/app/node_modules/axios/lib/adapters/http.js:{r.choice([585, 599, 642])}:11)"])
    frames = frames + ["process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
                       f"async {PNAMES[c['plugin']].replace(' ', '')}Plugin.{camel(c['action'])} (/app/dist/plugins/{c['plugin']}/index.js:{r.randint(20, 480)}:{r.randint(5, 40)})"]
    if r.random() < 0.5:
        frames.append(f"async executeSkill (/app/dist/runtime/executor.js:{r.randint(40, 220)}:{r.randint(10, 30)})")
    return head + "".join(f"\n    at {f}" for f in frames)

JAVA_FRAMES = {
    "jira": ["com.atlassian.jira.rest.client.internal.async.AbstractAsynchronousRestClient$2.apply(AbstractAsynchronousRestClient.java:{n})",
             "com.atlassian.httpclient.api.ResponsePromiseMapFunction.apply(ResponsePromiseMapFunction.java:{n})",
             "io.atlassian.util.concurrent.Promises$OfStage.claim(Promises.java:{n})",
             "com.{org}.assistant.plugins.jira.JiraGateway.{act}(JiraGateway.java:{n})"],
    "confluence": ["com.atlassian.confluence.rest.client.RemoteContentServiceImpl.update(RemoteContentServiceImpl.java:{n})",
                   "com.{org}.assistant.plugins.confluence.PageWriter.{act}(PageWriter.java:{n})"],
    "jenkins": ["com.cdancy.jenkins.rest.filters.JenkinsAuthenticationFilter.filter(JenkinsAuthenticationFilter.java:{n})",
                "com.cdancy.jenkins.rest.features.JobsApi.buildWithParameters(JobsApi.java:{n})",
                "com.{org}.assistant.plugins.jenkins.JenkinsClient.{act}(JenkinsClient.java:{n})"],
}

def java_stack(r, c, head, caused=None, frames=None):
    fr = frames or JAVA_FRAMES.get(c["plugin"], JAVA_FRAMES["jira"])
    out = head + "".join("\n\tat " + f.format(n=r.randint(30, 420), org=c["org"], act=camel(c["action"])) for f in fr)
    out += f"\n\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:{r.choice([1136, 1144])})"
    if caused:
        out += f"\nCaused by: {caused}\n\t... {r.randint(8, 30)} more"
    return out

def pytb(r, c, call, last, lib_line):
    return (f'Traceback (most recent call last):\n  File "/app/plugins/{c["plugin"]}/client.py", line {r.randint(40, 300)}, in {c["action"]}\n'
            f'    {call}\n{lib_line}{last}')

def gitlab_exc(r, c, exc, code, msg):
    lib = (f'  File "/usr/local/lib/python3.11/site-packages/gitlab/exceptions.py", line {r.choice([336, 344])}, in wrapped_f\n'
           "    raise error(e.error_message, e.response_code, e.response_body) from e\n")
    return pytb(r, c, r.choice(["mr.merge(squash=True)", "self.gl.projects.get(project_id)", "project.issues.create(payload)"]),
                f"gitlab.exceptions.{exc}: {code}: {msg}", lib)

def ado_body(msg, type_name, type_key, event=3000):
    return {"$id": "1", "innerException": None, "message": msg, "typeName": type_name, "typeKey": type_key,
            "errorCode": 0, "eventId": event}

def dotnet(r, c, exc, msg):
    return (f"{exc}: {msg}\n   at Microsoft.VisualStudio.Services.WebApi.VssHttpClientBase.HandleResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)"
            f"\n   at Microsoft.VisualStudio.Services.WebApi.VssHttpClientBase.SendAsync(HttpRequestMessage message, HttpCompletionOption completionOption, Object userState, CancellationToken cancellationToken)"
            f"\n   at Assistant.Plugins.AzureDevOps.AdoClient.{c['action'].title().replace('_', '')}Async() in /src/Plugins/AzureDevOps/AdoClient.cs:line {r.randint(40, 400)}")

def gh_body(msg, doc):
    return {"message": msg, "documentation_url": "https://docs.github.com/rest/" + doc}

def go_err(c, status, msg, tail="[]"):
    return f'{c["method"]} {c["url"]}: {status} {msg} {tail}'

# --------------------------------------------------------------------------- causes
def rate_limited(r, c):
    p, reset, wait = c["plugin"], c["ts"] + timedelta(seconds=r.randint(30, 3500)), r.randint(5, 900)
    if p == "github":
        k = r.randrange(4)
        msg = r.choice([f"API rate limit exceeded for installation ID {r.randint(1000000, 59999999)}.",
                        f"API rate limit exceeded for user ID {r.randint(10000, 99999999)}."])
        if k == 0:
            if r.random() < 0.3:
                return wrap(r, r.choice([403, 429]), gh_body("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                            f"If you reach out to GitHub Support for help, please include the request ID {gh_req(r)}.",
                            "overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"))
            return wrap(r, 403, gh_body(msg, "overview/resources-in-the-rest-api#rate-limiting"))
        if k == 1:
            return go_err(c, 403, f"API rate limit of 5000 still exceeded until {reset.strftime('%Y-%m-%d %H:%M:%S')} +0000 UTC, not making remote request.", f"[rate reset in {dur(wait)}]")
        if k == 2:
            if r.random() < 0.5:
                return f'Request quota exhausted for request {c["method"]} {c["path"]}; retrying after {wait} seconds (retryCount={r.randint(1, 3)})'
            return node_stack(r, c, f"HttpError: {msg}")
        return logline(r, c, 403, f"x-ratelimit-remaining=0, x-ratelimit-reset={int(reset.timestamp())}")
    if p == "jira":
        k = r.randrange(3)
        if k == 0:
            return wrap(r, 429, r.choice([{"errorMessages": ["Rate limit exceeded."], "errors": {}},
                                          {"code": 429, "message": "Rate limit exceeded. Retry after %d seconds." % wait}]))
        if k == 1:
            return java_stack(r, c, f"com.atlassian.jira.rest.client.api.RestClientException: [ErrorCollection{{status=429, errors={{}}, errorMessages=[Rate limit exceeded.]}}]")
        return f'jira {c["method"]} {c["path"]} throttled: HTTP 429 Too Many Requests, Retry-After: {wait}s (attempt {r.randint(1, 5)}/5)'
    if p == "azure_devops":
        msg = ("TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource "
               f"'{r.choice(['ATCPU', 'Concurrency', 'DBCPU'])}' in namespace '{r.choice(['User', 'IPAddress'])}'. For more information on why your request was blocked, see "
               "the topic \"Rate limits\" on the Microsoft Web site (https://go.microsoft.com/fwlink/?LinkId=823950).")
        k = r.randrange(3)
        if k == 0:
            return wrap(r, 429, ado_body(msg, "Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server", "RequestBlockedException"))
        if k == 1: return dotnet(r, c, "Microsoft.VisualStudio.Services.WebApi.VssServiceResponseException", msg)
        return f"429 Too Many Requests from dev.azure.com (Retry-After: {wait}, X-RateLimit-Resource: ATCPU, X-RateLimit-Delay: {r.uniform(0.5, 9):.3f})"
    # pagerduty
    if r.random() < 0.6: return wrap(r, 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}})
    return logline(r, c, 429, f"ratelimit-remaining=0 ratelimit-reset={wait}")

def expired_oauth_token(r, c):
    if c["plugin"] == "github":
        k = r.randrange(4)
        if k == 0: return wrap(r, 401, gh_body("Bad credentials", "overview/authenticating-to-the-rest-api"))
        if k == 1: return go_err(c, 401, "Bad credentials")
        if k == 2: return node_stack(r, c, "HttpError: Bad credentials")
        return json.dumps({"error": "bad_refresh_token", "error_description": "The refresh token passed is incorrect or expired.",
                           "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-refresh-token"})
    k = r.randrange(4)
    if k == 0:
        return wrap(r, 401, r.choice([{"error": "invalid_token", "error_description": "Token is expired. You can either do re-authorization or token refresh."},
                                      {"message": "401 Unauthorized"}]))
    if k == 1: return gitlab_exc(r, c, "GitlabAuthenticationError", 401, r.choice(["401 Unauthorized", "invalid_token"]))
    if k == 2: return node_stack(r, c, "GitbeakerRequestError: Unauthorized", "gitlab")
    return f'oauth: refresh of gitlab access token for {c["email"]} failed: invalid_grant (The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.)'

def repo_not_found(r, c):
    p = c["plugin"]
    if p == "github":
        k = r.randrange(4)
        if k == 0:
            return wrap(r, 404, gh_body("Not Found", r.choice(["repos/repos#get-a-repository", "pulls/pulls#list-pull-requests", "issues/issues#create-an-issue"])))
        if k == 1: return go_err(c, 404, "Not Found")
        if k == 2: return node_stack(r, c, "HttpError: Not Found")
        return logline(r, c, 404, f"repository {c['owner']}/{c['repo']} not found")
    if p == "gitlab":
        k = r.randrange(3)
        if k == 0: return wrap(r, 404, {"message": "404 Project Not Found"})
        if k == 1: return gitlab_exc(r, c, "GitlabGetError", 404, "404 Project Not Found")
        return logline(r, c, 404, "404 Project Not Found")
    msg = (f"TF401019: The Git repository with name or identifier {c['repo']} does not exist or you do not have permissions "
           "for the operation you are attempting.")
    if r.random() < 0.6:
        return wrap(r, 404, ado_body(msg, "Microsoft.TeamFoundation.Git.Server.GitRepositoryNotFoundException, Microsoft.TeamFoundation.Git.Server", "GitRepositoryNotFoundException"))
    return dotnet(r, c, "Microsoft.TeamFoundation.SourceControl.WebApi.GitRepositoryNotFoundException", msg)

def app_missing_permission(r, c):
    perm = {"create_issue": "issues=write", "add_comment": "issues=write", "merge_pull_request": "contents=write",
            "list_pull_requests": "pull_requests=read", "get_file_contents": "contents=read"}[c["action"]]
    k = r.randrange(4)
    if k == 0:
        return wrap(r, 403, gh_body("Resource not accessible by integration", r.choice(["issues/issues#create-an-issue", "pulls/pulls#merge-a-pull-request", "repos/contents#get-repository-content"])))
    if k == 1: return go_err(c, 403, "Resource not accessible by integration")
    if k == 2: return node_stack(r, c, "HttpError: Resource not accessible by integration")
    return logline(r, c, 403, f"x-accepted-github-permissions: {perm}; x-github-request-id: {gh_req(r)}")

def saml_sso_enforcement(r, c):
    who = r.choice(["Personal Access token", "OAuth token"])
    msg = f"Resource protected by organization SAML enforcement. You must grant your {who} access to this organization."
    k = r.randrange(4)
    if k == 0:
        return wrap(r, 403, ({"message": msg, "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/"}))
    if k == 1: return go_err(c, 403, msg)
    if k == 2: return node_stack(r, c, f"HttpError: {msg}")
    return logline(r, c, 403, f"x-github-sso: required; url=https://github.com/orgs/{c['owner']}/sso?authorization_request={hx(r, 20).upper()}")

def jira_invalid_transition(r, c):
    tid = r.choice([11, 21, 31, 41, 51, 61, 71, 81, 91])
    avail = ", ".join(r.sample(["To Do", "In Progress", "In Review", "Blocked", "Reopen"], 3))
    k = r.randrange(4)
    if k == 0: return wrap(r, 400, {"errorMessages": [f"Transition id '{tid}' is not valid for this issue."], "errors": {}})
    if k == 1:
        return java_stack(r, c, f"com.atlassian.jira.rest.client.api.RestClientException: [ErrorCollection{{status=400, errors={{}}, errorMessages=[Transition id '{tid}' is not valid for this issue.]}}]")
    if k == 2: return logline(r, c, 404, f"no transition named '{c['status']}' available for {c['key']} (available: {avail})")
    return json.dumps({"status": 404, "body": {"error": "transition_not_found", "message": f"Could not find a workflow transition to '{c['status']}' from current status of {c['key']}"}})

def jira_field_not_on_screen(r, c):
    f = r.choice(FIELDS)
    msg = r.choice([f"Field '{f}' cannot be set. It is not on the appropriate screen, or unknown.",
                    f"Field '{f}' cannot be set. It is not on the appropriate screen, or unknown"])
    k = r.randrange(4)
    if k == 0: return wrap(r, 400, {"errorMessages": [], "errors": {f: msg}})
    if k == 1:
        return java_stack(r, c, f"com.atlassian.jira.rest.client.api.RestClientException: [ErrorCollection{{status=400, errors={{{f}={msg}}}, errorMessages=[]}}]",
                          caused=f"com.atlassian.jira.rest.client.api.domain.util.ErrorCollection: {f}={msg}")
    if k == 2:
        return node_stack(r, c, f"HttpException: Request failed with status code 400\n  data: {{ errorMessages: [], errors: {{ {f}: \"{msg}\" }} }}")
    return logline(r, c, 400, f"{f}: {msg}")

def invalid_jql(r, c):
    tok = r.choice(["bugs", "sprint1", "Done", "storypoints", "order", "high"])
    col = r.randint(8, 70)
    msg = r.choice([f"Error in the JQL Query: Expecting operator but got '{tok}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character {col})",
                    f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{tok}'. (line 1, character {col})",
                    f"Field '{tok}' does not exist or you do not have permission to view it.",
                    f"Error in the JQL Query: The character '{r.choice(['=', '!', '%'])}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u003d' instead. (line 1, character {col})"])
    k = r.randrange(3)
    if k == 0: return wrap(r, 400, {"errorMessages": [msg], "warningMessages": []} if r.random() < 0.5 else {"errorMessages": [msg], "errors": {}})
    if k == 1:
        return java_stack(r, c, f"com.atlassian.jira.rest.client.api.RestClientException: [ErrorCollection{{status=400, errors={{}}, errorMessages=[{msg}]}}]")
    return logline(r, c, 400, msg)

def merge_conflict(r, c):
    f = r.choice(FILES)
    if c["plugin"] == "github":
        k = r.randrange(3)
        if k == 0: return wrap(r, 405, gh_body("Pull Request is not mergeable", "pulls/pulls#merge-a-pull-request"))
        if k == 1: return go_err(c, 405, "Pull Request is not mergeable")
        return logline(r, c, 409, f"mergeable_state=dirty; CONFLICT (content): Merge conflict in {f}")
    k = r.randrange(3)
    if k == 0: return wrap(r, 406, {"message": r.choice(["Branch cannot be merged", "406 Branch cannot be merged"])})
    if k == 1: return gitlab_exc(r, c, "GitlabMRClosedError", 406, "Branch cannot be merged")
    return f'merge of !{c["mr"]} in {c["gl_proj"]} failed: 409 Conflict - has_conflicts=true merge_status=cannot_be_merged (conflict in {f})'

def edit_version_conflict(r, c):
    cur = r.randint(2, 80)
    if c["plugin"] == "confluence":
        msg = f"Version must be incremented on update. Current version is: {cur}"
        k = r.randrange(3)
        if k == 0:
            return wrap(r, 409, {"statusCode": 409, "data": {"authorized": False, "valid": True, "errors": [], "successful": False}, "message": msg})
        if k == 1: return java_stack(r, c, f"com.atlassian.confluence.api.service.exceptions.api.ConflictException: {msg}")
        return logline(r, c, 409, f"page {c['page_id']} version conflict: sent {cur - 1}, server has {cur}")
    msg = "TF26071: This work item has been changed by someone else since you opened it. You will need to refresh it and discard your changes."
    if r.random() < 0.6:
        return wrap(r, 409, ado_body(msg, "Microsoft.TeamFoundation.WorkItemTracking.Server.WorkItemRevisionMismatchException, Microsoft.TeamFoundation.WorkItemTracking.Server", "WorkItemRevisionMismatchException", 3200))
    return dotnet(r, c, "Microsoft.VisualStudio.Services.WebApi.VssServiceException", msg + f" (rev {cur} != {cur - 1})")

def upstream_gateway_timeout(r, c):
    code = r.choice([504, 504, 502])
    k = r.randrange(5)
    if k == 0:
        html = (f"<html>\r\n<head><title>{code} {REASONS[code].replace('Timeout', 'Time-out')}</title></head>\r\n<body>\r\n<center><h1>{code} "
                f"{REASONS[code].replace('Timeout', 'Time-out')}</h1></center>\r\n<hr><center>nginx/{r.choice(['1.18.0', '1.22.1', '1.25.3'])}</center>\r\n</body>\r\n</html>")
        return wrap(r, code, html) if r.random() < 0.5 else html
    if k == 1:
        return (f'<!DOCTYPE html>\n<html lang="en-US"><head><title>{c["host"]} | 524: A timeout occurred</title></head><body><div id="cf-wrapper">'
                f'<h1><span class="cf-error-type">Error</span> <span class="code-label">Error code 524</span></h1><p>The origin web server timed out responding to this request.</p>'
                f'<span class="cf-footer-item">Cloudflare Ray ID: <strong>{hx(r, 16)}</strong></span></div></body></html>')
    if k == 2:
        return json.dumps({"status": 504, "body": "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>",
                           "headers": {"server": "awselb/2.0", "x-amzn-requestid": guid(r)}})
    if k == 3:
        return (f'{iso(c["ts"])} [error] {r.randint(20, 99)}#{r.randint(0, 9)}: *{r.randint(1000, 9999999)} upstream timed out (110: Connection timed out) while reading response header '
                f'from upstream, client: 10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}, server: {c["host"]}, request: "{c["method"]} {c["path"]} HTTP/1.1", '
                f'upstream: "http://10.0.{r.randint(0, 9)}.{r.randint(2, 250)}:8080{c["path"]}"')
    return node_stack(r, c, f"AxiosError: Request failed with status code {code}", "axios")

def plugin_null_reference(r, c):
    p = c["plugin"]
    if p == "jira":
        getter = r.choice(["getAssignee", "getReporter", "getPriority"])
        head = r.choice([f'java.lang.NullPointerException: Cannot invoke "com.atlassian.jira.rest.client.api.domain.BasicUser.getDisplayName()" because the return value of "com.atlassian.jira.rest.client.api.domain.Issue.{getter}()" is null',
                         "java.lang.NullPointerException"])
        return java_stack(r, c, head, frames=["com.{org}.assistant.plugins.jira.IssueFormatter.format(IssueFormatter.java:{n})",
                                               "java.base/java.util.stream.ReferencePipeline$3$1.accept(ReferencePipeline.java:197)",
                                               "com.{org}.assistant.plugins.jira.JiraGateway.{act}(JiraGateway.java:{n})"])
    prop = {"github": r.choice(["login", "login", "sha"]), "pagerduty": r.choice(["id", "summary"])}[p]
    fn = {"github": r.choice(["formatPullRequest", "mapAuthor"]), "pagerduty": r.choice(["resolveEscalationPolicy", "formatOncall"])}[p]
    head = r.choice([f"TypeError: Cannot read properties of undefined (reading '{prop}')",
                     f"TypeError: Cannot read properties of null (reading '{prop}')",
                     f"TypeError: Cannot read property '{prop}' of undefined"])
    st = (head + f"\n    at {fn} (/app/dist/plugins/{p}/format.js:{r.randint(10, 160)}:{r.randint(12, 60)})\n    at Array.map (<anonymous>)"
          f"\n    at {PNAMES[p]}Plugin.{camel(c['action'])} (/app/dist/plugins/{p}/index.js:{r.randint(20, 480)}:{r.randint(5, 40)})"
          "\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")
    if r.random() < 0.4: return json.dumps({"error": "internal_error", "message": head, "trace_id": hx(r, 32), "stack": st})
    return st

def jenkins_queue_full(r, c):
    n, mx = r.randint(501, 900), 500
    k = r.randrange(3)
    if k == 0:
        return java_stack(r, c, f"java.lang.IllegalStateException: Build queue is full ({n} items, limit {mx}); refusing to schedule job '{c['job']}'",
                          frames=["hudson.model.Queue.schedule2(Queue.java:{n})", "jenkins.model.ParameterizedJobMixIn.scheduleBuild2(ParameterizedJobMixIn.java:{n})",
                                  "hudson.model.ParametersDefinitionProperty.buildWithParameters(ParametersDefinitionProperty.java:{n})"])
    if k == 1:
        return wrap(r, 503, {"error": "queue_full", "message": f"Jenkins build queue has {n} pending items (max {mx}). Try again later.", "job": c["job"]})
    return f'Jenkins queue saturated: {n} items waiting (max {mx}), job "{c["job"]}" not scheduled after {r.randint(30, 300)}s'

def self_hosted(c):
    if c["host"] == "gitlab.com":
        c["host"] = f"gitlab.{c['org']}.internal"
        c["url"] = f'https://{c["host"]}{c["path"]}'
    return c["host"]

def tls_certificate_untrusted(r, c):
    host = self_hosted(c)
    if c["plugin"] == "jenkins" or r.random() < 0.2:
        return java_stack(r, c, "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
                          caused="sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
                          frames=["java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)", "java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:{n})",
                                  "com.{org}.assistant.plugins." + c["plugin"] + ".HttpTransport.execute(HttpTransport.java:{n})"])
    if r.random() < 0.55:
        msg = r.choice(["self signed certificate in certificate chain", "self-signed certificate in certificate chain"])
        return (f"Error: {msg}\n    at TLSSocket.onConnectSecure (node:_tls_wrap:{r.choice([1540, 1550, 1674])}:34)\n    at TLSSocket.emit (node:events:517:28)"
                f"\n    at TLSSocket._finishInit (node:_tls_wrap:{r.choice([959, 1085])}:8) {{\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'\n}}")
    return (f"requests.exceptions.SSLError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {c['path']} "
            "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate in certificate chain (_ssl.c:1006)')))")

def dns_resolution_failure(r, c):
    host = self_hosted(c)
    k = r.randrange(4)
    if k == 0:
        return (f"Error: getaddrinfo ENOTFOUND {host}\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:{r.choice([107, 118])}:26) {{\n"
                f"  errno: -3008,\n  code: 'ENOTFOUND',\n  syscall: 'getaddrinfo',\n  hostname: '{host}'\n}}")
    if k == 1:
        return java_stack(r, c, f"java.net.UnknownHostException: {host}: {r.choice(['Name or service not known', 'Temporary failure in name resolution'])}",
                          frames=["java.base/java.net.Inet6AddressImpl.lookupAllHostAddr(Native Method)", "java.base/java.net.InetAddress.getAllByName0(InetAddress.java:{n})",
                                  "com.{org}.assistant.plugins." + c["plugin"] + ".HttpTransport.execute(HttpTransport.java:{n})"])
    if k == 2: return f'{c["method"]} {c["url"]}: dial tcp: lookup {host} on 10.{r.randint(0, 9)}.0.{r.choice([2, 10, 53])}:53: no such host'
    return (f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {c['path']} "
            f"(Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f{hx(r, 10)}>: Failed to resolve '{host}' ([Errno -2] Name or service not known)\"))")

def token_insufficient_scope(r, c):
    if c["plugin"] == "gitlab":
        k = r.randrange(3)
        if k == 0:
            return wrap(r, 403, {"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.",
                                 "scope": r.choice(["api", "write_repository api", "read_api api"])})
        if k == 1: return gitlab_exc(r, c, r.choice(["GitlabCreateError", "GitlabGetError", "GitlabMRClosedError"]), 403, "insufficient_scope")
        return logline(r, c, 403, "insufficient_scope: token scopes [read_user read_repository] do not include 'api'")
    msg = f"TF400813: The user '{guid(r)}' is not authorized to access this resource."
    if r.random() < 0.6:
        return wrap(r, 401, ado_body(msg, "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server", "UnauthorizedRequestException"))
    return dotnet(r, c, "Microsoft.VisualStudio.Services.Common.VssUnauthorizedException", msg)

GH_REPO = ["list_pull_requests", "create_issue", "merge_pull_request", "get_file_contents", "add_comment"]
ADO_REPO = ["list_pull_requests", "create_pull_request"]
CAUSES = [  # name, weight (% of events), {plugin: allowed actions or None for all}, generator
    ("rate_limited", 19, {"github": None, "jira": None, "azure_devops": None, "pagerduty": None}, rate_limited),
    ("expired_oauth_token", 11, {"github": None, "gitlab": None}, expired_oauth_token),
    ("repo_not_found", 9, {"github": GH_REPO, "gitlab": None, "azure_devops": ADO_REPO}, repo_not_found),
    ("github_app_missing_permission", 8, {"github": None}, app_missing_permission),
    ("upstream_gateway_timeout", 8, {"github": None, "jira": None, "confluence": None, "azure_devops": None, "jenkins": None}, upstream_gateway_timeout),
    ("jira_field_not_on_screen", 7, {"jira": ["create_issue", "update_issue"]}, jira_field_not_on_screen),
    ("saml_sso_enforcement", 6, {"github": None}, saml_sso_enforcement),
    ("jira_invalid_transition", 5.5, {"jira": ["transition_issue"]}, jira_invalid_transition),
    ("invalid_jql_query", 5, {"jira": ["search_issues"]}, invalid_jql),
    ("token_insufficient_scope", 4.5, {"gitlab": None, "azure_devops": None}, token_insufficient_scope),
    ("merge_conflict", 4, {"github": ["merge_pull_request"], "gitlab": ["merge_merge_request"]}, merge_conflict),
    ("edit_version_conflict", 3.5, {"confluence": ["update_page"], "azure_devops": ["update_work_item"]}, edit_version_conflict),
    ("plugin_null_reference_bug", 3, {"github": ["list_pull_requests"], "pagerduty": ["list_oncalls", "create_incident"], "jira": ["search_issues", "create_issue"]}, plugin_null_reference),
    ("jenkins_queue_full", 2.5, {"jenkins": ["trigger_build"]}, jenkins_queue_full),
    ("tls_certificate_untrusted", 2, {"gitlab": None, "jenkins": None}, tls_certificate_untrusted),
    ("dns_resolution_failure", 1.5, {"gitlab": None, "jenkins": None}, dns_resolution_failure),
]

AI_GENERIC = ["Sorry, something went wrong. Please try again later."] * 4 + [
    "Sorry, something went wrong.", "I ran into a problem while trying to do that. Please try again in a bit.",
    "I wasn't able to complete that request right now.", "Something went wrong on my end, sorry about that!",
    "I couldn't reach {P} just now. Please try again later.", "Sorry, I couldn't complete that action in {P}.",
    "Hmm, that didn't work. Could you try again?", "An error occurred while processing your request."]

def skill_input(r, plugin, action, params):
    k = r.random()
    if k < 0.65:
        return json.dumps({"plugin": plugin, "action": action, "parameters": params})
    if k < 0.85:
        args = ", ".join(f"{a}={json.dumps(v)}" for a, v in params.items())
        return f"{plugin}.{action}({args})"
    return json.dumps({"tool": f"{plugin}_{action}", "arguments": json.dumps(params)})

def generate(n_events: int = 3000, seed: int = 0):
    r = random.Random(seed)
    total = sum(w for _, w, _, _ in CAUSES)
    counts = [int(n_events * w / total) for _, w, _, _ in CAUSES]
    rema = sorted(range(len(CAUSES)), key=lambda i: -(n_events * CAUSES[i][1] / total - counts[i]))
    for i in rema[: n_events - sum(counts)]:
        counts[i] += 1
    labels = [i for i, n in enumerate(counts) for _ in range(n)]
    r.shuffle(labels)
    users = {t: [f"{r.choice(FIRST)}.{hx(r, 4)}" for _ in range(r.randint(4, 14))] for t in TENANTS}
    tenant_w = [r.uniform(0.3, 3.0) for _ in TENANTS]
    t0 = datetime(2024, 5, 6, tzinfo=timezone.utc)
    rows = []
    for ci in labels:
        name, _, plugins, fn = CAUSES[ci]
        tenant = r.choices(TENANTS, tenant_w)[0]
        user = r.choice(users[tenant])
        ts = t0 + timedelta(seconds=r.randrange(14 * 86400), milliseconds=r.randrange(1000))
        c = make_ctx(r, tenant, user, ts)
        plugin = r.choice(list(plugins))
        allowed = plugins[plugin]
        acts = [a for a in ACTIONS[plugin] if allowed is None or a[0] in allowed]
        action, method, path, pfn, prompts = r.choice(acts)
        c.update(plugin=plugin, action=action, method=method, path=path.format(**c), host=HOSTS[plugin].format(**c))
        c["url"] = f'https://{c["host"]}{c["path"]}'
        out = fn(r, c)
        ai = r.choice(AI_GENERIC).format(P=PNAMES[plugin])
        eid = f"eval-{hx(r, 8)}-{hx(r, 4)}-{hx(r, 12)}"
        rows.append(({"evaluation_id": eid, "customer_prompt": r.choice(prompts).format(**c),
                      "skill_input": skill_input(r, plugin, action, pfn(c)), "skill_output": out, "ai_output": ai,
                      "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                      "user_id": f"u_{user}", "tenant_id": f"tnt_{tenant}"},
                     {"evaluation_id": eid, "cause": name, "plugin": plugin}))
    rows.sort(key=lambda x: (x[0]["timestamp"], x[0]["evaluation_id"]))
    return [e for e, _ in rows], [t for _, t in rows]

def _write(path, rows, cols):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)

def main(argv=None):
    ap = argparse.ArgumentParser(description="Developer-tooling plugin failure corpus (labelled by root cause)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    ev, tr = generate(a.events, a.seed)
    _write(os.path.join(a.out, "telemetry.csv"), ev, ["evaluation_id", "customer_prompt", "skill_input", "skill_output",
                                                       "ai_output", "timestamp", "user_id", "tenant_id"])
    _write(os.path.join(a.out, "truth.csv"), tr, ["evaluation_id", "cause", "plugin"])
    print(f"wrote {len(ev)} events, {len(tr)} truth rows to {a.out}")

__doc__ = """Labelled corpus of failed developer-tooling plugin calls (GitHub, GitLab, Jira, Confluence,
Azure DevOps, PagerDuty, Jenkins) for benchmarking root-cause clustering.

The truth label is the ROOT CAUSE only; plugin, surface form, stack frames and ids vary within a cause.
Causes (share of events; plugins; surface forms):
  rate_limited (19%; github, jira, azure_devops, pagerduty): GitHub 403/429 JSON (primary "API rate limit
      exceeded for installation/user ID", secondary rate limit), go-github "still exceeded until ... [rate reset
      in]", octokit throttling log / HttpError stack, log line with x-ratelimit headers; Jira 429 JSON, Java
      RestClientException, throttle log; ADO TF400733 RequestBlockedException JSON, .NET exception, 429 log
      with Retry-After; PagerDuty {"error":{"code":2020}} or log.
  expired_oauth_token (11%; github, gitlab): GitHub 401 "Bad credentials" (JSON/Go/Node), bad_refresh_token;
      GitLab invalid_token "Token is expired", python-gitlab GitlabAuthenticationError, gitbeaker stack, invalid_grant log.
  repo_not_found (9%; github, gitlab, azure_devops): GitHub 404 "Not Found" (JSON/Go/Node/log), GitLab
      "404 Project Not Found" (JSON/python/log), ADO TF401019 GitRepositoryNotFoundException (JSON/.NET).
  github_app_missing_permission (8%; github): 403 "Resource not accessible by integration" JSON/Go/Node/log
      with x-accepted-github-permissions.
  upstream_gateway_timeout (8%; github, jira, confluence, azure_devops, jenkins): nginx 502/504 HTML,
      Cloudflare 524 page, AWS ELB 504 envelope, nginx "upstream timed out" error log, axios 5xx stack.
  jira_field_not_on_screen (7%; jira): 400 "Field 'customfield_x' cannot be set. It is not on the appropriate
      screen, or unknown." as JSON errors map, Java RestClientException with Caused by, jira.js stack, log line.
  saml_sso_enforcement (6%; github): 403 "Resource protected by organization SAML enforcement" JSON/Go/Node,
      log with x-github-sso header.
  jira_invalid_transition (5.5%; jira): 400 "Transition id 'N' is not valid for this issue." JSON/Java,
      404 "no transition named ..." log, 404 transition_not_found envelope.
  invalid_jql_query (5%; jira): 400 "Error in the JQL Query: ..." / unknown field, JSON/Java/log.
  token_insufficient_scope (4.5%; gitlab, azure_devops): GitLab 403 insufficient_scope JSON/python/log;
      ADO 401 TF400813 UnauthorizedRequestException JSON/.NET.
  merge_conflict (4%; github, gitlab): GitHub 405 "Pull Request is not mergeable" JSON/Go, 409 dirty log;
      GitLab 406 "Branch cannot be merged" JSON/python, 409 has_conflicts log.
  edit_version_conflict (3.5%; confluence, azure_devops): Confluence 409 "Version must be incremented on
      update" JSON/Java ConflictException/log; ADO TF26071 revision mismatch JSON/.NET.
  plugin_null_reference_bug (3%; github, pagerduty, jira): Node TypeError "Cannot read properties of
      undefined/null (reading 'login')" (3 phrasings, bare or internal_error JSON), Java NullPointerException.
  jenkins_queue_full (2.5%; jenkins): Java IllegalStateException from hudson.model.Queue, 503 queue_full JSON, log.
  tls_certificate_untrusted (2%; gitlab, jenkins): Node SELF_SIGNED_CERT_IN_CHAIN, python SSLError
      CERTIFICATE_VERIFY_FAILED, Java PKIX path building failed.
  dns_resolution_failure (1.5%; gitlab, jenkins): Node getaddrinfo ENOTFOUND, Java UnknownHostException,
      Go "dial tcp: lookup ... no such host", python NameResolutionError.
Confusable pairs (same status, different cause/fix): GitHub 403 missing-permission vs SAML vs primary rate
limit vs GitLab 403 insufficient_scope; 404 repo_not_found vs 404 jira_invalid_transition; Jira 400
field-not-on-screen vs invalid JQL vs invalid transition (same ErrorCollection shape); 409 merge_conflict vs
409 edit_version_conflict; 401 expired token vs ADO 401 TF400813 scope; 503 jenkins queue vs 502/504 gateway.
Usage: python3 bench/corpora/devtools.py --out DIR [--events N] [--seed S]
"""

if __name__ == "__main__":
    main()
