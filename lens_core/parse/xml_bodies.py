"""XML error bodies: S3, AWS query APIs and Azure Storage's <Error>, SOAP 1.1 and 1.2 faults, and any
other small document (read as the JSON walk reads an object).

The reader is bounded (size, nodes, depth) and refuses DTDs and entity declarations outright, so nothing is
ever expanded and no external resource is ever fetched; it answers None rather than raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

XML_MAX_CHARS = 200_000  # larger documents are read as text
XML_MAX_NODES = 2000
XML_MAX_DEPTH = 32


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
