"""Structure-following chunker: report text -> chunks for embedding, lexical search and citation.

Chunks follow the document's sections (see ``ingest.structure``):

* a chunk is a run of paragraphs / list items under one section, packed up to ``max_tokens``
  embedder tokens (counted on the chunk's ``embed_text``); a section's heading lines open its
  first chunk; over-long paragraphs are split at sentence ends only (a sentence that is itself
  too long at "; " / ": ", then commas, then spaces);
* a document of text only that fits in one chunk is one chunk (a law article keeps its title
  with its clauses);
* a small section is merged with a sibling (same parent section, never across a top-level
  heading) when the result fits;
* tables are chunked by whole rows, the header rows repeated at the top of every piece;
* a footnote's text leaves the flow: it becomes a chunk of its own, placed right after the
  chunk that cites it, and is also appended to that chunk's search/embed text;
* the closing block ("Nơi nhận:", signature) gets chunks of its own.

The text is first layout-normalised (``ingest.layout``: hard wraps joined, site chrome and
page furniture left out, one-cell-per-line tables turned into TAB rows); chunks are cut from the
normalised text and their spans mapped back to the original.

Invariant (tested): for every chunk, with ``visible`` = the text without whitespace and "*",
``visible(chunk.text) == visible("".join(clean_text(text[s:e]) for s, e in chunk.spans))``, so
the spans can be used to highlight the passage in the original document; and together the
chunks' spans cover every non-whitespace character of the original except what the layout
step left out (``Layout.dropped``: chrome, separators, empty markup). When the layout step
changes nothing (tidy files such as the samples) the stricter form holds:
``collapse_ws(chunk.text) == collapse_ws(" ".join(clean_text(text[s:e]) for s, e in chunk.spans))``
and the spans cover every non-whitespace character.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from baocao.lang.normalize import collapse_ws, search_form
from baocao.lang.sentences import sentence_starts
from baocao.models import Chunk, ChunkKind, DocumentMeta, chunk_id
from ingest.layout import normalize_layout
from ingest.structure import Block, clean_text, parse_blocks
from ingest.units import split_units

TokenCounter = Callable[[str], int]
Span = tuple[int, int]

# Chunks smaller than this share of max_tokens are merged with a sibling section when they fit.
MIN_TOKENS_FRACTION = 0.3
# No token of the embedder's spans more characters than this (a bound, to skip counting long texts).
MAX_CHARS_PER_TOKEN = 16
# A footnote attached to its citing chunk costs at most this share of max_tokens when planning.
ATTACHMENT_FRACTION = 0.25


# --------------------------------------------------------------------------- data


@dataclass
class _Unit:
    """A block together with its page-break continuations (``parts``)."""

    block: Block
    parts: list[Span]
    cites: list[tuple[str, int]]

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def path(self) -> list[str]:
        return self.block.path


@dataclass
class _Seg:
    """Displayable content from the original text: one block, or a piece of one."""

    spans: list[Span]
    text: str
    joiner: str  # put before it when it follows another segment in a chunk: "\n" or " "
    cites: list[tuple[str, int]] = field(default_factory=list)


Atom = list[_Seg]  # segments that stay in the same chunk


@dataclass
class _Plan:
    """A chunk being planned."""

    kind: ChunkKind
    atoms: list[Atom]
    path: list[str]
    depth: int = 0  # depth of the heading that opens it (0: it does not open a section)
    footnote_marker: str = ""
    header_rows: int | None = None  # a table piece: how many of its rows are the table's header

    @property
    def segs(self) -> list[_Seg]:
        return [seg for atom in self.atoms for seg in atom]


@dataclass
class _Group:
    """A section's own content: the headings that open it and the units under them."""

    headings: list[_Unit]
    units: list[_Unit]
    path: list[str]
    closing: bool = False

    @property
    def depth(self) -> int:
        return self.headings[0].block.level if self.headings else 0


