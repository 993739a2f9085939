"""The users' side of the sample telemetry: tenants and clients, the vocabulary that fills prompts, the
intents users ask for (with the skill call the assistant makes for each) and how the assistant words a failure.

Data only. Placeholders such as `{person}` or `{guid}` are filled per event by `lens_core.samples.placeholders`,
which draws each value lazily from a seeded RNG; the same placeholder in a prompt, a skill call and
an error blob of one event holds the same value, as it would in real telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass

TENANTS = (  # (tenant_id, mail domain, relative number of users)
    ("contoso", "contoso.com", 9), ("fabrikam", "fabrikam.com", 6), ("northwind", "northwindtraders.com", 5),
    ("woodgrove", "woodgrovebank.com", 5), ("adatum", "adatum.com", 4), ("tailspin", "tailspintoys.com", 3),
    ("litware", "litwareinc.com", 3), ("proseware", "proseware.com", 2), ("wingtip", "wingtiptoys.com", 2),
    ("alpineski", "alpineskihouse.com", 2), ("fourthcoffee", "fourthcoffee.com", 1),
    ("margies", "margiestravel.com", 1),
)
CLIENTS = (("Teams desktop", 5), ("Outlook web", 3), ("Teams web", 2), ("Outlook desktop", 2),
           ("Teams mobile", 1), ("Copilot web", 1))

FIRST = ("Dana", "Priya", "Miguel", "Aiko", "Tom", "Fatima", "Jonas", "Zoë", "Raj", "Chloe", "Kwame", "Sven",
         "Mei", "Lucas", "Olga", "André", "Noah", "Sara", "Elif", "Ben")
LAST = ("Whitfield", "Patel", "García", "Tanaka", "Okafor", "Novak", "Berg", "Chen", "Silva", "Müller",
        "Haddad", "Kowalski", "Nguyen", "Brooks", "O'Neil", "Lindqvist")
GROUPS = ("design team", "marketing team", "leadership group", "data science folks", "vendor", "sales leads",
          "project Falcon team", "support crew", "finance team")
TOPICS = ("the Q3 roadmap", "budget review", "the launch plan", "hiring", "the customer escalation",
          "onboarding", "OKRs", "the pricing change", "the security audit", "the offsite")
SUBJECTS = ("Q3 planning", "Design review", "Weekly sync", "Budget check-in", "Launch retro",
            "Customer escalation follow-up", "Hiring debrief", "Roadmap review", "Vendor call", "Demo prep")
WHENS = ("tomorrow at 3", "next Tuesday 3pm", "on Friday at 10am", "this afternoon", "Monday morning",
         "tomorrow at 9:30", "at 2pm today", "next week Wednesday at 11", "end of day Thursday",
         "on the 14th at 4pm", "in an hour", "first thing tomorrow")
MESSAGES = ("I'm running 10 minutes late", "the deck is ready for review", "we need to move the review to Friday",
            "thanks for the help yesterday", "the build is green again", "I'll be out tomorrow",
            "the contract is signed", "can we push our 1:1 by a week")
FILES = ("Q3 budget.xlsx", "Launch plan v2.docx", "Roadmap 2024.pptx", "Onboarding checklist.docx",
         "Vendor contracts.xlsx", "Customer escalations.xlsx", "Design spec - Falcon.docx", "All hands deck.pptx",
         "Hiring plan.xlsx", "Retro notes.docx", "Pricing model.xlsx", "Security audit findings.pdf")
SITES = ("Marketing", "HR Portal", "Engineering Wiki", "Project Falcon", "Sales Enablement", "Finance Hub",
         "IT Help Desk")
LISTS = ("Launch Tracker", "Open Positions", "Asset Inventory", "Vendor List", "Release Calendar")
CHANNELS = ("General", "dev-updates", "Announcements", "Design Crit", "Incidents", "Random")
PLANS = ("Website relaunch", "Q3 OKRs", "Office move", "Falcon launch", "Hiring pipeline")
TASKS = ("update the onboarding deck", "send the vendor contract to legal", "book the offsite venue",
         "review the Q3 budget", "renew the SSL certificate", "prepare the demo", "file expenses",
         "call the landlord", "draft the release notes")
DUES = ("tomorrow", "by Friday", "next week", "end of month", "Monday")
FOLDERS = ("Finance", "Archive", "Shared with team", "2024 Planning")
KQL_TEMPLATES = ('filetype:docx AND ("{topic}', '({topic} OR author:{person}', 'author:"{person} AND {topic}',
                 '{topic} AND (filetype:pptx OR', 'title:"{topic}" NEAR((', 'modified>=lastweek) {topic}')
BAD_PROPERTIES = ("Modified", "FileOwner", "createdDate", "Tag")
PROMPT_PREFIXES = ("hey copilot, ", "pls ", "Copilot, ", "quick one: ", "Hi! ", "can you ")


@dataclass(frozen=True)
class Intent:
    """What a user asks for, the skill call the assistant makes for it, and how it words a failure."""

    plugin: str
    action: str
    params: tuple[tuple[str, str], ...]  # (parameter name, placeholder that fills it)
    prompts: tuple[str, ...]
    verbs: tuple[str, ...]  # completes "I couldn't ..."


INTENTS: dict[str, Intent] = {
    "schedule_meeting": Intent("Calendar", "create_event", (("subject", "subject"), ("attendees", "recipients"),
        ("start", "start"), ("duration_minutes", "minutes")), (
        "schedule a {minutes} min sync with {person} {when}", "can you book a meeting w/ the {group} {when}",
        "Please set up a meeting titled '{subject}' with {person} {when}.", "set up a 1:1 with {person} {when}",
        "book {minutes} minutes with {person} and {person2} {when} to go over {topic}",
        "Could you find time with the {group} {when} for {topic}?", "put a meeting on my calendar with {person} {when}",
        "I need a call with {person} {when} about {topic}", "schedule {subject} {when}",
        "add a meeting with {fullname} {when}, {minutes} mins", "set up a meeting with {email} {when}"),
        ("schedule that meeting", "book the meeting", "add that meeting to your calendar")),
    "check_calendar": Intent("Calendar", "list_events", (("start", "start"), ("end", "end")), (
        "what's on my calendar {when}", "do I have anything {when}?", "am I free {when}?",
        "show me my meetings {when}", "whats my schedule look like {when}", "Do I have a conflict {when}?",
        "when am I meeting with {person} next?", "list my meetings this week"),
        ("check your calendar", "look up your meetings", "read your schedule")),
    "send_email": Intent("Mail", "send_mail", (("to", "recipients"), ("subject", "subject"), ("body", "message")), (
        "send an email to {person} saying {message}", "email {fullname} about {topic}",
        "shoot {person} a quick note that {message}", "Please send a message to the {group} regarding {topic}.",
        "send {file} to {person}", "mail {person} the notes from {subject}",
        "can u email {person} and tell them {message}",
        "Send an email to {email} with subject '{subject}'", "let {person} know by email that {message}"),
        ("send that email", "send the message", "deliver your email")),
    "reply_email": Intent("Mail", "reply", (("message_id", "id"), ("to", "recipients"), ("comment", "message")), (
        "reply to {person}'s last email and say {message}", "respond to the email about {topic} with a yes",
        "reply all: {message}", "answer {person}'s question about {topic}",
        "Reply to the latest message from {fullname} and thank them.", "write back to {person}: {message}"),
        ("send your reply", "reply to that email")),
    "find_file": Intent("OneDrive", "search_files", (("query", "file"),), (
        "find the {file} file", "where is {file}?", "find the latest version of the deck about {topic}",
        "show me files {person} shared with me last week", "look for {file} in my OneDrive",
        "can you find the spreadsheet about {topic}", "i cant find {file}, can you look"),
        ("find that file", "search your files", "locate the document")),
    "share_file": Intent("OneDrive", "share_file", (("item", "file"), ("recipients", "recipients"), ("role", "role")), (
        "share {file} with {person}", "send a link to {file} to the {group}", "give {person} edit access to {file}",
        "Please share {file} with {email} (view only).", "make {file} available to the {group}",
        "send {person} the {file} file"),
        ("share that file", "send the link", "share the document")),
    "edit_file": Intent("OneDrive", "update_file", (("item", "file"), ("item_id", "item")), (
        "rename {file} to {newname}", "move {file} to the {folder} folder", "update the totals in {file}",
        "add a row to {file} for {person}", "fix the title on slide 1 of {file}"),
        ("update that file", "make that change to the file")),
    "post_teams_message": Intent("Teams", "send_message", (("to", "recipients"), ("channel", "channel"),
        ("content", "message")), (
        "post '{message}' in the {channel} channel", "message {person} on Teams: {message}",
        "tell the {group} in Teams that {message}", "send a chat to {person} saying {message}",
        "Can you ping {person} on teams and ask about {topic}?", "post an update about {topic} to {channel}",
        "let {channel} know {message}"),
        ("post that message", "send the Teams message", "send your chat")),
    "find_person": Intent("People", "find_person", (("query", "fullname"),), (
        "who is {person}'s manager?", "find {fullname}'s contact info", "what's {person}'s email",
        "who on the {group} works on {topic}?", "when is {person} free this week", "look up {fullname}",
        "who is {fullname}"),
        ("look that person up", "find that contact")),
    "create_task": Intent("Planner", "create_task", (("plan", "plan"), ("title", "task"), ("assignee", "email"),
        ("due", "due_iso")), (
        "create a task in {plan} to {task}", "add '{task}' to the {plan} plan, assign to {person}",
        "make a planner task for {person}: {task} {due}", "add a task to {task} due {due}",
        "Please create a Planner task '{task}' in {plan}."),
        ("create that task", "add the task to the plan")),
    "add_reminder": Intent("ToDo", "add_task", (("list", "todo_name"), ("title", "task"), ("due", "due_iso")), (
        "remind me to {task} {due}", "add {task} to my to do list", "put '{task}' on my to-do list for {due}",
        "can you add a reminder to {task}", "todo: {task}", "dont let me forget to {task}"),
        ("add that reminder", "save the reminder", "update your to-do list")),
    "search_content": Intent("Search", "query", (("query", "topic"), ("entityTypes", "entities")), (
        "search for documents about {topic}", "find everything about {topic} from {person}",
        "search {topic} filetype:pptx", "look for emails or files mentioning {topic}",
        "what did we decide about {topic}?", "find the teams messages about {topic}"),
        ("run that search", "search for that", "find anything on that")),
    "open_site": Intent("SharePoint", "get_list_items", (("site", "site_slug"), ("list", "list")), (
        "open the {site} site", "show me the {list} list on the {site} site", "what's new on the {site} SharePoint?",
        "get the items in {list} from {site}", "go to the {site} sharepoint and find {file}"),
        ("open that site", "load the list", "get to that SharePoint site")),
    "summarize_document": Intent("OneDrive", "get_file_content", (("item", "file"),), (
        "summarize {file}", "give me the key points of {file}", "tl;dr of {file} please",
        "what does {file} say about {topic}?", "Summarize the doc about {topic} that {person} shared."),
        ("summarize that document", "read the file", "open the document")),
}

# How the assistant words a failure; {verb} comes from the intent.
AI_OUTPUTS = ("I'm sorry, I couldn't {verb} right now.", "Something went wrong while trying to {verb}.",
              "Sorry, I ran into a problem and couldn't {verb}. Please try again later.",
              "Hmm, that didn't work. I wasn't able to {verb}.", "I wasn't able to {verb} because of an error.",
              "Unfortunately I couldn't {verb}. You may want to try again.")

