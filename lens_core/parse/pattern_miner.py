"""Template mining: group log-like failure messages by their constant words, explainably.

`TemplateMiner` learns templates ("connection from <*> at <*>") from a batch of messages, in four passes,
each one an idea from the best log parsers (Drain, Brain, ULP, LILAC), without an LLM and with one
generic configuration (no per-source regexes or thresholds):

1. mask: each whitespace token is masked on its own (memoised, so a token seen before costs one dict
   lookup): a token that lens's mask table (lens_core.parse.fingerprint.MASKS) swallows whole becomes <*>;
   otherwise each part between delimiters ("key=value", "f(x)") that holds a digit or a mask hit
   becomes <*>, so "uid=0" keeps its key: "uid=<*>". A word with a short number glued on (SOCKS5, ssh2,
   eth0) is a name and stays. Day and month names are date parts, so <*>.
   Runs of <*> collapse to one, because a date or a list is one variable of varying length.
2. root: messages with the same masked token count form a family (Drain's first tree level); inside
   it, each message's words are ranked by how often that word appears at that position in the family,
   and the largest set of words sharing one frequency is its root (Brain's "longest common pattern").
3. split: inside a root group, a position with one value is constant; a position whose values fit a
   masked value there ("host.com" beside "<*>:<*>") is a variable slot; a position with many distinct
   values (>= variable_threshold) is a variable; a position with a few values splits the group, the
   position with fewest values first (Brain's child direction).
4. merge: groups that end with the same template are one group.

Learned state follows scikit-learn: `templates_`, `labels_`; `explain(i)` says which template message i
joined and which of its positions were masked, found variable, or constant. Same input -> same output:
every pass iterates over sorted keys, never over hash order, so shuffled input gives the same groups.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lens_core.parse.fingerprint import mask_message

# A change that groups the same messages differently must bump this: stored message patterns carry it
# (lens_core.parse.versions) and are re-mined when it changes.
MINER_VERSION = "mp1"
WILDCARD = "<*>"
_DIGITS = frozenset("0123456789")
# Characters without which no mask of lens_core.parse.fingerprint fires on a single token (digits; "/" "\\" of
# paths and URLs; "@" of emails; quotes): a token free of them is returned as is, with no regex run,
# which is most words of most messages. (Left out: an IPv6 address of letters only, and base64 ids
# without digits, which end in "=" and are checked apart.)
_MASK_HINTS = _DIGITS | frozenset("/\\@'\"")
_DELIMS = frozenset("=:,()[]{}\"'|#;<>")
# Delimiters inside a token: "key=value", "f(x)", "a,b", quotes; kept, so the constant parts stay visible.
_DELIM = re.compile(r"""([=:,()\[\]{}"'|#;<>])""")
_DATE_WORDS = frozenset(
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
)
_PLACEHOLDER = re.compile(r"<[A-Z]+>")
# A word with a short number glued on names a thing (SOCKS5, ssh2, eth0, Win32), it is not a value.
_NAME_WITH_DIGITS = re.compile(r"[A-Za-z]{2,}\d{1,2}")

Sequence_ = tuple[str, ...]


@dataclass(frozen=True)
class TemplateMatch:
    """Why message i joined its group: the template, and what each of its positions is."""

    template_id: int
    template: str
    tokens: tuple[str, ...]  # the message's tokens after masking (runs of <*> collapsed)
    masked_positions: tuple[int, ...]  # the mask pass replaced a value here (a number, an id, a date)
    variable_positions: tuple[int, ...]  # the variability pass found the value varies across the group


class TemplateMiner:
    """Learn templates from messages; see the module docstring for the passes.

    variable_threshold: a position with at least this many distinct values in a group is a variable;
        fewer values split the group instead, because a handful of words in one slot are usually an
        enumeration naming different events (GET/POST/DELETE, opened/closed, Paused/Resumed), while
        user-supplied values (hosts, users, file names) soon exceed it. 6 is one global value.
    """

    def __init__(self, variable_threshold: int = 6) -> None:
        self.variable_threshold = variable_threshold

    def fit(self, messages: Iterable[str], sample_weight: Iterable[int] | None = None) -> TemplateMiner:
        """Learn templates. sample_weight: how many events each message stands for (distinct messages
        with their counts give the same templates as the events themselves, at a fraction of the cost)."""
        if self.variable_threshold < 2:
            raise ValueError("variable_threshold must be at least 2")
        cache: dict[str, str] = {}
        seqs = [_tokenize(m or "", cache) for m in messages]
        counts: Counter[Sequence_] = Counter()
        if sample_weight is None:
            counts.update(seqs)
        else:
            weights = list(sample_weight)
            if len(weights) != len(seqs):
                raise ValueError(f"sample_weight has {len(weights)} values for {len(seqs)} messages")
            for seq, weight in zip(seqs, weights):
                counts[seq] += int(weight)
        seq_template = self._mine(counts)
        self.templates_ = sorted(set(seq_template.values()))
        index = {t: i for i, t in enumerate(self.templates_)}
        self.labels_ = [index[seq_template[s]] for s in seqs]
        self.sequences_ = seqs
        return self

    def explain(self, i: int) -> TemplateMatch:
        """Template of message i, with its masked and its discovered variable positions."""
        tokens, label = self.sequences_[i], self.labels_[i]
        template = self.templates_[label]
        parts = template.split(" ") if template else []
        masked = tuple(p for p, t in enumerate(tokens) if WILDCARD in t)
        variable = tuple(p for p, t in enumerate(parts) if t == WILDCARD and WILDCARD not in tokens[p])
        return TemplateMatch(label, template, tokens, masked, variable)

    def _mine(self, counts: Counter[Sequence_]) -> dict[Sequence_, str]:
        by_length: dict[int, list[Sequence_]] = defaultdict(list)
        for seq in counts:
            by_length[len(seq)].append(seq)
        seq_template: dict[Sequence_, str] = {}
        for length in sorted(by_length):
            family = sorted(by_length[length])
            for root_group in _root_groups(family, counts):
                for group in self._split(root_group, frozenset()):
                    template = _template(group)
                    for seq in group:
                        seq_template[seq] = template
        return seq_template

    def _split(self, group: list[Sequence_], settled: frozenset[int]) -> list[list[Sequence_]]:
        """Split on the position with fewest (but several) values, until none is left to split on."""
        best: tuple[int, int] | None = None
        for p in range(len(group[0])):
            if p in settled:
                continue
            values = {seq[p] for seq in group}
            if len(values) < 2 or len(values) >= self.variable_threshold or _fits_masked(values):
                continue
            if best is None or len(values) < best[0]:
                best = (len(values), p)
        if best is None:
            return [group]
        position = best[1]
        parts: dict[str, list[Sequence_]] = defaultdict(list)
        for seq in group:
            parts[seq[position]].append(seq)
        out: list[list[Sequence_]] = []
        for value in sorted(parts):
            out.extend(self._split(parts[value], settled | {position}))
        return out


def _tokenize(message: str, cache: dict[str, str]) -> Sequence_:
    out: list[str] = []
    for raw in message.split():
        token = cache.get(raw)
        if token is None:
            token = cache[raw] = _mask_token(raw)
        if token == WILDCARD and out and out[-1] == WILDCARD:
            continue  # a run of variables (a date, a list) is one variable
        out.append(token)
    return tuple(out)


def _mask_token(token: str) -> str:
    if "<" in token and _PLACEHOLDER.search(token):
        # Text the fingerprinter already masked: its placeholders are variables, the rest is masked as usual.
        pieces = _PLACEHOLDER.split(token)
        return WILDCARD.join(_mask_token(piece) if piece else "" for piece in pieces)
    if token in _DATE_WORDS:
        return WILDCARD
    if _MASK_HINTS.isdisjoint(token) and not token.endswith("="):
        return token
    if _DELIMS.isdisjoint(token) and not _DIGITS.isdisjoint(token):
        return token if _NAME_WITH_DIGITS.fullmatch(token) else WILDCARD  # one part holding a digit: a number, an id, a versioned name
    masked = mask_message(token)
    if _PLACEHOLDER.fullmatch(masked):
        return WILDCARD  # the whole token is a URL, a path, an address, a number...
    parts = _DELIM.split(token)
    # odd indices are the delimiters themselves; even ones the text between them
    return "".join(WILDCARD if i % 2 == 0 and _is_variable_part(x) else x for i, x in enumerate(parts))


def _is_variable_part(part: str) -> bool:
    if not part or _NAME_WITH_DIGITS.fullmatch(part):
        return False
    if not _DIGITS.isdisjoint(part):
        return True
    return not _MASK_HINTS.isdisjoint(part) and mask_message(part) != part


def _root_groups(family: list[Sequence_], counts: Counter[Sequence_]) -> list[list[Sequence_]]:
    """Brain's longest common pattern: each message's largest set of words sharing one frequency."""
    # Plain dicts and get(): this runs for every word of every distinct message, where Counter's
    # per-item overhead showed.
    freq: dict[tuple[int, str], int] = {}
    for seq in family:
        weight = counts[seq]
        for pair in enumerate(seq):
            freq[pair] = freq.get(pair, 0) + weight
    roots: dict[tuple[tuple[int, str], ...], list[Sequence_]] = defaultdict(list)
    for seq in family:
        per_position = [freq[pair] for pair in enumerate(seq)]
        tally: dict[int, int] = {}
        for f in per_position:
            tally[f] = tally.get(f, 0) + 1
        root_freq = max(((n, f) for f, n in tally.items()), default=(0, 0))[1]  # most words; ties: more frequent
        key = tuple((p, t) for p, t in enumerate(seq) if per_position[p] == root_freq)
        roots[key].append(seq)
    return [roots[key] for key in sorted(roots)]


def _fits_masked(values: set[str]) -> bool:
    """True when every value fits one of the masked values there: the position is a variable slot."""
    masked = [v.split(WILDCARD) for v in values if WILDCARD in v]
    if not masked:
        return False
    return all(any(_fits(v, pieces) for pieces in masked) for v in values if WILDCARD not in v)


def _fits(value: str, pieces: list[str]) -> bool:
    """Whether value matches the masked value whose constant pieces (around its <*>) these are, each <*>
    standing for any text. The first and last piece anchor the ends; taking each middle piece at its
    earliest place leaves the most room for the rest, so it finds a match whenever there is one."""
    first, last = pieces[0], pieces[-1]
    if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for piece in pieces[1:-1]:
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _template(group: Sequence[Sequence_]) -> str:
    return " ".join(_slot({seq[p] for seq in group}) for p in range(len(group[0])))


def _slot(values: set[str]) -> str:
    """One value: a constant. Values fitting one masked value ("rhost=<*>"): keep its visible key."""
    if len(values) == 1:
        return next(iter(values))
    masked = {v for v in values if WILDCARD in v}
    if len(masked) == 1 and _fits_masked(values):
        return masked.pop()
    return WILDCARD


def mine_templates(messages: Sequence[str], sample_weight: Sequence[int] | None = None) -> list[str]:
    """The mined template of each message: what lens groups failure messages by, after fingerprinting.

    Messages are best given as the fingerprinter's templates (lens_core.parse.fingerprint.mask_message): its
    placeholders (<NUM>, <GUID>) count as variables here, so a template and its raw message mine alike.
    """
    miner = TemplateMiner().fit(messages, sample_weight)
    return [miner.templates_[label] for label in miner.labels_]