class _Doc:
    """One document being chunked: its text, footnotes and token accounting."""

    def __init__(self, text: str, meta: DocumentMeta, count_tokens: TokenCounter, max_tokens: int) -> None:
        self.text = text
        self.meta = meta
        self.max_tokens = max_tokens
        self.footnotes: dict[str, _Unit] = {}
        self._count_tokens = count_tokens
        self._counts: dict[str, int] = {}  # tokenizers can be slow: count each distinct text once
        self._costs: dict[str, int] = {}
        self.base = self.count("")  # special tokens / prefixes the counter adds to every text

    def count(self, text: str) -> int:
        if text not in self._counts:
            self._counts[text] = self._count_tokens(text)
        return self._counts[text]

    def cost(self, text: str) -> int:
        """Approximate tokens ``text`` adds to a chunk's embed_text."""
        if text not in self._costs:
            self._costs[text] = max(0, self.count(search_form(text)) - self.base)
        return self._costs[text]

    def limit(self, path: list[str]) -> int:
        """Tokens left for content once the title and section path lines are in."""
        return self.max_tokens - self.count(_embed_text(self.meta, path, ""))

    def display(self, spans: list[Span], joiner: str = " ") -> str:
        """Display text of spans: markup stripped, trailing spaces and blank lines dropped."""
        cleaned = joiner.join(clean_text(self.text[s:e]).strip() for s, e in spans)
        return re.sub(r"[ \t]*\n\s*", "\n", cleaned)

    def footnote_text(self, marker: str) -> str:
        return collapse_ws(self.display(self.footnotes[marker].parts))

    def seg_cost(self, seg: _Seg) -> int:
        """Tokens of a segment, plus those of the footnotes it will carry (capped)."""
        cap = int(self.max_tokens * ATTACHMENT_FRACTION)
        attached = [m for m in dict.fromkeys(m for m, _ in seg.cites) if m in self.footnotes]
        return self.cost(seg.text) + sum(min(cap, self.cost(self.footnote_text(m)) + 2) for m in attached)

    def atom_cost(self, atom: Atom) -> int:
        return sum(self.seg_cost(seg) for seg in atom)

    def markers(self, plan: _Plan) -> list[str]:
        """Footnotes cited in a (non-footnote) chunk."""
        if plan.kind == "footnote":
            return []
        return list(dict.fromkeys(m for seg in plan.segs for m, _ in seg.cites if m in self.footnotes))

    def plan_tokens(self, plan: _Plan) -> int:
        cap = int(self.max_tokens * ATTACHMENT_FRACTION)
        attachments = sum(min(cap, self.cost(self.footnote_text(m)) + 2) for m in self.markers(plan))
        return self.count(_embed_text(self.meta, plan.path, search_form(_join(plan.segs)))) + attachments


# --------------------------------------------------------------------------- entry point


def chunk_document(
    text: str,
    meta: DocumentMeta,
    count_tokens: TokenCounter,
    max_tokens: int = 350,
    count_llm_tokens: TokenCounter | None = None,
) -> list[Chunk]:
    """Split one document into chunks following its structure (see the module docstring)."""
    layout = normalize_layout(text)
    blocks = parse_blocks(layout.text)
    if not blocks:
        return []
    doc = _Doc(layout.text, meta, count_tokens, max_tokens)
    units = _units(blocks)
    doc.footnotes = {u.block.marker: u for u in units if u.kind == "footnote" and u.block.marker}
    flow = [u for u in units if u.kind != "footnote"]

    plans = [plan for group in _groups(flow) for plan in _plan_group(doc, group)]
    plans = _whole_if_it_fits(doc, plans)
    plans = _merge_small(doc, plans)
    plans = _split_oversized(doc, plans)
    plans = _place_footnotes(doc, plans, flow)
    chunks = [_assemble(doc, plan, position, count_llm_tokens) for position, plan in enumerate(plans)]
    if not layout.identity:
        for chunk in chunks:
            chunk.spans = layout.original_spans(chunk.spans)
    return chunks


# --------------------------------------------------------------------------- units and groups


