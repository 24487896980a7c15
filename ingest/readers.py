"""Read a report file (txt, md, docx, pdf, html) into Unicode text.

Structure is kept in the plain-text shape the sample reports use, so the chunker
treats every format alike: blank line between paragraphs, "#" headings,
``**bold**`` lines, and table rows as one line each with cells joined by TAB.
python-docx, pypdf and bs4 are imported when a file of their kind is read (pypdf and
bs4 alone take about a second to import).
"""
from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.encodings import DecodeError, decode_bytes, decode_text, fix_legacy_text
from ingest.walker import UnsafeFileError, read_bounded

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({".txt", ".md", ".docx", ".pdf", ".html", ".htm"})
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class ReadError(Exception):
    """A file could not be read; str(e) is one user-facing reason."""


@dataclass
class RawText:
    # NFC, line breaks kept; citation offsets index it. For txt/md: the decoded file
    # content, unchanged but for NFC (and lines in a legacy font encoding converted).
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1258", "tcvn3", "vni", "utf-8+tcvn3", ...
    source_format: str  # "txt" | "md" | "docx" | "pdf" | "html"
    warnings: list[str] = field(default_factory=list)  # what was done to the text that the user should know


@dataclass(frozen=True)
class TextLimits:
    """Work limits on the text of one file (``Settings.max_line_chars``)."""

    max_line_chars: int = 20_000


def split_long_lines(raw: RawText, limits: TextLimits) -> RawText:
    """Lines longer than ``limits.max_line_chars`` split at a space (else hard) into lines of at most that."""
    top = limits.max_line_chars
    if top <= 0 or all(len(line) <= top for line in raw.text.split("\n")):
        return raw
    out: list[str] = []
    long_lines: list[int] = []
    for number, line in enumerate(raw.text.split("\n"), start=1):
        if len(line) <= top:
            out.append(line)
            continue
        long_lines.append(number)
        while len(line) > top:
            cut = line.rfind(" ", top // 2, top + 1)
            cut = cut if cut > 0 else top
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        out.append(line)
    shown = ", ".join(map(str, long_lines[:5])) + (" …" if len(long_lines) > 5 else "")
    warning = (f"{len(long_lines)} line(s) longer than {top} characters split into shorter lines "
               f"(line {shown}; BAOCAO_MAX_LINE_CHARS)")
    return RawText("\n".join(out), raw.encoding, raw.source_format, [*raw.warnings, warning])


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, limits: TextLimits | None = None) -> RawText:
    """Read ``path`` into text. Raises ReadError with the reason when it cannot.

    Only regular files are read, and never more than ``max_bytes`` bytes (``ingest.walker``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError("file not found")
    if path.is_dir():
        raise ReadError("is a directory, not a file")
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ReadError(f"unsupported file type '{suffix or path.name}'")
    try:
        data = read_bounded(path, max_bytes)
    except UnsafeFileError as e:
        raise ReadError(str(e)) from None
    return read_data(data, suffix, limits)


def read_data(data: bytes, suffix: str, limits: TextLimits | None = None) -> RawText:
    """The text of a file's bytes, read as a file of type ``suffix`` (".txt", ".pdf", ...)."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ReadError(f"unsupported file type '{suffix or '(none)'}'")
    if not data:
        raise ReadError("empty file")
    if suffix in (".txt", ".md"):
        raw = _read_text(data, suffix[1:])
    elif suffix == ".docx":
        raw = _read_docx(data)
    elif suffix == ".pdf":
        raw = _read_pdf(data)
    else:
        raw = _read_html(data)
    if not raw.text.strip():
        raise ReadError("empty file" if raw.source_format in ("txt", "md") else "no text found in the document")
    return split_long_lines(raw, limits) if limits is not None else raw


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- txt / md ---------------------------------------------------------------------------


def _read_text(data: bytes, fmt: str) -> RawText:
    try:
        decoded = decode_text(data)
    except DecodeError as e:
        raise ReadError(str(e)) from None
    return RawText(text=decoded.text, encoding=decoded.encoding, source_format=fmt, warnings=decoded.warnings)


def _with_legacy_fixed(text: str, encoding: str, fmt: str) -> RawText:
    """Convert lines set in TCVN3/VNI fonts (common in older .docx/.pdf) to Unicode."""
    fixed, legacy = fix_legacy_text(_nfc(text))
    return RawText(text=fixed, encoding=f"{encoding}+{legacy}" if legacy else encoding, source_format=fmt)


# --- docx -------------------------------------------------------------------------------


