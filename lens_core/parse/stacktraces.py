"""Stack traces of other stacks than Python's: JVM, .NET and Node.js traces (their exception chains, frames
and Node's trailing error properties) and Go panics.

Each reader answers what the trace states, or None when the text is not one; none raises on odd input, and
each reads a bounded head and tail of the text, line by line with anchored patterns, so a hostile megabyte
costs no more than a long ordinary one. A gRPC status in an exception header is read as its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lens_core.parse.grpc_statuses import grpc_status

WINDOW = 20_000  # characters read at each end of a long trace (the root cause of a JVM trace is last)
MAX_LINE = 2000  # characters of one line the patterns look at
MAX_CHAIN = 32  # exceptions kept of one chain ("Caused by:", " ---> ", "[cause]:")
MAX_FRAMES = 200  # frames kept (plugin folders are looked for in them)
MAX_MESSAGE_LINES = 50  # continuation lines kept of one exception's message


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