def _units(blocks: list[Block]) -> list[_Unit]:
    """Blocks with their page-break continuations folded in, in document order."""
    units: list[_Unit] = []
    unit_of: dict[int, _Unit] = {}
    for index, block in enumerate(blocks):
        head = unit_of.get(block.continues) if block.continues >= 0 else None
        if head is not None:
            head.parts.append((block.start, block.end))
            head.cites.extend(block.cites)
            unit_of[index] = head
            continue
        unit = _Unit(block, [(block.start, block.end)], list(block.cites))
        unit_of[index] = unit
        units.append(unit)
    return units


def _groups(flow: list[_Unit]) -> list[_Group]:
    groups: list[_Group] = []
    pending: list[_Unit] = []  # headings waiting for content
    for unit in flow:
        if unit.kind == "heading":
            pending.append(unit)
            continue
        closing = unit.kind == "closing"
        if pending or not groups or groups[-1].closing != closing:
            path = [] if closing else (pending[-1].path if pending else unit.path)
            groups.append(_Group(pending, [], path, closing))
            pending = []
        groups[-1].units.append(unit)
    if pending:  # headings with nothing under them at the end of the document
        groups.append(_Group(pending, [], pending[-1].path))
    return groups


# --------------------------------------------------------------------------- planning a section


def _plan_group(doc: _Doc, group: _Group) -> list[_Plan]:
    limit = doc.limit(group.path)
    kind: ChunkKind = "closing" if group.closing else "text"
    lead = [_unit_seg(doc, h) for h in group.headings]  # heading lines, glued to the first content
    plans: list[_Plan] = []
    run: list[Atom] = []  # text atoms waiting to be packed

    def flush() -> None:
        for a, b in _pack([doc.atom_cost(atom) for atom in run], limit):
            plans.append(_Plan(kind, run[a:b], list(group.path)))
        run.clear()

    for index, unit in enumerate(group.units):
        if unit.kind != "table":
            run.extend(_unit_atoms(doc, unit, lead, limit))
            lead = []
            continue
        caption: Atom = []
        previous = group.units[index - 1] if index else None
        if run and previous and _is_caption(doc, run[-1], previous, limit):
            caption = run.pop()
        flush()
        if lead:
            caption, lead = lead + caption, []
        plans.extend(_table_plans(doc, unit.block, caption, group.path, limit))
    if lead:  # a section with no content of its own
        run.append(lead)
    flush()
    if plans and group.headings:
        plans[0].depth = group.depth
    return plans


def _unit_seg(doc: _Doc, unit: _Unit) -> _Seg:
    return _Seg(list(unit.parts), doc.display(unit.parts), "\n", list(unit.cites))