def _read_docx(data: bytes) -> RawText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except PackageNotFoundError:
        raise ReadError("unreadable .docx (not a Word document)") from None
    except Exception as e:  # zip/xml errors from a damaged file
        raise ReadError(f"unreadable .docx: {e}") from None
    blocks = [b for b in _docx_blocks(document.element.body, document) if b.strip()]
    return _with_legacy_fixed("\n\n".join(blocks), "utf-8", "docx")


def _docx_blocks(container, document) -> Iterator[str]:
    """Paragraphs and tables in body order (content controls are opened, not skipped)."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield _docx_paragraph(Paragraph(child, document))
        elif child.tag == qn("w:tbl"):
            yield _docx_table(Table(child, document))
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _docx_blocks(content, document)


_HEADING_STYLE = re.compile(r"^(?:heading|title)\s*(\d)?$", re.IGNORECASE)


def _docx_paragraph(paragraph) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    style_name = paragraph.style.name if paragraph.style is not None else ""
    m = _HEADING_STYLE.match(style_name or "")
    if m:
        level = min(int(m.group(1) or 1), 6)
        return "#" * level + " " + " ".join(text.split())
    if _is_bold_only(paragraph):
        return f"**{text}**"
    return text


def _is_bold_only(paragraph) -> bool:
    """Every run with visible text is bold (directly or through the paragraph style)."""
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    runs = [r for r in paragraph.runs if r.text.strip()]
    if not runs:
        return False
    return all(
        r.bold or (r.bold is None and (style_bold or (r.style is not None and r.style.font.bold)))
        for r in runs
    )


def _docx_table(table) -> str:
    """One line per row, cells joined by TAB; merged cells leave empty cells after/below them."""
    from docx.table import _Cell

    lines = []
    for tr in table._tbl.tr_lst:
        cells: list[str] = []
        for tc in tr.tc_lst:
            if tc.vMerge == "continue":
                text = ""
            else:
                cell = _Cell(tc, table)
                parts = [_docx_paragraph(p) for p in cell.paragraphs]
                parts += [_docx_table(t).replace("\n", " ") for t in cell.tables]
                text = " ".join(" ".join(parts).split())
            cells.append(text)
            cells.extend([""] * (tc.grid_span - 1))
        if any(cells):
            lines.append("\t".join(cells))
    return "\n".join(lines)


# --- pdf --------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        if message not in self.messages:
            self.messages.append(message)


def _read_pdf(data: bytes) -> RawText:
    """pypdf's own warnings (damaged cross-references, ...) become the file's warnings, not stray stderr lines."""
    pypdf_log = logging.getLogger("pypdf")
    collect = _Collect()
    pypdf_log.addHandler(collect)
    propagate, pypdf_log.propagate = pypdf_log.propagate, False
    try:
        raw = _read_pdf_quiet(data)
    finally:
        pypdf_log.removeHandler(collect)
        pypdf_log.propagate = propagate
    shown = collect.messages[:3]
    if shown:
        more = f" (+{len(collect.messages) - 3} more)" if len(collect.messages) > 3 else ""
        raw.warnings.append("pypdf: " + "; ".join(shown) + more)
    return raw


def _read_pdf_quiet(data: bytes) -> RawText:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except DependencyError:
                raise ReadError("PDF is encrypted (its AES encryption needs the 'cryptography' package)") from None
            if not decrypted:
                raise ReadError("PDF is encrypted")
        pages = [_nfc(page.extract_text() or "").strip("\n") for page in reader.pages]
    except ReadError:
        raise
    except FileNotDecryptedError:
        raise ReadError("PDF is encrypted") from None
    except Exception as e:  # PdfReadError and the many other kinds pypdf raises on damaged files
        raise ReadError(f"unreadable PDF: {e}") from None
    if not any(p.strip() for p in pages):
        raise ReadError("PDF has no text layer (scanned?) — run OCR first")
    return _with_legacy_fixed("\n\n".join(pages), "unicode", "pdf")


# --- html -------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Declared "Western" charsets are what old pages set in .VnTime/VNI fonts declared too,
# so for these the bytes are examined like an undeclared file.
_WESTERN = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}


def _decode_html(data: bytes) -> tuple[str, str]:
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else ""
    has_bom = data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    if declared and declared not in _WESTERN and not has_bom:
        try:
            return _nfc(data.decode(declared)), declared
        except (LookupError, UnicodeDecodeError):
            pass  # unknown or wrong declaration: detect instead
    try:
        return decode_bytes(data)
    except DecodeError as e:
        raise ReadError(str(e)) from None


_BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details div dl dt fieldset figcaption figure "
    "footer form header hr li main nav ol p pre section summary ul caption".split()
)
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_SKIP_TAGS = frozenset("script style noscript template head iframe object svg canvas".split())
_BR = "\ue000"  # a <br> inside inline text, apart from the source's own (insignificant) newlines


# Portal chrome around a document: site header, menus, breadcrumbs, sidebars, footers.
_CHROME_TAGS = frozenset({"nav", "aside", "footer", "header", "form", "button"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_CHROME_CLASS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|breadcrumbs?|sidebar|footer|site-header|banner)(?:$|[-_\s])", re.IGNORECASE
)


def _is_chrome(tag) -> bool:
    """Site chrome, unless it sits inside the document ("<article><header><h1>…" is its title)."""
    if tag.find_parent(["article", "main"]) is not None:
        return tag.name in ("nav", "aside", "form", "button")
    if tag.name in _CHROME_TAGS or str(tag.get("role", "")).lower() in _CHROME_ROLES:
        return True
    names = " ".join([*tag.get("class", []), str(tag.get("id", ""))])
    return bool(names) and _CHROME_CLASS.search(names) is not None and tag.name in ("div", "section", "ul", "p", "span")


def _document_root(soup):
    """The page's <main>, its only <article>, else the whole body."""
    main = soup.find("main")
    if main is not None:
        return main
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def _read_html(data: bytes) -> RawText:
    from bs4 import BeautifulSoup

    text, encoding = _decode_html(data)
    soup = BeautifulSoup(text, "html.parser")
    blocks: list[str] = []
    _html_blocks(_document_root(soup), blocks)
    out = "\n\n".join(b for b in blocks if b.strip())
    return _with_legacy_fixed(out, encoding, "html")


