"""Layout normalisation: a document as a crawler, a PDF converter or a portal saved it -> the
clean line structure ``ingest.structure`` reads, with an exact map back to the original text.

What it undoes:

* hard wraps: a paragraph cut into ~80-character lines is joined back into one line; real line
  breaks stay (list items, numbered headings, table rows, the cells of the header block, "Căn cứ"
  lines). Files with blank lines between paragraphs are joined inside each paragraph; files with
  no blank line at all (thuvienphapluat pages, PDF text layers) are decided line by line from
  sentence punctuation, capitals, numbering, open bold/italic markers and line length;
* headings and markers split over lines ("## I. DANH⏎MỤC …", "**I.⏎ĐÁNH GIÁ …**",
  "**ỦY BAN NHÂN⏎DÂN **"), empty markers ("** **", "****", "* *");
* site chrome (the thuvienphapluat banner, "Đang tải văn bản...", the Số hiệu / Loại văn bản
  block, "Văn bản liên quan" and the footer), decorative rules, PDF running headers, footers and
  page numbers;
* tables written one cell per line with lone "|" lines between the cells and "|⏎|" between rows
  (merged cells left out, so rows have fewer cells), and markdown pipe tables: both become one
  line per row with the cells joined by TAB, the table model ``ingest.structure`` reads. Small
  layout tables (the two-column header block, "Nơi nhận | TM. ỦY BAN NHÂN DÂN …", form
  signatures) become one paragraph per cell instead.

The normalised text is the original with characters left out and whitespace changed or added,
never anything else: every non-whitespace character of ``Layout.text`` lies in a run copied from
the original (``Layout.runs``), so a span of the normalised text maps back to exact spans of the
original (``Layout.original_spans``). What is left out belongs to no span; ``Layout.dropped``
says what it was (site chrome, table separator, rule line, empty markup, page furniture).

Tidy text (the shipped samples: blank-line paragraphs, TAB tables, no wraps) is returned as it is.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from baocao.lang.normalize import collapse_ws, fold_accents
from baocao.lang.tables import word_list

Span = tuple[int, int]


def _sections(name: str) -> dict[str, tuple[str, ...]]:
    """A word list split into "[section]" parts; entries accents folded, lower case."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in word_list(name):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        sections.setdefault(current, []).append(collapse_ws(fold_accents(line)))
    return {key: tuple(values) for key, values in sections.items()}


_CONNECTORS = frozenset(word_list("line_connectors.txt"))
_SITE = _sections("site_chrome.txt")

DEFAULT_WIDTH = 80  # hard-wrap width when a document gives too few wrapped lines to measure it


# --------------------------------------------------------------------------- the result


@dataclass
class Layout:
    """The normalised text of ``original`` and the map back to it."""

    original: str
    text: str
    # Copied runs: text[norm:norm+n] == original[orig:orig+n]; everything else in text is whitespace.
    # Empty when the text needed no change (text is original).
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    dropped: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, why) in original
    site_meta: dict[str, str] = field(default_factory=dict)  # "Số hiệu", "Loại văn bản", … of a site page

    @property
    def identity(self) -> bool:
        return self.text is self.original

    def original_spans(self, spans: Iterable[Span]) -> list[Span]:
        """Spans of the original holding what ``spans`` of the normalised text hold: split where
        text was left out, merged where only whitespace lies between."""
        if self.identity:
            return [(s, e) for s, e in spans]
        starts = [run[0] for run in self.runs]
        pieces: list[Span] = []
        for s, e in spans:
            k = max(0, bisect_right(starts, s) - 1)
            while k < len(self.runs) and self.runs[k][0] < e:
                norm, orig, n = self.runs[k]
                a, b = max(s, norm), min(e, norm + n)
                if a < b:
                    pieces.append((orig + a - norm, orig + b - norm))
                k += 1
        merged: list[Span] = []
        for s, e in pieces:
            if merged and merged[-1][1] <= s and not self.original[merged[-1][1] : s].strip():
                merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        return merged


def normalize_layout(text: str) -> Layout:
    """The layout-normalised form of a document's text (the text itself when nothing needs undoing)."""
    return _normalize_cached(text)


@lru_cache(maxsize=8)  # metadata extraction and chunking normalise the same text in turn
def _normalize_cached(text: str) -> Layout:
    lines = _split_lines(text)
    bounds = _site_bounds(lines)
    blank_mode = _blank_mode(lines)
    furniture = set() if blank_mode else _page_furniture(lines)
    if bounds is None and not furniture and not _needs_work(lines):
        return Layout(text, text)
    return _Normalizer(text, lines, bounds, blank_mode, furniture).run()


# --------------------------------------------------------------------------- lines