def _unit_atoms(doc: _Doc, unit: _Unit, lead: Atom, limit: int) -> list[Atom]:
    """A unit as packing atoms: whole if it fits, else sentence pieces; ``lead`` (heading
    lines) is glued to the first atom so that a heading never ends a chunk."""
    seg = _unit_seg(doc, unit)
    lead_cost = sum(doc.cost(s.text) for s in lead)
    if doc.seg_cost(seg) + lead_cost <= limit:
        return [lead + [seg]]
    reserve = int(doc.max_tokens * ATTACHMENT_FRACTION) if any(m in doc.footnotes for m, _ in unit.cites) else 0
    piece_limit = max(limit - reserve, limit // 2)  # room for an attached footnote
    first_limit = limit - lead_cost if limit - lead_cost >= limit // 4 else limit
    pieces = _sentence_segs(doc, unit.parts, unit.cites, piece_limit, first_limit)
    atoms = [[piece] for piece in pieces]
    if lead:
        if doc.seg_cost(pieces[0]) + lead_cost <= limit:
            atoms[0] = lead + atoms[0]
        else:  # headings too long to share a chunk with any sentence: they go first, alone
            atoms.insert(0, list(lead))
    return atoms


def _is_caption(doc: _Doc, atom: Atom, unit: _Unit, limit: int) -> bool:
    """A short whole paragraph right above a table ("Biểu: …", "… như sau:", an annex's "(Kèm theo …)")
    goes with the table, and so do the section's headings glued to it."""
    if unit.kind != "paragraph" or atom[-1].spans != unit.parts:
        return False
    text = atom[-1].text
    return len(text.split()) <= 40 or (text.endswith(":") and doc.cost(text) <= limit // 3)


# --------------------------------------------------------------------------- splitting


# Cut points after sentence ends (baocao.lang.sentences), then, from the most to the least natural:
# clause ends, commas, spaces.
_CUTS = [
    re.compile(r"[;:](?:\*{1,3}|</b>)?\s+"),
    re.compile(r",\s+"),
    re.compile(r"\s+"),
]
_LEVELS = len(_CUTS) + 1
# Italics as baocao.lang.normalize.strip_markup sees them: a cut inside a pair would leave its stars in the text.
_ITALIC_PAIR = re.compile(r"(?<![\w*])\*(?=\S)[^*\n]+?(?<=\S)\*(?![\w*])")


def _sentence_segs(
    doc: _Doc, parts: list[Span], cites: list[tuple[str, int]], limit: int, first_limit: int | None = None
) -> list[_Seg]:
    """Pieces of an over-long unit that fit ``limit`` (the first one ``first_limit``).

    The unit's parts (a paragraph interrupted by a page break) are split as one text, so a
    sentence running across the break stays whole (its piece then has two spans)."""
    joined, origin = _joined_parts(doc.text, parts)
    ranges = _split_range(doc, joined, 0, len(joined), 0, limit)
    if first_limit is not None and first_limit < limit:
        ranges[:1] = _split_range(doc, joined, ranges[0][0], ranges[0][1], 0, first_limit)
    segs = []
    for a, b in ranges:
        spans = _origin_spans(doc.text, origin, a, b)
        if spans:
            piece_cites = [c for c in cites if any(s <= c[1] < e for s, e in spans)]
            segs.append(_Seg(spans, doc.display(spans), " ", piece_cites))
    segs[0].joiner = "\n"
    return segs


def _joined_parts(text: str, parts: list[Span]) -> tuple[str, list[int]]:
    """The parts' text joined by spaces, and each character's offset in the original (-1: a join)."""
    pieces: list[str] = []
    origin: list[int] = []
    for index, (start, end) in enumerate(parts):
        if index:
            pieces.append(" ")
            origin.append(-1)
        pieces.append(text[start:end])
        origin.extend(range(start, end))
    return "".join(pieces), origin


def _origin_spans(text: str, origin: list[int], a: int, b: int) -> list[Span]:
    """Original-text spans of joined[a:b], whitespace trimmed."""
    spans: list[Span] = []
    for offset in origin[a:b]:
        if offset < 0:
            continue
        if spans and spans[-1][1] == offset:
            spans[-1] = (spans[-1][0], offset + 1)
        else:
            spans.append((offset, offset + 1))
    trimmed = [_trim(text, s, e) for s, e in spans]
    return [(s, e) for s, e in trimmed if s < e]


def _split_range(doc: _Doc, text: str, start: int, end: int, level: int, limit: int) -> list[Span]:
    if level >= _LEVELS or doc.cost(clean_text(text[start:end])) <= limit:
        return [(start, end)]
    bounds = [start, *_cut_points(text, start, end, level), end]
    pieces: list[Span] = []
    for a, b in zip(bounds, bounds[1:]):
        a, b = _trim(text, a, b)
        if a < b:
            pieces.extend(_split_range(doc, text, a, b, level + 1, limit))
    return pieces


def _cut_points(text: str, start: int, end: int, level: int) -> list[int]:
    inside = [(m.start(), m.end()) for m in _ITALIC_PAIR.finditer(text, start, end)]
    if level == 0:
        points = sentence_starts(text, start, end)
    else:
        points = [m.end() for m in _CUTS[level - 1].finditer(text, start, end)]
    return [p for p in points if start < p < end and not any(a < p < b for a, b in inside)]


def _trim(text: str, a: int, b: int) -> Span:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# --------------------------------------------------------------------------- packing


def _pack(costs: list[int], limit: int) -> list[Span]:
    """Consecutive ranges of items whose costs sum to at most ``limit`` (an item over the limit
    sits alone): as few ranges as greedy packing needs, with sizes as even as possible."""
    if not costs:
        return []

    def greedy(cap: int) -> list[Span]:
        ranges, start, total = [], 0, 0
        for i, cost in enumerate(costs):
            if i > start and total + cost > cap:
                ranges.append((start, i))
                start, total = i, 0
            total += cost
        ranges.append((start, len(costs)))
        return ranges

    target = len(greedy(limit))
    low, high = 1, max(limit, 1)
    while low < high:  # the smallest cap that needs no more ranges than packing to the limit
        mid = (low + high) // 2
        if len(greedy(mid)) <= target:
            high = mid
        else:
            low = mid + 1
    return greedy(high)


# --------------------------------------------------------------------------- tables


def _table_plans(doc: _Doc, table: Block, caption: Atom, path: list[str], limit: int) -> list[_Plan]:
    """Pieces of whole rows, each opened by the header rows. A header repeated after a page
    break opens a new piece and is that piece's header (so its own span is covered)."""
    plans: list[_Plan] = []
    for page, (header, data) in enumerate(_table_pages(table)):
        header_seg = _rows_seg(doc, header) if header else None
        fixed = doc.cost(header_seg.text) if header_seg else 0
        if page == 0:
            fixed += sum(doc.cost(s.text) for s in caption)
        costs = [doc.cost(_row_text(doc, row)) for row in data]
        for a, b in _pack(costs, max(1, limit - fixed)) or [(0, 0)]:
            atom: Atom = list(caption) if page == 0 and not plans else []
            if header_seg:
                atom.append(header_seg)
            if b > a:
                atom.append(_rows_seg(doc, data[a:b]))
            plans.append(_Plan("table", [atom], list(path), header_rows=len(header)))
    return plans


def _table_pages(table: Block) -> list[tuple[list[Span], list[Span]]]:
    """(header rows, data rows) for each stretch of the table opened by its header."""
    repeated = set(table.repeated_header)
    pages: list[tuple[list[Span], list[Span]]] = [(table.rows[: table.header_rows], [])]
    for index in range(table.header_rows, len(table.rows)):
        row = table.rows[index]
        if index not in repeated:
            pages[-1][1].append(row)
        elif index - 1 in repeated and pages[-1][1] == []:
            pages[-1][0].append(row)  # second row of a repeated header
        else:
            pages.append(([row], []))
    return [page for page in pages if page[1]] or pages[:1]


def _row_text(doc: _Doc, row: Span) -> str:
    return clean_text(doc.text[row[0] : row[1]])


def _rows_seg(doc: _Doc, rows: list[Span]) -> _Seg:
    """Consecutive rows as one segment: one span, rows kept whole with their tabs."""
    return _Seg([(rows[0][0], rows[-1][1])], "\n".join(_row_text(doc, row) for row in rows), "\n")


# --------------------------------------------------------------------------- merging and checks


def _whole_if_it_fits(doc: _Doc, plans: list[_Plan]) -> list[_Plan]:
    """A short document of text only (a law article, a note) that fits in one chunk is one chunk:
    its title and every clause stay together. Tables, footnotes and closing blocks keep their own."""
    if len(plans) < 2 or any(plan.kind != "text" for plan in plans):
        return plans
    if sum(len(seg.text) for plan in plans for seg in plan.segs) > doc.max_tokens * MAX_CHARS_PER_TOKEN:
        return plans  # cannot fit: not worth counting the whole text's tokens
    whole = _Plan("text", [atom for plan in plans for atom in plan.atoms], [], plans[0].depth)
    return [whole] if doc.plan_tokens(whole) <= doc.max_tokens else plans


def _merge_small(doc: _Doc, plans: list[_Plan]) -> list[_Plan]:
    """Merge small text chunks into a neighbour: the smallest chunk first, into whichever sibling
    (same parent section, never across a top-level heading) gives the smaller result that fits."""
    minimum = int(doc.max_tokens * MIN_TOKENS_FRACTION)
    plans = list(plans)
    tokens = {id(plan): doc.plan_tokens(plan) for plan in plans}

    def merged(left: _Plan, right: _Plan) -> _Plan:
        plan = _Plan("text", left.atoms + right.atoms, _common_prefix(left.path, right.path), left.depth)
        tokens[id(plan)] = doc.plan_tokens(plan)
        return plan

    while True:
        small = sorted(
            (i for i, plan in enumerate(plans) if plan.kind == "text" and tokens[id(plan)] < minimum),
            key=lambda i: tokens[id(plans[i])],
        )
        for i in small:
            options = [  # (size, index of the left chunk, merged chunk)
                (tokens[id(candidate)], left, candidate)
                for left in (i - 1, i)
                if 0 <= left < len(plans) - 1 and _can_merge(plans[left], plans[left + 1])
                for candidate in [merged(plans[left], plans[left + 1])]
                if tokens[id(candidate)] <= doc.max_tokens
            ]
            if options:
                _, left, candidate = min(options, key=lambda option: option[:2])
                plans[left : left + 2] = [candidate]
                break
        else:
            return plans


def _can_merge(left: _Plan, right: _Plan) -> bool:
    if left.kind != "text" or right.kind != "text" or right.depth == 1:
        return False
    if right.depth == 0:  # the rest of a section: only with the same section
        return right.path == left.path
    parent = right.path[:-1]
    return left.path[: len(parent)] == parent


def _common_prefix(a: list[str], b: list[str]) -> list[str]:
    prefix = []
    for x, y in zip(a, b):
        if x != y:
            break
        prefix.append(x)
    return prefix


def _split_oversized(doc: _Doc, plans: list[_Plan]) -> list[_Plan]:
    """Packing adds up estimated token counts: halve any multi-atom chunk still over the limit."""
    result: list[_Plan] = []
    stack = list(reversed(plans))
    while stack:
        plan = stack.pop()
        if len(plan.atoms) < 2 or doc.plan_tokens(plan) <= doc.max_tokens:
            result.append(plan)
            continue
        costs = [doc.atom_cost(atom) for atom in plan.atoms]
        cut, total = 1, costs[0]
        while cut < len(costs) - 1 and total < sum(costs) / 2:
            total += costs[cut]
            cut += 1
        stack.append(_Plan(plan.kind, plan.atoms[cut:], plan.path, 0, plan.footnote_marker, plan.header_rows))
        stack.append(_Plan(plan.kind, plan.atoms[:cut], plan.path, plan.depth, plan.footnote_marker, plan.header_rows))
    return result


# --------------------------------------------------------------------------- footnotes


def _place_footnotes(doc: _Doc, plans: list[_Plan], flow: list[_Unit]) -> list[_Plan]:
    """Footnote chunks go right after the chunk citing them, with the citing paragraph's section
    path; an uncited footnote stays where its text stands."""
    after: dict[int, list[_Plan]] = {}
    for marker, footnote in doc.footnotes.items():
        citation = _citation(flow, marker, footnote.parts[0][0])
        if citation:
            unit, offset = citation
            host, path = _plan_containing(plans, offset), unit.path
        else:
            host, path = _plan_before(plans, footnote.parts[0][0]), footnote.path
        after.setdefault(host, []).extend(_footnote_plans(doc, footnote, path))
    result = after.get(-1, [])
    for index, plan in enumerate(plans):
        result.append(plan)
        result.extend(after.get(index, []))
    return result


def _citation(flow: list[_Unit], marker: str, position: int) -> tuple[_Unit, int] | None:
    """The citation of a footnote: the nearest one before its text, else the first after it."""
    found = [(unit, offset) for unit in flow for m, offset in unit.cites if m == marker]
    before = [c for c in found if c[1] < position]
    after = [c for c in found if c[1] >= position]
    return before[-1] if before else (after[0] if after else None)


def _plan_containing(plans: list[_Plan], offset: int) -> int:
    for index, plan in enumerate(plans):
        if any(s <= offset < e for seg in plan.segs for s, e in seg.spans):
            return index
    return -1


def _plan_before(plans: list[_Plan], offset: int) -> int:
    starts = [min(s for seg in plan.segs for s, _ in seg.spans) for plan in plans]
    return max((i for i, start in enumerate(starts) if start < offset), default=-1)


def _footnote_plans(doc: _Doc, footnote: _Unit, path: list[str]) -> list[_Plan]:
    limit = doc.limit(path)
    seg = _Seg(list(footnote.parts), doc.display(footnote.parts), "\n")
    pieces = [seg] if doc.cost(seg.text) <= limit else _sentence_segs(doc, footnote.parts, [], limit)
    costs = [doc.cost(piece.text) for piece in pieces]
    marker = footnote.block.marker
    return [_Plan("footnote", [[p] for p in pieces[a:b]], list(path), 0, marker) for a, b in _pack(costs, limit)]


# --------------------------------------------------------------------------- assembly


def _join(segs: list[_Seg]) -> str:
    return "".join((seg.joiner if i else "") + seg.text for i, seg in enumerate(segs))


def _merge_spans(text: str, segs: list[_Seg]) -> list[Span]:
    """The segments' spans in order; neighbours separated by whitespace only become one span."""
    spans: list[Span] = []
    for seg in segs:
        for s, e in seg.spans:
            if spans and spans[-1][1] <= s and not text[spans[-1][1] : s].strip():
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
    return spans


def _embed_text(meta: DocumentMeta, path: list[str], search_text: str) -> str:
    """The document's short title and the section path (when there are any) above the content."""
    context = [line for line in (meta.short_title, " > ".join(path)) if line]
    return "\n".join([*context, search_text])


def _attachments(doc: _Doc, plan: _Plan, body: str) -> list[str]:
    """"[¹ footnote text]" for each footnote cited, cut short (by words) where it would not fit."""
    attached: list[str] = []
    for marker in doc.markers(plan):
        full = "[" + doc.footnote_text(marker) + "]"

        def fits(candidate: str) -> bool:
            trial = search_form("\n".join([body, *attached, candidate]))
            return doc.count(_embed_text(doc.meta, plan.path, trial)) <= doc.max_tokens

        if fits(full):
            attached.append(full)
            continue
        words = full[:-1].split()
        low, high = 0, len(words) - 1
        while low < high:  # the longest prefix of words that fits
            mid = (low + high + 1) // 2
            if fits(" ".join(words[:mid]) + " …]"):
                low = mid
            else:
                high = mid - 1
        if low >= 2:
            attached.append(" ".join(words[:low]) + " …]")
    return attached


def _assemble(doc: _Doc, plan: _Plan, position: int, count_llm_tokens: TokenCounter | None) -> Chunk:
    body = _join(plan.segs)
    search_text = search_form("\n".join([body, *_attachments(doc, plan, body)]))
    embed_text = _embed_text(doc.meta, plan.path, search_text)
    return Chunk(
        chunk_id=chunk_id(doc.meta.doc_id, "", position),
        doc_id=doc.meta.doc_id,
        position=position,
        kind=plan.kind,
        text=body,
        search_text=search_text,
        embed_text=embed_text,
        section_path=list(plan.path),
        spans=_merge_spans(doc.text, plan.segs),
        footnotes=[plan.footnote_marker] if plan.kind == "footnote" else doc.markers(plan),
        n_tokens=doc.count(embed_text),
        n_llm_tokens=count_llm_tokens(body) if count_llm_tokens else 0,
        meta=doc.meta,
        layout=split_units(body, plan.path, plan.header_rows),
    )
