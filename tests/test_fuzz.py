"""Property-based tests (hypothesis): random bytes, names and folder trees at the walker, the
readers, the chunker and metadata parsing. Derandomized (a fixed seed per test) and bounded in
examples (no wall-clock assertion: CI stays deterministic), so CI runs the same cases every time in a few seconds.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baocao.models import DocumentMeta
from ingest.chunker import chunk_document
from ingest.encodings import DecodeError, decode_text
from ingest.metadata import extract_metadata, parse_meta_options
from ingest.readers import SUPPORTED_EXTENSIONS, ReadError, TextLimits, read_data
from ingest.walker import is_sidecar, walk

BOUNDED = settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
report_text = st.text(
    alphabet=st.sampled_from(list(VIETNAMESE + VIETNAMESE.upper() + " \t\n\n.,;:%-()/0123456789#*|")), max_size=2000
)


def _count(text: str) -> int:
    return len(text.split())


# ---------------------------------------------------------------------------- readers



@BOUNDED
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(sorted(SUPPORTED_EXTENSIONS)))
def test_random_bytes_give_text_or_one_read_error(data: bytes, suffix: str) -> None:
    try:
        raw = read_data(data, suffix, TextLimits(max_line_chars=200))
    except ReadError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert raw.text.strip()
    assert all(len(line) <= 200 for line in raw.text.split("\n"))




@BOUNDED
@given(lines=st.lists(st.tuples(report_text, st.sampled_from(["utf-8", "cp1258", "utf-8"])), min_size=1, max_size=12))
def test_mixed_encodings_never_crash_and_keep_utf8_text(lines: list[tuple[str, str]]) -> None:
    data = b"\n".join(text.replace("\n", " ").encode(codec, errors="replace") for text, codec in lines)
    try:
        decoded = decode_text(data)
    except DecodeError:
        return
    if all(codec == "utf-8" for _, codec in lines):
        assert decoded.text == unicodedata.normalize("NFC", data.decode("utf-8"))
    assert "\ufffd" not in decoded.text or decoded.encoding != "utf-8"


# --------------------------------------------------------------------------- chunker, metadata



@BOUNDED
@given(text=report_text, name=st.text(max_size=60))
def test_the_chunker_and_metadata_take_any_text(text: str, name: str) -> None:
    meta = extract_metadata(text, name or "x.txt")
    assert isinstance(meta, DocumentMeta)
    meta.doc_id, meta.source = "x", name or "x.txt"
    chunks = chunk_document(text, meta, _count, max_tokens=40)
    for position, chunk in enumerate(chunks):
        assert chunk.position == position and chunk.text.strip()
        assert all(0 <= start <= end <= len(text) for start, end in chunk.spans)




@BOUNDED
@given(items=st.lists(st.text(max_size=30), max_size=5))
def test_meta_options_parse_or_say_why(items: list[str]) -> None:
    try:
        parsed = parse_meta_options(items)
    except ValueError as exc:
        assert str(exc).startswith("--meta")
        return
    assert set(parsed) <= set(DocumentMeta.__dataclass_fields__)


# ---------------------------------------------------------------------------------- walker

names = st.builds(
    lambda stem, suffix: stem + suffix,
    st.text(alphabet=st.sampled_from(list("abcxyz.-_ \nđáươ\u00a0")), min_size=1, max_size=10),
    st.sampled_from(["", ".txt", ".md", ".meta.json", ".pdf"]),
).filter(lambda n: n not in (".", ".."))
entry = st.tuples(
    st.sampled_from(["file", "dir", "link-inside", "link-outside", "dangling", "fifo", "loop"]),
    st.lists(names, min_size=1, max_size=3),
    st.binary(max_size=64),
)



@settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(entry, max_size=12))
def test_random_folder_trees_walk_safely(entries: list[tuple[str, list[str], bytes]]) -> None:
    base = Path(tempfile.mkdtemp(prefix="fuzz-walk-"))
    try:
        root, outside = base / "root", base / "outside.txt"
        root.mkdir()
        outside.write_bytes(b"outside")
        made: list[Path] = []
        for kind, parts, data in entries:
            path = root.joinpath(*parts)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() or path.is_symlink():
                    continue
                if kind == "file":
                    path.write_bytes(data)
                elif kind == "dir":
                    path.mkdir()
                elif kind == "link-inside" and made:
                    path.symlink_to(made[len(data) % len(made)])
                elif kind == "link-outside":
                    path.symlink_to(outside)
                elif kind == "dangling":
                    path.symlink_to(base / "gone")
                elif kind == "fifo":
                    os.mkfifo(path)
                elif kind == "loop":
                    path.symlink_to(path)
                made.append(path)
            except (OSError, ValueError):
                continue  # a name the tree cannot hold (a file where a folder was asked for)
        result = walk([root])
        real_root = root.resolve()
        seen = {str(f.path) for f in result.files} | {s.path for s in result.skipped}
        for found in result.files:
            info = found.path.stat()
            assert stat.S_ISREG(info.st_mode)
            assert found.path.resolve().is_relative_to(real_root)  # nothing outside the folder
        for skipped in result.skipped:
            assert skipped.reason and "\n" not in skipped.reason.replace(skipped.path, "")
        for path in made:  # every entry made is read, skipped with a reason, hidden, a sidecar or under one of those
            if str(path) in seen or any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if is_sidecar(path.name) or any(str(parent) in seen for parent in path.parents):
                continue
            if any(entry.startswith(f"{path}/") for entry in seen):  # a folder (or a link to one) with entries read
                continue
            raise AssertionError(f"{path} neither read nor reported")
    finally:
        shutil.rmtree(base, ignore_errors=True)