_RULE = re.compile(r"[-_=–—]{3,}")
_JUNK = re.compile(r"(?:\*\*\s*\*\*|\*\s+\*|#{1,6}|\*{4,})(?:\s*(?:\*\*\s*\*\*|\*\s+\*|\*{4,}))*")
_INLINE_CHROME = re.compile(r"\[sửa \| sửa mã nguồn\]")
_CELL_HASHES = re.compile(r"^#{1,6}\s")  # a heading mark inside a table row is noise


@dataclass
class _Line:
    start: int  # offset of the first non-whitespace character
    end: int  # after the last one
    raw: str  # original[start:end]
    plain: str  # markup removed, spaces collapsed
    kind: str  # blank | bar | rule | junk | pipe | text
    folded: str | None = None  # plain, accents folded, lower case (computed when first needed)


_MARKUP_CHARS = re.compile(r"</?(?:b|i|u|strong|em|br|sup|sub)\s*/?>|\*+|__|^#{1,6}(?=\s)", re.IGNORECASE)


def _plain(raw: str) -> str:
    """A line's text without markup, spaces collapsed (what the line-joining rules look at)."""
    return " ".join(_MARKUP_CHARS.sub(" ", raw).split())


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    offset = 0
    for piece in text.split("\n"):
        stripped = piece.strip()
        start = offset + len(piece) - len(piece.lstrip())
        offset += len(piece) + 1
        if not stripped:
            lines.append(_Line(start, start, "", "", "blank"))
            continue
        if stripped == "|":
            kind = "bar"
        elif _RULE.fullmatch(stripped):
            kind = "rule"
        elif _JUNK.fullmatch(stripped):
            kind = "junk"
        elif stripped.count("|") >= 2 and (stripped[0] == "|" or stripped[-1] == "|"):
            kind = "pipe"
        else:
            kind = "text"
        lines.append(_Line(start, start + len(stripped), stripped, _plain(stripped), kind))
    return lines


_TERMINATORS = ".;:!?…"


def _terminated(plain: str) -> bool:
    return plain.rstrip("\"”’)]' ")[-1:] in tuple(_TERMINATORS) if plain else False


def _continues(a: _Line, b: _Line) -> bool:
    """b reads as the rest of a's sentence: a does not end it and b starts in lower case."""
    return bool(a.plain and b.plain) and not _terminated(a.plain) and b.plain[0].islower()


def _needs_work(lines: list[_Line]) -> bool:
    """Crawled, converted or hard-wrapped text; tidy files are left exactly as they are."""
    kinds = Counter(line.kind for line in lines)
    if kinds["bar"] >= 2 or kinds["pipe"] >= 2:
        return True
    text_lines = [line for line in lines if line.kind == "text"]
    wraps = sum(_continues(a, b) for a, b in zip(lines, lines[1:]) if a.kind == b.kind == "text")
    return wraps >= 5 and wraps >= 0.05 * len(text_lines)


def _blank_mode(lines: list[_Line]) -> bool:
    """Paragraphs are separated by blank lines (else blank lines are rare: page breaks at most)."""
    text_lines = sum(1 for line in lines if line.kind == "text")
    blanks = sum(1 for a, b in zip(lines, lines[1:]) if a.kind == "blank" and b.kind != "blank")
    return blanks >= 0.06 * max(1, text_lines)


def _wrap_width(lines: list[_Line]) -> int:
    """Width the text was hard-wrapped at: the usual length of lines that continue on the next."""
    lengths = sorted(len(a.raw) for a, b in zip(lines, lines[1:]) if a.kind == b.kind == "text" and _continues(a, b))
    if len(lengths) < 10:
        return DEFAULT_WIDTH
    return lengths[int(len(lengths) * 0.9)]


# --------------------------------------------------------------------------- site pages


@dataclass
class _Bounds:
    first: int  # first line of the document
    last: int  # after its last line
    meta: dict[str, str]


def _folded(line: _Line) -> str:
    if line.folded is None:
        line.folded = fold_accents(line.plain)
    return line.folded


def _site_bounds(lines: list[_Line]) -> _Bounds | None:
    """Where the document sits in a saved thuvienphapluat page (None: not such a page)."""
    loading = next((i for i, line in enumerate(lines[:80]) if _folded(line).startswith(_SITE["start"])), -1)
    if loading < 0:
        return None
    meta, meta_end = _site_meta(lines, loading + 1)
    first = meta_end
    motto = next(
        (
            i
            for i in range(meta_end, min(len(lines) - 1, meta_end + 200))
            if (_folded(lines[i]) + " " + _folded(lines[i + 1])).startswith("cong hoa xa")
        ),
        -1,
    )
    if motto >= 0:
        bars = [i for i in range(loading, motto) if lines[i].kind == "bar"]
        if len(bars) >= 2:
            first = bars[-2]
    last = len(lines)
    ends = _SITE["end"]
    initials = {marker.lstrip("# ")[:1] for marker in ends}
    for i in range(first, len(lines)):
        if fold_accents(lines[i].plain[:1]) not in initials:
            continue
        raw = fold_accents(" ".join(lines[i].raw.replace("*", " ").split()))
        marker = next((m for m in ends if raw.startswith(m)), "")
        if marker:
            title_before = marker == ends[0] and i - 1 > first and lines[i - 1].kind == "text"
            last = i - 1 if title_before else i
            break
    return _Bounds(first, last, meta)


