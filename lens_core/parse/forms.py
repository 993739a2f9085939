"""Readers for the error forms of other stacks: JVM, .NET and Node.js stack traces, Go panics, XML error
bodies (S3, AWS query APIs, SOAP 1.1 and 1.2 faults) and gRPC statuses.

Each reader answers what the blob states, or None when the blob is not of its form; none raises on
odd input and each reads a bounded head (and tail) of the text, line by line with anchored patterns,
so a hostile megabyte costs no more than a long ordinary one. `lens_core.parse.parsing` owns the dispatch and
the shared scans (HTTP status, URL, plugin); this module needs nothing from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

WINDOW = 20_000  # characters read at each end of a long trace (the root cause of a JVM trace is last)
MAX_LINE = 2000  # characters of one line the patterns look at
MAX_CHAIN = 32  # exceptions kept of one chain ("Caused by:", " ---> ", "[cause]:")
MAX_FRAMES = 200  # frames kept (plugin folders are looked for in them)
MAX_MESSAGE_LINES = 50  # continuation lines kept of one exception's message
XML_MAX_CHARS = 200_000  # larger documents are read as text
XML_MAX_NODES = 2000
XML_MAX_DEPTH = 32

# --- gRPC ----------------------------------------------------------------------------------------------
# Canonical codes in numeric order (google/rpc/code.proto): GRPC_CODES[14] == "UNAVAILABLE".
GRPC_CODES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
              "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
              "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")
# The HTTP status each code maps to (code.proto's comments). For later stages: the parser never turns a
# gRPC code into a status, since no HTTP response was stated.
GRPC_HTTP_STATUS: dict[str, int] = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500,
    "UNAVAILABLE": 503, "DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}
_GRPC_ALIASES = {"CANCELED": "CANCELLED"}  # Go's codes.Canceled prints as "Canceled"
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_GRPC_GO = re.compile(r"\brpc error: code = ([A-Za-z_]{2,40}) desc = ([^\n]*)")  # Go status.Error
_GRPC_PY = re.compile(r"\bStatusCode\.([A-Z_]{2,40})\b(?:[,:] ?([^\n]*))?")  # grpcio: StatusCode.UNAVAILABLE
_GRPC_PY_DETAILS = re.compile(r"^[ \t]*details = \"([^\n]*)\"[ \t]*$", re.M)  # <_InactiveRpcError ...> field
_GRPC_JAVA = re.compile(r"\bStatus(?:Runtime)?Exception: ([A-Z_]{2,40})\b(?:: ?([^\n]*))?")  # io.grpc
_GRPC_NODE = re.compile(r"\b(\d{1,2}) ([A-Z_]{2,40}): ([^\n]*)")  # grpc-js: "14 UNAVAILABLE: No connection"
_GRPC_NET = re.compile(r"\bStatusCode=\"([A-Za-z]{2,40})\", Detail=\"([^\n]*)")  # Grpc.Core.RpcException


def grpc_code(name: str) -> str | None:
    """The canonical code a spelling names ("Unavailable", "DeadlineExceeded", "UNAVAILABLE"), else None."""
    upper = name.upper() if name.isupper() or "_" in name else _CAMEL_BOUNDARY.sub("_", name).upper()
    upper = _GRPC_ALIASES.get(upper, upper)
    return upper if upper in GRPC_HTTP_STATUS else None


def grpc_status(text: str) -> tuple[str, str | None] | None:
    """(canonical code, the status's description) that a text states, or None. Every pattern starts
    with a literal, so a search stays linear in the text."""
    if "rpc error" in text:
        match = _GRPC_GO.search(text)
        if match and grpc_code(match.group(1)):
            return grpc_code(match.group(1)), match.group(2).strip() or None  # type: ignore[return-value]
    if "StatusCode" in text:
        found = _grpc_python(text) or _grpc_dotnet(text)
        if found:
            return found
    if "Exception: " in text:
        match = _GRPC_JAVA.search(text)
        if match and grpc_code(match.group(1)):
            return grpc_code(match.group(1)), (match.group(2) or "").strip() or None  # type: ignore[return-value]
    for match in _GRPC_NODE.finditer(text, 0, WINDOW):
        number, name = int(match.group(1)), match.group(2)
        if number < len(GRPC_CODES) and GRPC_CODES[number] == name:
            return name, match.group(3).strip() or None
    return None


def _grpc_python(text: str) -> tuple[str, str | None] | None:
    match = _GRPC_PY.search(text)
    if not match or not grpc_code(match.group(1)):
        return None
    details = _GRPC_PY_DETAILS.search(text)
    detail = details.group(1) if details else (match.group(2) or "").rstrip(")>")  # older "(StatusCode.X, why)"
    return grpc_code(match.group(1)), detail.strip() or None  # type: ignore[return-value]


def _grpc_dotnet(text: str) -> tuple[str, str | None] | None:
    match = _GRPC_NET.search(text)
    if not match or not grpc_code(match.group(1)):
        return None
    detail = match.group(2)
    end = detail.find('", DebugException=')
    detail = detail[:end] if end >= 0 else detail.rstrip().rstrip(")").rstrip('"')
    return grpc_code(match.group(1)), detail.strip() or None  # type: ignore[return-value]


# --- stack traces: JVM, .NET, Node.js, Go ----------------------------------------------------------------
@dataclass
class Exc:
    """One exception of a chain, as its header states it."""

    type: str
    message: str = ""
    code: str | None = None  # Node's "code: 'ENOTFOUND'", "[ERR_X]", a gRPC code
    status: int | None = None  # a trailer's "status: 404"
    lines: int = 0  # continuation lines added to the message


@dataclass
class Trace:
    """A stack trace: its exceptions outermost first (the last is the root cause) and its frames."""

    chain: list[Exc]
    frames: list[str] = field(default_factory=list)

    def root(self) -> Exc:
        return self.chain[-1]

    def message(self) -> str | None:
        """The root cause's message; the deepest specific one when the root's says nothing."""
        for exc in reversed(self.chain):
            if not _generic(exc.message):
                return exc.message
        return None

    def code(self) -> str | None:
        return next((exc.code for exc in reversed(self.chain) if exc.code), None)

    def messages(self) -> list[str]:
        """Every message, root cause first (where a status or URL is looked for)."""
        return [exc.message for exc in reversed(self.chain) if exc.message]


_FRAME_SNIFF = re.compile(r"^[ \t]+at \S", re.M)  # "\tat ", "   at ", "    at ": some frame in the head
_FRAME_END = re.compile(r"(?::\d+|:line \d+|\))$")  # Foo.java:12), x.js:86:21, X.cs:line 212
_ELIDED = re.compile(r"^\.\.\. \d+ (?:more|common frames omitted)$")  # JVM: "... 12 more"
_HEADER = re.compile(
    r"^(?:Exception in thread \"[^\"\n]{0,200}\" )?"  # JVM's uncaught-exception prefix
    r"([A-Za-z_$][\w$.]{0,200})"  # the class
    r"(?: \[([A-Za-z][\w.-]{0,60})\])?"  # Node: TypeError [ERR_INVALID_URL]
    r"(?: ?\(-?\d{1,12}\))?"  # .NET: SocketException (10054): the native error number
    r"(?:: ?(.*))?$"
)
_CLASS_NAME = re.compile(  # an exception class, qualified or not; never an ordinary word like "Failed"
    r"^(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$]*(?:Error|Exception|Throwable|Fault|Failure|Timeout|Interrupt)[\w$]*$"
    r"|^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*$"  # com.foo.Problem: a JVM class in a lower-case package
)
_CHAIN_MARKERS = (re.compile(r"^Caused by: (.*)$"),  # JVM (top level only: an indented one is Suppressed's)
                  re.compile(r"^[ \t]*---> (.*)$"),  # .NET inner exception
                  re.compile(r"^[ \t]+\[?cause\]?: (.*)$"))  # Node's error.cause
_TRAILER_CODE = re.compile(r"^[ \t]+code: ['\"]([^'\"\n]{1,100})['\"],?$")  # Node: code: 'ENOTFOUND',
_TRAILER_STATUS = re.compile(r"^[ \t]+status(?:Code)?: ([1-5]\d\d),?$")  # Node: status: 404,
_GENERIC = frozenset({"", "null", "none", "nil", "undefined", "error", "exception", "unknown", "unknown error",
                      "an error occurred", "an error occurred.", "an error has occurred", "internal error",
                      # .NET's default messages of OperationCanceledException and TaskCanceledException
                      "the operation was canceled.", "a task was canceled."})


def _generic(message: str) -> bool:
    """A message that says nothing beyond its class: empty, "null", or only an exception class name."""
    text = message.strip()
    if len(text) > 300:
        return False
    return text.lower() in _GENERIC or bool(_CLASS_NAME.match(text))


def looks_like_stacktrace(head: str) -> bool:
    """Whether the head of a text holds a frame line ("\\tat x(X.java:1)") or a Go panic."""
    return bool(_FRAME_SNIFF.search(head)) or _go_panic_line(head) is not None


def read_stacktrace(text: str) -> Trace | None:
    """A JVM, .NET or Node.js trace (or a Go panic): None when no exception header with frames is found."""
    return _read_go_panic(text) or _read_frames_trace(text)


def _window_lines(text: str) -> list[str]:
    """The lines of a trace, from both ends of a long one; each cut to MAX_LINE characters."""
    if len(text) <= 2 * WINDOW:
        lines = text.splitlines()
    else:  # the outermost exception heads the trace, the root cause ends it
        lines = text[:WINDOW].splitlines() + text[-WINDOW:].splitlines()[1:]  # [1:]: a cut line
    return [line[:MAX_LINE] for line in lines]


def _is_frame(line: str) -> bool:
    stripped = line.strip().removesuffix(" {")  # Node opens the error's own properties after the last frame
    return line[:1] in (" ", "\t") and stripped.startswith("at ") and bool(_FRAME_END.search(stripped))


def _read_frames_trace(text: str) -> Trace | None:
    chain: list[Exc] = []
    frames: list[str] = []
    in_header = False  # between an exception's header and its first frame: the message goes on
    for line in _window_lines(text):
        if _is_frame(line):
            if chain and len(frames) < MAX_FRAMES:
                frames.append(line.strip())
            in_header = False
            continue
        marked = _chain_marker(line) if chain else None
        if marked is not None:
            added = _add_headers(chain, marked)
            in_header = in_header or added
            continue
        stripped = line.strip()
        if not chain:
            in_header = _add_headers(chain, stripped)  # lines before the header (a log line) are skipped
        elif in_header and not stripped.startswith("--- End of"):
            _continue_message(chain[-1], stripped)
        else:
            _read_trailer(chain[-1], line)
    return Trace(chain, frames) if chain and frames else None


def _chain_marker(line: str) -> str | None:
    for marker in _CHAIN_MARKERS:
        match = marker.match(line)
        if match:
            return match.group(1)
    return None


def _add_headers(chain: list[Exc], text: str) -> bool:
    """Append the exception(s) a header states ("X: a ---> Y: b" is .NET's older one-line chain)."""
    added = False
    for part in text.split(" ---> ")[:MAX_CHAIN]:
        exc = _header(part.strip())
        if exc is None or len(chain) >= MAX_CHAIN:
            break
        chain.append(exc)
        added = True
    return added


def _header(text: str) -> Exc | None:
    match = _HEADER.match(text)
    if not match or not _CLASS_NAME.match(match.group(1)):
        return None
    exc = Exc(type=match.group(1), message=(match.group(3) or "").strip(), code=match.group(2))
    _read_grpc(exc)
    return exc


def _read_grpc(exc: Exc) -> None:
    """A gRPC status in a header ("StatusRuntimeException: UNAVAILABLE: io exception", "Error: 14
    UNAVAILABLE: No connection established") is its code, and the status's description its message."""
    found = grpc_status(f"{exc.type}: {exc.message}")
    if found and exc.code is None:
        exc.code = found[0]
        exc.message = found[1] or exc.message


def _continue_message(exc: Exc, line: str) -> None:
    if exc.lines < MAX_MESSAGE_LINES and not _ELIDED.match(line):
        exc.message = f"{exc.message}\n{line}" if exc.message else line
        exc.lines += 1


def _read_trailer(exc: Exc, line: str) -> None:
    """Node prints an error's own properties after its frames: { errno: -3008, code: 'ENOTFOUND', ... }."""
    if exc.code is None:
        code = _TRAILER_CODE.match(line)
        if code:
            exc.code = code.group(1)
            return
    if exc.status is None:
        status = _TRAILER_STATUS.match(line)
        if status:
            exc.status = int(status.group(1))


_GO_PANIC = re.compile(r"^(panic|fatal error): ([^\n]*)$", re.M)
_GO_GOROUTINE = re.compile(r"^goroutine \d+ \[", re.M)
_GO_END = ("[signal ", "goroutine ", "panic: ", "\tpanic: ")


def _go_panic_line(head: str) -> re.Match[str] | None:
    """The panic line of a Go crash: at the start of the text, or anywhere before a goroutine dump."""
    match = _GO_PANIC.search(head)
    if match and (match.start() == 0 or _GO_GOROUTINE.search(head, match.end())):
        return match
    return None


def _read_go_panic(text: str) -> Trace | None:
    head = text[:WINDOW]
    match = _go_panic_line(head)
    if match is None:
        return None
    lines = [match.group(2)]
    for line in head[match.end():].splitlines()[1:MAX_MESSAGE_LINES]:  # a panic value may span lines
        if not line.strip() or line.startswith(_GO_END):
            break
        lines.append(line[:MAX_LINE])
    message = "\n".join(lines).strip().removesuffix("[recovered]").strip()
    kind = match.group(1)
    if kind == "panic" and message.startswith("runtime error: "):
        kind, message = "runtime error", message[len("runtime error: "):]
    exc = Exc(type=kind, message=message)
    found = grpc_status(message)  # panic: rpc error: code = Unavailable desc = ...
    if found:
        exc.code = found[0]
    frames = [line.strip() for line in head[match.end():].splitlines() if line.startswith("\t")][:MAX_FRAMES]
    return Trace([exc], frames)


# --- XML error bodies --------------------------------------------------------------------------------------
_XML_SNIFF = re.compile(r"^\ufeff?\s*<(?:\?xml\b|[A-Za-z_])")
_XML_REFUSED = ("<!DOCTYPE", "<!ENTITY")  # no error body needs a DTD; entities are how bombs expand


@dataclass
class XmlElement:
    tag: str  # the local name: "soapenv:Fault" -> "Fault"
    text: str = ""
    children: list[XmlElement] = field(default_factory=list)

    def child(self, *names: str) -> XmlElement | None:
        """The first child whose local name is one of `names` (compared in lower case)."""
        return next((c for c in self.children if c.tag.lower() in names), None)


class _Refused(Exception):
    """A document the XML reader will not read (a DTD, an entity, too many nodes)."""


def looks_like_xml(text: str) -> bool:
    return bool(_XML_SNIFF.match(text[:100]))


def parse_xml(text: str) -> XmlElement | None:
    """The element tree of a small XML document, or None: too large, malformed, or with a DTD or an entity
    declaration (refused before parsing and again by the parser's handlers, so nothing is ever expanded
    and no external resource is ever fetched)."""
    if len(text) > XML_MAX_CHARS or any(marker in text for marker in _XML_REFUSED):
        return None
    builder = _TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = builder.refuse
    parser.EntityDeclHandler = builder.refuse
    parser.ExternalEntityRefHandler = builder.refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except (expat.ExpatError, _Refused, ValueError):  # ValueError: text expat cannot take (lone surrogates)
        return None
    return builder.root


class _TreeBuilder:
    """Expat callbacks that build XmlElements within XML_MAX_NODES and XML_MAX_DEPTH."""

    def __init__(self) -> None:
        self.root: XmlElement | None = None
        self.stack: list[XmlElement] = []
        self.nodes = 0

    def refuse(self, *_: Any) -> None:
        raise _Refused

    def start(self, tag: str, _attributes: Any) -> None:
        self.nodes += 1
        if self.nodes > XML_MAX_NODES or len(self.stack) >= XML_MAX_DEPTH:
            raise _Refused
        element = XmlElement(tag.rpartition(":")[2])
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def end(self, _tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text


def xml_error_fields(root: XmlElement) -> dict[str, Any] | None:
    """error_code and message of a SOAP fault or an <Error> element, or None when the document has neither."""
    fault = _find(root, "fault")
    if fault is not None:
        return _soap_fault(fault)
    error = _find(root, "error")
    return _xml_error(error) if error is not None else None


def _find(root: XmlElement, name: str) -> XmlElement | None:
    """The first element (document order) with this local name, in any case; the tree is already bounded."""
    pending = [root]
    while pending:
        element = pending.pop()
        if element.tag.lower() == name:
            return element
        pending.extend(reversed(element.children))
    return None


def _soap_fault(fault: XmlElement) -> dict[str, Any]:
    code = fault.child("faultcode")  # SOAP 1.1: <faultcode>sf:INVALID_SESSION_ID</faultcode>
    if code is not None:
        message = fault.child("faultstring")
        return {"error_code": _local(code.text), "message": message.text.strip() if message is not None else None}
    value = None  # SOAP 1.2: <Code><Value/><Subcode><Value/>...</Subcode></Code>: the deepest value
    node = fault.child("code")
    for _ in range(XML_MAX_DEPTH):
        if node is None:
            break
        found = node.child("value")
        value = found.text if found is not None and found.text.strip() else value
        node = node.child("subcode")
    reason = fault.child("reason")
    text = reason.child("text") if reason is not None else None
    message = (text or reason).text.strip() if reason is not None else None
    return {"error_code": _local(value or ""), "message": message or None}


def _xml_error(error: XmlElement) -> dict[str, Any]:
    """<Error><Code>AccessDenied</Code><Message>Access Denied</Message>...</Error> (S3, AWS query APIs,
    Azure Storage) or a bare <error>text</error>."""
    if not error.children:
        return {"message": error.text.strip() or None}
    code = error.child("code", "errorcode")
    message = error.child("message", "errormessage", "description", "detail", "reason")
    status = error.child("status", "statuscode", "httpstatus", "httpstatuscode")
    stated = status.text.strip() if status is not None else ""
    return {"error_code": (code.text.strip() or None) if code is not None else None,
            "message": (message.text.strip() or None) if message is not None else None,
            "status_code": int(stated) if stated.isdigit() and 100 <= int(stated) <= 599 else None}


def _local(name: str) -> str | None:
    """ "sf:INVALID_SESSION_ID" -> "INVALID_SESSION_ID" (a QName's prefix names a namespace, not the code)."""
    return name.strip().rpartition(":")[2] or None


def xml_as_dict(element: XmlElement) -> Any:
    """A tree without an error element, as the JSON reader walks one: {"tag": text or {children}}."""
    return {element.tag: _xml_value(element, 0)}


def _xml_value(element: XmlElement, depth: int) -> Any:
    if not element.children or depth >= XML_MAX_DEPTH:
        return element.text.strip()
    value: dict[str, Any] = {}
    for child in element.children:
        value.setdefault(child.tag, _xml_value(child, depth + 1))  # the first of repeated tags
    return value