def _html_blocks(node, blocks: list[str]) -> None:
    """Append the text blocks under ``node``: inline content is gathered into one block."""
    from bs4.element import NavigableString, PreformattedString, Tag

    inline: list[str] = []

    def flush() -> None:
        lines = (" ".join(line.split()) for line in "".join(inline).split(_BR))
        text = "\n".join(line for line in lines if line)
        if text:
            blocks.append(text)
        inline.clear()

    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, doctype, CDATA, <?...?>
            continue
        if isinstance(child, NavigableString):
            inline.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name in _SKIP_TAGS or _is_chrome(child):
            continue
        name = child.name
        if name == "br":
            inline.append(_BR)
        elif name in _HEADINGS:
            flush()
            heading = _collapse(_html_inline(child, bold=False))
            if heading:
                blocks.append("#" * _HEADINGS[name] + " " + heading)
        elif name == "table":
            flush()
            blocks.append(_html_table(child))
        elif name == "pre":
            flush()
            blocks.append(child.get_text().strip("\n"))
        elif name == "li":
            flush()
            sub: list[str] = []
            _html_blocks(child, sub)
            if sub:
                blocks.append("- " + sub[0])
                blocks.extend(sub[1:])
        elif name in _BLOCK_TAGS:
            flush()
            _html_blocks(child, blocks)
        else:
            inline.append(_html_inline(child, bold=True))
    flush()


def _html_inline(tag, bold: bool) -> str:
    """Text of an inline element, whitespace as in the source (<br> as _BR);
    <b>/<strong> as **...** when ``bold``."""
    from bs4.element import NavigableString, PreformattedString, Tag

    parts: list[str] = []
    for child in tag.children:
        if isinstance(child, PreformattedString):
            continue
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag) and child.name not in _SKIP_TAGS:
            parts.append(_BR if child.name == "br" else _html_inline(child, bold))
    text = "".join(parts)
    if bold and tag.name in ("b", "strong") and text.strip():
        # Spaces stay outside the markers: "a<b> x </b>b" -> "a **x** b".
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() else ""
        return f"{lead}**{_collapse(text)}**{trail}"
    return text


def _collapse(text: str) -> str:
    return " ".join(text.replace(_BR, " ").split())


def _html_table(table) -> str:
    """Rows of this table (not of tables nested in its cells), cells joined by TAB."""
    from bs4 import Tag

    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    lines = []
    for tr in rows:
        cells = []
        for cell in tr.find_all(["td", "th"], recursive=False):
            cells.append(_collapse(_html_inline(cell, bold=True)))
            span = cell.get("colspan") if isinstance(cell, Tag) else None
            if isinstance(span, str) and span.isdigit():
                cells.extend([""] * (min(int(span), 50) - 1))
        if any(c for c in cells):
            lines.append("\t".join(cells))
    return "\n".join(lines)
