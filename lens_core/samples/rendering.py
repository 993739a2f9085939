"""One sample failure event rendered from its root cause: the user's prompt, the skill call the assistant
made, the error blob in one of the cause's surface forms (Graph error JSON, flat JSON, Python traceback, HTML
gateway page, one-line text) and the assistant's reply. Every draw comes from the generator's RNG, in order.
"""

from __future__ import annotations

import json
import random

from lens_core.samples.intents import AI_OUTPUTS, INTENTS, PROMPT_PREFIXES
from lens_core.samples.placeholders import EventPlaceholders
from lens_core.samples.root_causes import HTML_PAGES, HTTP_TRACEBACK, RELEASES, STATUS_REASONS, TRACEBACKS, RootCause

_JSON_OBJECT_SHARE = 0.3  # JSON-form outputs kept as objects (JSON files) rather than strings
_GRAPH = "https://graph.microsoft.com/v1.0"


def _prompt(rng: random.Random, template: str, ctx: EventPlaceholders) -> str:
    """The user's words, sometimes casual: a greeting, no capital, a swapped-letter typo."""
    text = template.format_map(ctx)
    roll = rng.random()
    if roll < 0.1:
        text = rng.choice(PROMPT_PREFIXES) + text[0].lower() + text[1:]
    elif roll < 0.2:
        text = text.lower().rstrip(".?")
    if rng.random() < 0.06:
        i = rng.randrange(1, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


def _skill_input(rng: random.Random, call: tuple, cause: RootCause, ctx: EventPlaceholders) -> str:
    """The call the assistant made: usually JSON, sometimes a free-text call as some planners log it."""
    plugin, action, spec = call
    overrides, extra = cause.overrides, cause.extra_params if call[2] is not cause.fallback[2] else ()
    params = {name: ctx[overrides.get(key, key)] for name, key in spec + extra}
    if rng.random() < 0.8:
        return json.dumps({"plugin": plugin, "action": action, "parameters": params}, ensure_ascii=False)
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"{plugin}.{action}({args})"


def _graph(rng: random.Random, cause: RootCause, ctx: EventPlaceholders) -> dict:
    error = {"code": rng.choice(cause.codes), "message": rng.choice(cause.messages).format_map(ctx),
             "innerError": {"date": ctx["ts"], "request-id": ctx["guid"], "client-request-id": ctx["guid2"]}}
    shape = rng.random()
    if shape < 0.5:
        return {"error": error}
    if shape < 0.75:
        return {"status": cause.status, "plugin": ctx["plugin"], "url": ctx["url"], "error": error}
    return {"response": {"status_code": cause.status, "body": {"error": error}}}


def _flat(rng: random.Random, cause: RootCause, ctx: EventPlaceholders) -> dict:
    return {"error_type": cause.error_type, "status_code": cause.status,
            "message": rng.choice(cause.messages).format_map(ctx), "plugin": ctx["plugin"], "endpoint": ctx["path"]}


def _traceback(rng: random.Random, cause: RootCause, ctx: EventPlaceholders) -> str:
    codes, tail, last = rng.choice(TRACEBACKS.get(cause.id, HTTP_TRACEBACK))
    status = cause.status or 0
    ctx.update(status=status, side="Client" if status < 500 else "Server", reason=STATUS_REASONS.get(status, ""))
    last = last.format_map(ctx)
    runner = 142 if ctx["_day"] < RELEASES[2][0] else 151  # the runner moved a few lines in 2024.05.2
    return ("Traceback (most recent call last):\n"
            f'  File "/srv/copilot/skills/runner.py", line {runner}, in invoke\n    result = skill.run(call)\n'
            f'  File "/srv/copilot/plugins/{ctx["plugin"].lower()}/client.py", line {ctx["l1"]}, in {ctx["action"]}\n'
            f"    {codes[0].format_map(ctx)}\n{tail.format_map(ctx)}{last}")


def _html(rng: random.Random, cause: RootCause, ctx: EventPlaceholders) -> str:
    return rng.choice(HTML_PAGES[cause.status]).format_map(ctx)


def _text(rng: random.Random, cause: RootCause, ctx: EventPlaceholders) -> str:
    return rng.choice(cause.texts).format_map(ctx)


_RENDERERS = {"graph": _graph, "flat": _flat, "traceback": _traceback, "html": _html, "text": _text}


def render_event(rng: random.Random, cause: RootCause, day: int, ts: str, tenant: str,
                 domain: str) -> tuple[dict, str, str]:
    """One failure of `cause`: the event fields that depend on it, its intent and its surface form."""
    intent_name = rng.choices(list(cause.intents), weights=list(cause.intents.values()))[0]
    intent = INTENTS[intent_name]
    ctx = EventPlaceholders(rng, _day=day, ts=ts, tenant=tenant, domain=domain)
    prompt = _prompt(rng, rng.choice(intent.prompts), ctx)
    call = (intent.plugin, intent.action, intent.params) if intent.plugin in cause.plugins else cause.fallback
    skill_input = _skill_input(rng, call, cause, ctx)
    method, path = rng.choice(cause.endpoints[call[0]]).split(" ", 1)
    path = path.format_map(ctx)
    ctx.update(plugin=call[0], action=call[1], path=path, url=_GRAPH + path, endpoint=f"{method} {path}")
    form = rng.choices(list(cause.forms), weights=list(cause.forms.values()))[0]
    output = _RENDERERS[form](rng, cause, ctx)
    if isinstance(output, dict) and rng.random() >= _JSON_OBJECT_SHARE:
        output = json.dumps(output, ensure_ascii=False)
    if cause.hints and rng.random() < 0.25:
        ai_output = rng.choice(cause.hints)
    else:
        ai_output = rng.choice(AI_OUTPUTS).format(verb=rng.choice(intent.verbs))
    fields = {"customer_prompt": prompt, "skill_input": skill_input, "skill_output": output, "ai_output": ai_output}
    return fields, intent_name, form