def _site_meta(lines: list[_Line], start: int) -> tuple[dict[str, str], int]:
    """The "**Số hiệu:** | 980/KH-UBND | …" block after "Đang tải văn bản...": its fields and end."""
    meta: dict[str, str] = {}
    i, end = start, start
    label = ""
    while i < len(lines) and i < start + 80:
        line = lines[i]
        if line.kind == "text":
            if line.plain.endswith(":") and len(line.plain) <= 30:
                label = line.plain[:-1].strip()
            elif label:
                meta[label] = line.plain
                end = i + 1
                if fold_accents(label) == "tinh trang":  # the block's last field
                    break
                label = ""
            else:
                break
        elif line.kind not in ("bar", "junk", "blank"):
            break
        i += 1
    while end < len(lines) and lines[end].kind in ("bar", "junk", "blank"):
        end += 1
    return meta, end


# --------------------------------------------------------------------------- PDF pages

# "Trang 3", "Trang 3/12", "- 3 -", "(3)", "3/12": a page number even on a page of its own kind
# (the first page often has none); a bare "3" counts only when most pages have one.
_PAGE_NUMBER = re.compile(
    r"(?:trang|page)\s*\d{1,4}(?:\s*(?:/|tren|of)\s*\d{1,4})?|[-–(]\s*\d{1,4}\s*[-–)]|\d{1,4}\s*/\s*\d{1,4}"
)


