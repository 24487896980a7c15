"""Types shared by every package: a document's metadata and record, its chunks and their layout."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ChunkKind = Literal["text", "table", "footnote", "closing"]
UnitKind = Literal["sentence", "item", "row", "footnote", "heading"]


@dataclass
class DocumentMeta:
    """Per-document metadata, copied onto every chunk (flat, so Chroma can filter on it)."""

    doc_id: str  # stable id: the file's source key (path relative to the folder given); see ingest.pipeline.Identities
    source: str  # file name as shipped, e.g. "001_4f6835b70005be68.txt"
    path: str = ""  # absolute path when ingested
    content_hash: str = ""
    issuer: str = ""  # "UBND thị xã Hương Trà"
    locality: str = ""  # "Hương Trà"
    locality_level: str = ""  # tỉnh | thành phố | thị xã | huyện | quận | phường | xã
    parent_locality: str = ""  # "thành phố Tây Ninh" for Phường 2
    doc_number: str = ""  # "3422/BC-UBND"; "" when the number is blank
    doc_type: str = ""  # Báo cáo | Kế hoạch | Tờ trình | Quyết định | Công văn | ...
    is_draft: bool = False
    date_issued: str = ""  # ISO, partial allowed: "2023-11-14", "2024-01", "2024"
    issued_year: int = 0  # 0 = unknown
    issued_month: int = 0
    issued_day: int = 0
    period: str = ""  # human form: "2023", "02/2023", "2024"
    period_year: int = 0
    period_month: int = 0  # 0 when the document covers a whole year
    plan_year: int = 0  # year of the tasks/plan the document sets out (0 if none)
    title: str = ""  # "Báo cáo công tác chính quyền năm 2023 và nhiệm vụ năm 2024"
    short_title: str = ""  # "BC 3422/BC-UBND – UBND thị xã Hương Trà – 2023"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentMeta:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def label(self) -> str:
        """How answers and lists name the document."""
        return self.short_title or self.title or self.source or self.doc_id


@dataclass
class DocumentRecord:
    """A stored document: its metadata and the generation (content version) that is live."""

    meta: DocumentMeta
    generation: str
    chunk_count: int
    encoding: str
    source_format: str
    ingested_at: float


@dataclass
class LayoutUnit:
    """One answerable piece of a chunk, found by ingest: a sentence, a list item, a table row with
    its header cells, a footnote or a heading. ``chunk.text[start:end]`` is the unit as written;
    ``text`` is what an answer shows (whitespace collapsed, bullets dropped, a table row with its
    column names: "Thu nhập bình quân (Tr.đồng/người): Kế hoạch 50-52; Ước TH 51,5; So sánh: Đạt")."""

    kind: UnitKind
    start: int
    end: int
    text: str
    context: str = ""  # the heading, table header or group row above it: matched, not shown
    block: int = -1  # units of one list or one table share a block id (>= 0)
    marks: list[str] = field(default_factory=list)  # footnote markers it cites ("7")
    footnote: str = ""  # for a footnote: its marker
    cells: dict[str, str] = field(default_factory=dict)  # table row: column name -> value
    label: str = ""  # table row: its first cell
    status: str = ""  # table row: its evaluation cell ("Đạt", "Không đạt"), if any
    parent: str = ""  # table row: the row it belongs to ("- Trong đó ..." under "4. Tổng thu ...")

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in ("", -1, [], {}) or k in ("kind", "start", "end", "text")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayoutUnit:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def chunk_id(doc_id: str, generation: str, position: int) -> str:
    """The one chunk-id format: '<doc_id>:<generation[:8]>:<position>' (the generation keeps a new
    version of a document from overwriting the live one in place)."""
    return f"{doc_id}:{generation[:8]}:{position:04d}"


def parse_chunk_id(value: str) -> tuple[str, str, int] | None:
    """(doc_id, generation prefix, position) of an id made by :func:`chunk_id`, else None."""
    parts = value.rsplit(":", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


@dataclass
class Chunk:
    """A piece of a document that is embedded, indexed and cited on its own.

    ``text`` is what users see (markup stripped, original spelling kept);
    ``search_text`` is normalised (NFC, one tone-mark style) for the lexical index;
    ``embed_text`` adds the document's short title and the section path so the chunk
    means something on its own. ``spans`` are ``(start, end)`` character offsets into
    the document's original text that this chunk's content came from. ``layout`` lists
    the chunk's answer units with spans into ``text``.
    """

    chunk_id: str
    doc_id: str
    position: int
    kind: ChunkKind
    text: str
    search_text: str
    embed_text: str
    section_path: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)  # footnote markers attached here
    n_tokens: int = 0  # in the embedder's tokenizer
    n_llm_tokens: int = 0  # tiktoken cl100k_base
    meta: DocumentMeta | None = None
    layout: list[LayoutUnit] = field(default_factory=list)
    generation: str = ""

    @property
    def start(self) -> int:
        return min((s for s, _ in self.spans), default=0)

    @property
    def end(self) -> int:
        return max((e for _, e in self.spans), default=0)

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    def to_metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for the vector store (scalars only)."""
        flat: dict[str, str | int | float | bool] = {
            "doc_id": self.doc_id,
            "position": self.position,
            "kind": self.kind,
            "section": self.section,
            "section_path": json.dumps(self.section_path, ensure_ascii=False),
            "spans": json.dumps(self.spans),
            "start": self.start,
            "end": self.end,
            "footnotes": json.dumps(self.footnotes, ensure_ascii=False),
            "n_tokens": self.n_tokens,
            "n_llm_tokens": self.n_llm_tokens,
            "search_text": self.search_text,
            "embed_text": self.embed_text,
            "layout": json.dumps([u.to_dict() for u in self.layout], ensure_ascii=False),
            "generation": self.generation,
        }
        if self.meta is not None:
            for key, value in self.meta.to_dict().items():
                if key != "doc_id":
                    flat[key] = value
        return flat

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, md: dict[str, Any]) -> Chunk:
        meta = DocumentMeta.from_dict({**md, "doc_id": md["doc_id"]})
        return cls(
            chunk_id=chunk_id,
            doc_id=str(md["doc_id"]),
            position=int(md.get("position", 0)),
            kind=md.get("kind", "text"),
            text=text,
            search_text=str(md.get("search_text", "")),
            embed_text=str(md.get("embed_text", "")),
            section_path=json.loads(str(md.get("section_path", "[]"))),
            spans=[(int(s), int(e)) for s, e in json.loads(str(md.get("spans", "[]")))],
            footnotes=json.loads(str(md.get("footnotes", "[]"))),
            n_tokens=int(md.get("n_tokens", 0)),
            n_llm_tokens=int(md.get("n_llm_tokens", 0)),
            meta=meta,
            layout=[LayoutUnit.from_dict(u) for u in json.loads(str(md.get("layout", "[]")))],
            generation=str(md.get("generation", "")),
        )


TargetKind = Literal["target", "estimate", "actual", "settlement"]
TargetStatus = Literal["met", "missed", "pending", ""]


@dataclass
class TargetRecord:
    """One target or figure (chỉ tiêu) a document states, found by ``ingest.targets``.

    Values keep the report's spelling (``plan`` "14,5-15,5", ">1.650", "31/38 (81,6%)"); ``spans``
    gives, per field name ("indicator", "plan", "result", "percent_of_plan", "percent_prev"), the
    ``(start, end)`` of its text inside the source chunk's ``text``; ``evidence_span`` is the row or
    sentence the record was read from. ``status_stated`` is True when the report's own words give
    the status, False when it was computed from plan and result."""

    doc_id: str
    chunk_position: int
    indicator: str
    canonical: str = ""
    locality: str = ""
    level: str = ""
    year: int = 0
    period: str = ""
    unit: str = ""
    kind: TargetKind = "actual"
    plan: str = ""
    result: str = ""
    percent_of_plan: str = ""
    percent_prev: str = ""
    basis: str = ""
    status: TargetStatus = ""
    status_stated: bool = False
    direction: str = ""  # up | down | ""
    parent: str = ""
    origin: str = "prose"  # "table": a row of a targets table; "prose": a sentence or list item
    evidence: str = ""
    evidence_span: tuple[int, int] = (0, 0)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    source: str = ""  # the document's file name
    doc_label: str = ""  # how answers name the document
    chunk_id: str = ""  # set when the store writes the record

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence_span"] = list(self.evidence_span)
        data["spans"] = {k: list(v) for k, v in self.spans.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetRecord:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        values["evidence_span"] = tuple(values.get("evidence_span") or (0, 0))
        values["spans"] = {k: (int(v[0]), int(v[1])) for k, v in (values.get("spans") or {}).items()}
        values["status_stated"] = bool(values.get("status_stated", False))
        return cls(**values)


@dataclass
class ParsedDocument:
    """What ``ingest`` hands to the store: the original text, its metadata and chunks, and the
    target records read from the chunks (stored with the document, as one unit)."""

    meta: DocumentMeta
    original_text: str
    chunks: list[Chunk]
    encoding: str = "utf-8"
    source_format: str = "txt"
    warnings: list[str] = field(default_factory=list)  # what reading did to the text that the user should know
    targets: list[TargetRecord] = field(default_factory=list)