def _page_furniture(lines: list[_Line]) -> set[int]:
    """Running headers, footers and page numbers of a text layer whose pages are separated by
    blank lines (the PDF reader's output): lines at the top or bottom of a page that recur on
    most pages once digits are ignored, and page numbers there."""
    pages: list[list[int]] = [[]]
    for index, line in enumerate(lines):
        if line.kind == "blank":
            if pages[-1]:
                pages.append([])
        elif line.kind == "text":
            pages[-1].append(index)
    pages = [page for page in pages if page]
    if len(pages) < 2:
        return set()
    edges = [page[:2] + page[-2:] for page in pages]
    keys: Counter[str] = Counter()
    for edge in edges:
        keys.update({re.sub(r"\d+", "#", _folded(lines[i])) for i in edge})
    repeated = {key for key, n in keys.items() if n >= max(2, len(pages) // 2) and key != "#"}
    furniture: set[int] = set()
    for edge in edges:
        for i in edge:
            folded = _folded(lines[i])
            if re.sub(r"\d+", "#", folded) in repeated or _PAGE_NUMBER.fullmatch(folded):
                furniture.add(i)
    # bare numbers: page numbers when they count the pages (2, 3, 4 … on consecutive pages)
    numbers = {p: i for p, edge in enumerate(edges) for i in edge if lines[i].plain.isdigit()}
    counting = [p for p in numbers if p + 1 in numbers and int(lines[numbers[p + 1]].plain) == int(lines[numbers[p]].plain) + 1]
    if len(counting) + 1 >= max(2, len(pages) // 2):
        for p in counting:
            furniture.update({numbers[p], numbers[p + 1]})
    return furniture


# --------------------------------------------------------------------------- text pieces


class _Piece:
    """Text put together from original characters (origin >= 0) and inserted whitespace (-1)."""

    __slots__ = ("chars", "origin")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.origin: list[int] = []

    def add(self, text: str, start: int) -> None:
        self.chars.extend(text)
        self.origin.extend(range(start, start + len(text)))

    def space(self, ws: str) -> None:
        self.chars.extend(ws)
        self.origin.extend([-1] * len(ws))

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def keep(self, mask: list[bool]) -> None:
        if all(mask):
            return
        self.chars = [c for c, k in zip(self.chars, mask) if k]
        self.origin = [o for o, k in zip(self.origin, mask) if k]

    def strip(self) -> None:
        mask = [True] * len(self.chars)
        i = 0
        while i < len(mask) and self.chars[i].isspace():
            mask[i] = False
            i += 1
        j = len(mask) - 1
        while j >= i and self.chars[j].isspace():
            mask[j] = False
            j -= 1
        self.keep(mask)


_EMPTY_MARKERS = re.compile(r"\*\*([ \t]*)\*\*|(?<!\*)\*([ \t]+)\*(?!\*)")
_STARS = re.compile(r"\*+")
# "**1. **Duy trì …": a bold number before the text; without the stars it reads as the list
# item or numbered heading it is, not as a heading "1." over a paragraph.
_BOLD_LABEL = re.compile(r"(\*\*)\s*(?:[IVXLC]{1,6}|\d{1,3}(?:\.\d{1,3})*|[a-zđ])[.)]\s*(\*\*)(?=\s*[^\W\d_])")


def _repair_markup(piece: _Piece, drop: Iterable[re.Pattern[str]] = ()) -> None:
    """Drop empty or back-to-back markers ("** **", "****", "* *") and the spaces just inside
    italic markers ("*Căn cứ …; *"), which keep ``baocao.lang.normalize.strip_markup`` from seeing the pair."""
    text = piece.text
    mask = [True] * len(text)
    for m in _EMPTY_MARKERS.finditer(text):  # the stars go, a space between words stays
        gap = 1 if m.group(1) is not None else 2
        for k in range(m.start(), m.end()):
            if not m.start(gap) <= k < m.end(gap):
                mask[k] = False
    label = _BOLD_LABEL.match(text)
    if label:
        for group in (1, 2):
            for k in range(label.start(group), label.end(group)):
                mask[k] = False
    for pattern in drop:
        for m in pattern.finditer(text):
            for k in range(m.start(), m.end()):
                mask[k] = False
    italic_open = False
    for m in _STARS.finditer(text):
        if not mask[m.start()] or len(m.group()) % 2 == 0:
            continue
        if m.start() == 0 and _star_bullet(text):
            continue
        if italic_open:
            k = m.start() - 1
            while k >= 0 and text[k] in " \t" and (m.end() >= len(text) or not text[m.end()].isalnum()):
                mask[k] = False
                k -= 1
        else:
            k = m.end()
            while k < len(text) and text[k] in " \t" and (m.start() == 0 or not text[m.start() - 1].isalnum()):
                mask[k] = False
                k += 1
        italic_open = not italic_open
    piece.keep(mask)
    piece.strip()


def _star_bullet(text: str) -> bool:
    """"* Nguyên nhân:" is a bullet; "* (Ban hành kèm theo …)*" an italic line with a stray space."""
    if not (text.startswith("*") and text[1:2].isspace()):
        return False
    singles = sum(len(m.group()) % 2 for m in _STARS.finditer(text))
    return singles % 2 == 1


def _open_markers(text: str) -> bool:
    """An odd number of bold or italic markers: the line goes on."""
    if "*" not in text:
        return False
    bold = italic = 0
    bullet = _star_bullet(text)
    for m in _STARS.finditer(text):
        n = len(m.group())
        if m.start() == 0 and n == 1 and bullet:
            continue
        bold += n // 2
        italic += n % 2
    return bold % 2 == 1 or italic % 2 == 1


# --------------------------------------------------------------------------- line joining

_LONE_LABEL = re.compile(
    r"(?:[IVXLC]{1,6}|\d{1,3}(?:\.\d{1,3})*|[a-zđ])[.)]?"
    r"|(?:Điều|Chương|Mục|Phần|Phụ|PHỤ LỤC|Phụ lục)(?:\s+[\dIVXLC]+[.:]?)?"
)
_BULLET = re.compile(r"[-+•–●](?:\s|$)")
_NUMBERED = re.compile(
    r"(?:[IVXLC]{1,6}|\d{1,3}(?:\.\d{1,3})*)[.)]\s*\S|[a-zđ]\)\s*\S|(?:Điều|Chương)\s+\d+|(?:Mục|Phần)\s+[\dIVX]+[.:]"
)
_STARTERS = re.compile(r"(?:Căn cứ|Xét|Theo đề nghị|Nơi nhận|Kính gửi|(?:TM|KT|TL|TUQ|Q)\.\s|PHỤ LỤC\b)")
_FOOTNOTE = re.compile(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*\S|<sup>\d")  # a footnote's text at the foot of a page
_NUMBER_AT_START = re.compile(r"\d")


def _bold_only(text: str) -> bool:
    body = text.strip()
    return body.startswith("**") and body.endswith("**") and len(_plain(body)) > 0 and not _open_markers(body)


def _heading_line(text: str) -> bool:
    """A whole line that is a heading: bold throughout, or a markdown "#" heading."""
    body = text.strip()
    return _bold_only(body) or (body.startswith("#") and not _open_markers(body))


def _structural(line: _Line) -> bool:
    """A line that starts something new: a list item, a numbered heading, a bold heading, a "Căn cứ"."""
    plain, raw = line.plain, line.raw
    return bool(
        _BULLET.match(plain)
        or re.match(r"\*\s", raw)
        or _NUMBERED.match(plain)
        or raw.startswith("#")
        or _bold_only(raw)
        or _STARTERS.match(plain)
        or _FOOTNOTE.match(raw)
    )


def _sentence_end(plain: str) -> bool:
    """A full stop after a word ("… năm 2023."), not an ellipsis or an abbreviation ("TP.", "v.v.")."""
    if not plain.endswith(".") or plain.endswith(".."):
        return False
    word = re.sub(r"\W", "", plain.split()[-1])
    return len(word) >= 3 and not word.isupper() and "." not in plain.split()[-1][:-1]


def _all_caps(plain: str) -> bool:
    letters = [c for c in plain if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


def _last_word(plain: str) -> str:
    words = plain.split()
    return words[-1].lower() if words else ""


def _joins(para: str, lines_in_para: int, a: _Line, b: _Line, mode: str, width: int) -> bool:
    """Whether line b continues the paragraph ``para`` whose last line is a.

    ``mode``: "wrapped" (no blank lines anywhere: every break is a question), "blank" (paragraphs
    are separated by blank lines: a break inside one is a wrap unless b starts something new) or
    "cell" (a cell of a layout table: short lines stay lines)."""
    open_markers = _open_markers(para)
    pa, pb = a.plain or _plain(para), b.plain
    if not pb:
        return open_markers  # a line of markers only ("**") closes what is open
    if not pa or (lines_in_para <= 2 and _LONE_LABEL.fullmatch(_plain(para))):
        return True  # "2." / "**Điều" / "## II." alone: its title is on the next line
    if open_markers and lines_in_para <= 3:
        return True
    # a is full when b's first word would not have fitted on it: the break is the wrap's, not the author's
    full = len(a.raw) + 1 + len(b.raw.split()[0]) > width - max(3, width // 8)
    if _structural(b) or _LONE_LABEL.fullmatch(pb):
        after_dash = pb[1:].strip()[:1]
        bullet_wrap = _BULLET.match(pb) and not _terminated(pa) and (
            after_dash.islower() or (after_dash.isdigit() and pa[-1:].isdigit())
        )
        return bool(bullet_wrap and mode != "cell" and full)  # "kinh tế⏎- xã hội", "05⏎- 06%"
    if open_markers and lines_in_para <= 8:
        return True
    if para[:1] in ("*", "#", "<") and _heading_line(para):
        # "## I. DANH⏎MỤC THỦ TỤC …": a capitals heading cut short goes on in capitals
        cut_short = para.lstrip().startswith("#") and _NUMBERED.match(pa) and _all_caps(pa) and _all_caps(pb)
        ends_open = _last_word(pa) in _CONNECTORS or pa.endswith(",")
        return bool(cut_short and mode != "cell") or (pb[0].islower() and ends_open)
    if _FOOTNOTE.match(para.lstrip()) and not full:
        return False  # the body text resumes after the footnotes printed at the foot of the page
    if mode == "wrapped" and pb[0].islower() and _sentence_end(pa):
        return False  # "… năm 2023.⏎nghiệp phải …": the rest of something cut by a page, not this sentence
    if pb[0].islower() or _NUMBER_AT_START.match(pb):
        return True
    if mode == "cell":
        return pa.endswith((",", "-", "–")) or _last_word(pa) in _CONNECTORS
    if _terminated(pa):
        return mode == "blank" or full
    if pa.endswith((",", "-", "–", "/", "(")) or _last_word(pa) in _CONNECTORS:
        return True
    if mode == "blank" or (_all_caps(pa) and _all_caps(pb)):
        return True
    return full


# --------------------------------------------------------------------------- tables

_INDEX = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*\.?|[IVXLC]{1,6}\.?|[a-zđ][.)]?|[-+•]|B\d{1,2})")
_ROW_LABEL = re.compile(r"[-+•]\s*\S|(?:\d{1,3}(?:\.\d{1,3})*|[a-zđ])[.)]\s+\S")
_TITLE_LIKE = re.compile(r"(?:PHỤ LỤC|Phụ lục|PHỤ\s*$|DANH MỤC|DANH SÁCH|QUY ĐỊNH|QUY CHẾ|KẾ HOẠCH|QUYẾT ĐỊNH|Điều \d)")
# Cells of layout tables: the national motto, the recipients, the signature, a form's signature.
_LAYOUT_CELL = re.compile(
    r"(?:.*\b(?:cong hoa xa|doc lap - tu do|noi nhan|kinh gui|nguoi lam don|\(ky,? ghi ro|\(ky ten))"
    r"|(?:tm|kt|tl|tuq|q)\.\s|(?:pho )?chu tich$|so\s*:\s*\S*\d|v/v\b"
)


@dataclass
class _Item:
    lines: list[int]  # line indices of a cell's content; [] for nothing between two bars
    explicit: bool = False  # "** **": an empty cell for sure (a row break is always nothing)


class _Normalizer:
    def __init__(
        self, text: str, lines: list[_Line], bounds: _Bounds | None, blank_mode: bool, furniture: set[int]
    ) -> None:
        self.original = text
        self.lines = lines
        self.bounds = bounds
        self.parts: list[str] = []
        self.size = 0
        self.runs: list[tuple[int, int, int]] = []
        self.kept: list[bool] = [False] * len(lines)  # lines whose text went (at least partly) out
        self.blank_mode = blank_mode
        self.width = _wrap_width(lines)
        self.furniture = furniture

    # ---------------------------------------------------------------- output

    def _emit(self, piece: _Piece) -> None:
        text = piece.text
        if not text:
            return
        base = self.size
        run_start = -1
        for k, origin in enumerate(piece.origin):
            if origin >= 0 and run_start >= 0 and origin == piece.origin[k - 1] + 1:
                continue
            if run_start >= 0:
                self._run(base + run_start, piece.origin[run_start], k - run_start)
                run_start = -1
            if origin >= 0:
                run_start = k
        if run_start >= 0:
            self._run(base + run_start, piece.origin[run_start], len(piece.origin) - run_start)
        self.parts.append(text)
        self.size += len(text)

    def _run(self, norm: int, orig: int, n: int) -> None:
        if self.runs:
            last_norm, last_orig, last_n = self.runs[-1]
            if last_norm + last_n == norm and last_orig + last_n == orig:
                self.runs[-1] = (last_norm, last_orig, last_n + n)
                return
        self.runs.append((norm, orig, n))

    def _separate(self, ws: str) -> None:
        """Whitespace between emitted blocks (nothing at the very start)."""
        if self.size:
            self.parts.append(ws)
            self.size += len(ws)

    def _line_piece(self, piece: _Piece, index: int) -> None:
        line = self.lines[index]
        piece.add(line.raw, line.start)
        self.kept[index] = True

    # ---------------------------------------------------------------- main

    def run(self) -> Layout:
        first, last = (self.bounds.first, self.bounds.last) if self.bounds else (0, len(self.lines))
        pending: list[int] = []
        i = first
        while i < last:
            line = self.lines[i]
            if line.kind == "bar":
                self._flush(pending)
                i = self._bar_table(i, last)
            elif line.kind == "pipe":
                self._flush(pending)
                i = self._pipe_table(i, last)
            elif line.kind == "blank":
                if self.blank_mode and not self._cut_by_blank(pending, i, last):
                    self._flush(pending)
                i += 1
            elif line.kind == "text" and i not in self.furniture:
                pending.append(i)
                i += 1
            else:  # rules, marker-only lines
                i += 1
        self._flush(pending)
        return self._result(first, last)

    def _result(self, first: int, last: int) -> Layout:
        """The layout, with what was left out of the original and why."""
        kept: list[Span] = []  # original spans copied, merged, in order
        for _, orig, n in sorted(self.runs, key=lambda run: run[1]):
            if kept and kept[-1][1] >= orig:
                kept[-1] = (kept[-1][0], max(kept[-1][1], orig + n))
            else:
                kept.append((orig, orig + n))
        starts = [s for s, _ in kept]
        dropped: list[tuple[int, int, str]] = []
        for index, line in enumerate(self.lines):
            if line.kind == "blank":
                continue
            why = "site chrome" if index < first or index >= last else {
                "bar": "table separator", "rule": "rule line", "junk": "empty markup",
            }.get(line.kind, "markup")
            if index in self.furniture:
                why = "page furniture"
            k = max(0, bisect_right(starts, line.start) - 1)
            position = line.start
            while position < line.end:
                while k < len(kept) and kept[k][1] <= position:
                    k += 1
                gap_end = min(line.end, kept[k][0]) if k < len(kept) else line.end
                if gap_end > position:
                    gap = self.original[position:gap_end]
                    a, b = position + len(gap) - len(gap.lstrip()), gap_end - (len(gap) - len(gap.rstrip()))
                    for piece in re.finditer(r"\S+(?:\s+\S+)*", self.original[a:b]) if a < b else ():
                        dropped.append((a + piece.start(), a + piece.end(), why))
                    position = gap_end
                if k < len(kept) and kept[k][0] <= position:
                    position = kept[k][1]
        layout = Layout(self.original, "".join(self.parts), self.runs, dropped)
        if self.bounds:
            layout.site_meta = dict(self.bounds.meta)
        return layout

    # ---------------------------------------------------------------- paragraphs

    def _flush(self, pending: list[int]) -> None:
        if not pending:
            return
        mode = "blank" if self.blank_mode else "wrapped"
        paragraphs = self._reflow(pending, mode)
        inner = "\n" if self.blank_mode else "\n\n"
        self._separate("\n\n")
        for k, paragraph in enumerate(paragraphs):
            if k:
                self._separate(inner)
            self._emit(self._paragraph(paragraph))
        pending.clear()

    def _cut_by_blank(self, pending: list[int], blank: int, stop: int) -> bool:
        """A paragraph cannot end on "của", "và", "trong" …: the blank line cuts a sentence."""
        nxt = blank
        while nxt < stop and self.lines[nxt].kind == "blank":
            nxt += 1
        if not pending or nxt >= stop or self.lines[nxt].kind != "text":
            return False
        a, b = self.lines[pending[-1]], self.lines[nxt]
        return _last_word(a.plain) in _CONNECTORS and not _structural(b) and not _heading_line(a.raw)

    def _reflow(self, indices: list[int], mode: str) -> list[list[int]]:
        paragraphs: list[list[int]] = []
        para = ""
        for index in indices:
            line = self.lines[index]
            if paragraphs and _joins(para, len(paragraphs[-1]), self.lines[paragraphs[-1][-1]], line, mode, self.width):
                paragraphs[-1].append(index)
                para += " " + line.raw
            else:
                paragraphs.append([index])
                para = line.raw
        return paragraphs

    def _paragraph(self, indices: list[int]) -> _Piece:
        piece = _Piece()
        for k, index in enumerate(indices):
            if k:
                piece.space(" ")
            self._line_piece(piece, index)
        _repair_markup(piece, (_INLINE_CHROME,))
        return piece

    # ---------------------------------------------------------------- bar tables

    def _bar_table(self, start: int, stop: int) -> int:
        items, end = self._bar_items(start, stop)
        rows = _rows(items, self.lines)
        if not rows:
            return end
        if _is_layout_table(rows, self.lines):
            for row in rows:
                for cell in row:
                    if cell.lines:
                        self._separate("\n\n")
                        for k, paragraph in enumerate(self._reflow(cell.lines, "cell")):
                            if k:
                                self._separate("\n")
                            self._emit(self._paragraph(paragraph))
            return end
        self._separate("\n\n")
        rows = [row for row in rows if any(cell.lines for cell in row)]
        for r, row in enumerate(rows):
            if r:
                self._separate("\n")
            piece = _Piece()
            cells = list(row)
            if len(cells) < 2:
                cells.append(_Item([]))
            for c, cell in enumerate(cells):
                if c:
                    piece.space("\t")
                cell_piece = _Piece()
                for k, index in enumerate(cell.lines):
                    if k:
                        cell_piece.space(" ")
                    self._line_piece(cell_piece, index)
                _repair_markup(cell_piece, (_CELL_HASHES,))
                piece.chars.extend(cell_piece.chars)
                piece.origin.extend(cell_piece.origin)
            self._emit(piece)
        return end

    def _pipe_table(self, start: int, stop: int) -> int:
        lines = self.lines
        end = start
        while end < stop and lines[end].kind in ("pipe", "bar"):
            end += 1
        rows: list[_Piece] = []
        for index in range(start, end):
            line = lines[index]
            if line.kind != "pipe" or re.fullmatch(r"[|\s:\-]+", line.raw):
                continue  # the "|---|" row, lone bars
            piece = _Piece()
            cells = _split_pipe_row(line.raw)
            for c, (a, b) in enumerate(cells):
                if c:
                    piece.space("\t")
                piece.add(line.raw[a:b], line.start + a)
            while piece.chars and piece.chars[-1] == "\t":
                piece.chars.pop()
                piece.origin.pop()
            if "\t" not in piece.chars:
                piece.space("\t")
            if any(ch.strip() for ch in piece.chars):
                self.kept[index] = True
                rows.append(piece)
        if rows:
            self._separate("\n\n")
            for k, piece in enumerate(rows):
                if k:
                    self._separate("\n")
                self._emit(piece)
        return end

    def _bar_items(self, start: int, stop: int) -> tuple[list[_Item], int]:
        """The cells between the lone "|" lines from ``start``, and the line after the table."""
        lines = self.lines
        items: list[_Item] = []
        largest = 1
        j = start + 1
        while j < stop:
            line = lines[j]
            if line.kind == "bar":
                items.append(_Item([]))
                j += 1
                continue
            if line.kind == "blank" and self.blank_mode:
                break
            # content up to the next bar: a cell, or the text after the table
            k = j
            while k < stop and lines[k].kind != "bar" and not (self.blank_mode and lines[k].kind == "blank"):
                k += 1
            content = [n for n in range(j, k) if lines[n].kind in ("text", "pipe")]
            if k >= stop or lines[k].kind != "bar" or len(content) > max(25, 3 * largest):
                break
            since_row = 0
            for item in reversed(items):
                if not item.lines and not item.explicit:
                    break
                since_row += 1
            title = _TITLE_LIKE.match(lines[content[0]].plain) if content else None
            if title and (since_row >= 1 or title.group().upper().startswith("PHỤ")):
                break  # "**PHỤ LỤC**", "KẾ HOẠCH" after a closing table: the document goes on
            if content and lines[content[0]].raw.startswith("#"):
                break  # a markdown heading is never a cell
            explicit = not content and any(lines[n].kind == "junk" for n in range(j, k))
            items.append(_Item(content, explicit))
            largest = max(largest, len(content))
            j = k + 1
        while items and not items[-1].lines:
            items.pop()
        return items, j


def _cell_plain(lines: list[_Line], item: _Item) -> str:
    return " ".join(lines[n].plain for n in item.lines).strip()


def _rows(items: list[_Item], lines: list[_Line]) -> list[list[_Item]]:
    """Rows of a one-cell-per-line table. A row break is always an empty item ("|⏎|"), but an
    empty item can also be an empty cell; which one it is follows from the width of the table,
    the widths of the runs of cells around it and whether the next cell opens a row ("1", "- …")."""
    runs: list[tuple[int, list[_Item]]] = []  # (empty items before the run, the run)
    gap = 0
    for item in items:
        if item.lines or item.explicit:
            if gap or not runs:
                runs.append((gap, [item]))
            else:
                runs[-1][1].append(item)
            gap = 0
        else:
            gap += 1
    if not runs:
        return []
    width = _table_width([len(run) for _, run in runs])
    header_first = _cell_plain(lines, runs[0][1][0]) if runs[0][1] else ""
    index_table = fold_accents(header_first).replace(" ", "") in ("tt", "stt", "sott", "sothutu")
    rows: list[list[_Item]] = [list(runs[0][1])]
    last_index = ""
    for gap, run in runs[1:]:
        row = rows[-1]
        first = _cell_plain(lines, run[0])
        starts_row = _ROW_LABEL.match(first) is not None or (
            index_table and _INDEX.fullmatch(first) is not None and _follows(last_index, first)
        )
        if len(rows) == 1 or starts_row or len(row) + gap >= width or len(row) + gap + len(run) > width:
            trailing = min(gap - 1, max(0, width - len(row)))
            row.extend(_Item([]) for _ in range(trailing))
            rows.append([_Item([]) for _ in range(gap - 1 - trailing)] + list(run))
        else:
            row.extend(_Item([]) for _ in range(gap))
            row.extend(run)
        if index_table and _INDEX.fullmatch(first):
            last_index = first
    _align_header(rows, lines, width)
    return rows


def _align_header(rows: list[list[_Item]], lines: list[_Line], width: int) -> None:
    """A second or third header row sits under the spanning cells of the first ("GIAI ĐOẠN
    2026 - 2030" over Năm 2026 … Năm 2030), which come after the cells spanning all header rows:
    pad it on the left so its cells stand under their columns."""
    for row in rows[1:3]:
        filled = [cell for cell in row if cell.lines]
        bold = filled and all(" ".join(lines[n].raw for n in cell.lines).startswith("**") for cell in filled)
        if not bold or _INDEX.fullmatch(_cell_plain(lines, row[0]) or "x"):
            return
        while row and not row[-1].lines:
            row.pop()
        if row and row[0].lines and len(row) < width:
            row[:0] = [_Item([]) for _ in range(width - len(row))]


def _table_width(run_lengths: list[int]) -> int:
    """Columns of a table from the runs of filled cells: the header's, the most common run's, or
    the longest one seen twice (a row glued to the next by a missing row break is seen once)."""
    counts = Counter(run_lengths)
    repeated = [n for n, c in counts.items() if c >= 2]
    return max(run_lengths[0], counts.most_common(1)[0][0], max(repeated, default=0))


def _follows(previous: str, current: str) -> bool:
    """"2" after "1", "II" after "I", or a row label that restarts or never counts ("-", "a", "1")."""
    if not current[:1].isdigit():
        return True
    number = current.rstrip(".").split(".")[-1]
    if not previous or not previous[:1].isdigit():
        return number in ("1", "01")
    try:
        return int(number) == int(previous.rstrip(".").split(".")[-1]) + 1 or number in ("1", "01")
    except ValueError:
        return False


def _is_layout_table(rows: list[list[_Item]], lines: list[_Line]) -> bool:
    """The header block, the signature block, a form's signature: cells to read as paragraphs."""
    width = max(len(row) for row in rows)
    if width <= 1:
        return True
    cells = [fold_accents(_cell_plain(lines, cell)) for row in rows for cell in row if cell.lines]
    marked = sum(_LAYOUT_CELL.match(cell) is not None for cell in cells)
    return len(rows) <= 4 and len(cells) <= 8 and marked >= 1


def _split_pipe_row(raw: str) -> list[Span]:
    """(start, end) of each cell's text in a markdown pipe row, outer pipes excluded."""
    cells: list[Span] = []
    start = 1 if raw.startswith("|") else 0
    for k in range(start, len(raw) + 1):
        if k == len(raw) or raw[k] == "|":
            a, b = start, k
            while a < b and raw[a].isspace():
                a += 1
            while b > a and raw[b - 1].isspace():
                b -= 1
            cells.append((a, b))
            start = k + 1
    if raw.endswith("|"):
        cells.pop()
    return cells
