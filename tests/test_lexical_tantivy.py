"""The on-disk tantivy lexical index: changed a document at a time, in step with the store."""
from __future__ import annotations

from pathlib import Path

import pytest

from baocao.settings import Settings
from tests.test_retrieval_retriever import DOCS, EMBEDDER, add, open_stack, parsed
from vectorstore import lexical_sync, tantivy_lexical
from vectorstore.corpus_tables import CorpusTables, DocumentTables
from vectorstore.indexed_store import IndexedStore
from vectorstore.lexical_sync import lexical_dir, open_disk
from vectorstore.retriever import Retriever, SearchStack, Variant
from vectorstore.snapshot import CorpusSnapshot, SnapshotCache, check_agreement
from vectorstore.store import ChromaChunkStore, EmbeddingSpace, open_store


def indexed_stack(data_dir: Path) -> SearchStack:
    settings = Settings(data_dir=data_dir, lexical_index="tantivy")
    store = open_store(settings, EMBEDDER)
    assert isinstance(store, IndexedStore)
    stack = SearchStack.open(settings, EMBEDDER, store)
    for doc_id, (fields, texts) in DOCS.items():
        add(stack.store, parsed(doc_id, texts, fields))
    return stack


def count_analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every document the index analyses (from here on)."""
    seen: list[str] = []
    original = tantivy_lexical.AnalysedDocument.of.__func__  # type: ignore[attr-defined]

    def spy(cls, doc_id, generation, chunks):  # type: ignore[no-untyped-def]
        seen.append(doc_id)
        return original(cls, doc_id, generation, chunks)

    monkeypatch.setattr(tantivy_lexical.AnalysedDocument, "of", classmethod(spy))
    return seen


def lexical_only(stack: SearchStack) -> Retriever:
    return stack.retriever(Variant(dense=False, understanding=False))


def test_writes_through_the_store_update_the_index_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = indexed_stack(tmp_path / "data")
    assert (lexical_dir(stack.settings) / "chunks" / "meta.json").exists()
    assert check_agreement(stack.store, stack.settings).ok  # before any reader opened it
    retriever = lexical_only(stack)
    assert retriever.search("hộ nghèo", k=1)[0].chunk.doc_id == "hd.txt"

    analysed = count_analyses(monkeypatch)
    fields, _ = DOCS["hd.txt"]
    add(stack.store, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,5%.", "Giao đủ 214 chỉ tiêu quân."], fields, version="2"))
    assert analysed == ["hd.txt"]  # the writer indexed that document, and only it
    agreement = check_agreement(stack.store, stack.settings)
    assert agreement.ok and agreement.revision_matches
    hits = retriever.search("hộ nghèo giảm", k=10)
    assert "0,5%" in hits[0].chunk.text and all("0,97%" not in h.chunk.text for h in hits)
    assert "giao đủ 214 chỉ tiêu" in retriever.search("giao đủ 214 chỉ tiêu", k=1)[0].why[0]
    assert analysed == ["hd.txt"]  # the reader found the index current: nothing re-analysed

    stack.store.delete_document("tv.txt")
    assert all(h.chunk.doc_id != "tv.txt" for h in retriever.search("vaccine cúm gia cầm", k=10))
    snapshot = stack.snapshots.current()
    assert not any(cid.startswith("tv.txt") for cid in snapshot.lexical.chunk_ids)
    assert snapshot.lexical.size == 5 and check_agreement(stack.store, stack.settings).ok

    stack.store.update_metadata("ht.txt", {"short_title": "Báo cáo thị xã Hương Trà quý III"})
    assert retriever.search("quý III", k=1)[0].chunk.doc_id == "ht.txt"  # the new title is indexed


def test_an_index_left_behind_by_a_crash_is_repaired_document_by_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = indexed_stack(tmp_path / "data")
    retriever = lexical_only(stack)
    retriever.search("hộ nghèo", k=1)
    # a writer that committed to the store and died before the index commit
    bare = ChromaChunkStore(stack.settings, EmbeddingSpace.of(EMBEDDER))
    fields, _ = DOCS["hd.txt"]
    add(bare, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,5%."], fields, version="2"))
    bare.delete_document("tv.txt")
    stale = check_agreement(stack.store, stack.settings)
    assert not stale.ok and not stale.revision_matches and len(stale.missing) == 1 and len(stale.extra) == 4

    analysed = count_analyses(monkeypatch)
    hits = retriever.search("hộ nghèo giảm", k=10)  # the next reader mends the index
    assert analysed == ["hd.txt"]
    assert "0,5%" in hits[0].chunk.text and {h.chunk.doc_id for h in hits} <= {"hd.txt", "ht.txt"}
    assert check_agreement(stack.store, stack.settings).ok

    # an ingest mends it as well: repair() runs before the ingest looks at hashes
    add(bare, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,4%."], fields, version="3"))
    assert stack.store.repair() == 0 and check_agreement(stack.store, stack.settings).ok
    assert analysed == ["hd.txt", "hd.txt"]


def test_a_new_reader_opens_the_index_without_reading_every_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = indexed_stack(tmp_path / "data")
    analysed = count_analyses(monkeypatch)
    monkeypatch.setattr(ChromaChunkStore, "all_chunks", lambda self: pytest.fail("a reader read every chunk"))
    fresh = SnapshotCache(stack.store, stack.settings)
    snapshot = fresh.current()
    assert analysed == [] and snapshot.lexical.size == 7
    assert Retriever(stack.store, EMBEDDER, fresh).search("vaccine cúm gia cầm", k=1)[0].chunk.doc_id == "tv.txt"


def test_incremental_tables_equal_the_tables_learned_from_every_chunk(tmp_path: Path) -> None:
    stack = indexed_stack(tmp_path / "data")
    stack.snapshots.current()  # a view is held, then moved forward by the changes below
    fields, _ = DOCS["hd.txt"]
    add(stack.store, parsed("hd.txt", ["Ủy ban nhân dân (UBND) thị xã; hộ nghèo giảm còn 0,5%."], fields, version="2"))
    stack.store.delete_document("tv.txt")
    moved = stack.snapshots.current()
    chunks = stack.store.all_chunks()
    whole = CorpusSnapshot.from_chunks(stack.store.documents(), chunks, moved.revision)
    assert moved.stats.n == whole.stats.n == len(chunks)
    assert moved.stats.df == whole.stats.df and moved.stats.doc_tokens == whole.stats.doc_tokens
    assert moved.stats.doc_pairs == whole.stats.doc_pairs
    assert moved.learned_abbreviations == whole.learned_abbreviations and "UBND" in moved.learned_abbreviations
    assert moved.vocabulary.folded_counts == whole.vocabulary.folded_counts
    assert {k: n for k, (_, n) in moved.vocabulary.unigrams.items()} == {k: n for k, (_, n) in whole.vocabulary.unigrams.items()}
    assert {k: n for k, (_, n) in moved.vocabulary.bigrams.items()} == {k: n for k, (_, n) in whole.vocabulary.bigrams.items()}


def test_tables_removed_leave_the_earlier_sum_untouched() -> None:
    one = DocumentTables.of_chunks("a", [])
    assert one.chunks == 0
    a = DocumentTables.build("a", [[["hộ", "nghèo"]]], ["hộ nghèo"])
    first = CorpusTables.of([a, DocumentTables.build("b", [[["hộ", "dân"]]], ["hộ dân"])])
    second = first.with_changes(removed=[a], added=[])
    assert first.stats.df[False]["ho"] == 2 and second.stats.df[False]["ho"] == 1
    assert "ngheo" in first.unigrams and "ngheo" not in second.unigrams
    assert first.unigrams["ho"]["hộ"] == 2 and second.unigrams["ho"]["hộ"] == 1
    assert "a" in first and "a" not in second
    with pytest.raises(ValueError, match="old shares"):  # replacing a document needs what it added
        first.with_changes(removed=[], added=[DocumentTables.build("a", [[["hộ"]]], ["hộ"])])


def test_both_indexes_rank_the_same_chunks_first(tmp_path: Path) -> None:
    tantivy_stack = indexed_stack(tmp_path / "t")
    bm25 = open_stack(Settings(data_dir=tmp_path / "b", lexical_index="bm25"))
    for doc_id, (fields, texts) in DOCS.items():
        add(bm25.store, parsed(doc_id, texts, fields))
    for query in ("giải ngân vốn đầu tư công Trà Vinh", "tai nạn giao thông", "hộ nghèo", "ngan sach nha nuoc"):
        a, b = lexical_only(tantivy_stack).search(query, k=3), lexical_only(bm25).search(query, k=3)
        assert a[0].chunk.chunk_id == b[0].chunk.chunk_id, query
        assert a[0].why[0].split(":", 1)[1] == b[0].why[0].split(":", 1)[1]  # the same matched words
    filtered = lexical_only(tantivy_stack).search("giải ngân", k=10, filters={"locality": "Trà Vinh", "kind": "text"})
    assert {h.chunk.doc_id for h in filtered} == {"tv.txt"}
    assert lexical_only(tantivy_stack).search("giải ngân", k=10, filters={"kind": "table"}) == []


def test_two_processes_share_one_index(tmp_path: Path) -> None:
    stack = indexed_stack(tmp_path / "data")
    settings = stack.settings
    assert open_disk(settings) is open_disk(settings)  # one per process
    other = tantivy_lexical.LexicalDisk(lexical_dir(settings))  # as another process opens it
    writer = tantivy_lexical.acquire_writer(other.chunks)  # holds the lock while this process writes
    import threading

    released = threading.Timer(0.3, writer.wait_merging_threads)
    released.start()
    fields, _ = DOCS["hd.txt"]
    add(stack.store, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,5%."], fields, version="2"))  # waits for the lock
    released.join()
    assert check_agreement(stack.store, settings).ok
    assert other.markers(other.searcher())["hd.txt"] == stack.store.document("hd.txt").generation  # type: ignore[union-attr]


def summed_again(settings: Settings) -> tuple[dict[str, str], CorpusTables]:
    """The index's markers and every document's tables summed from the index entries."""
    disk = tantivy_lexical.LexicalDisk(lexical_dir(settings))
    searchers = disk.searcher()
    return disk.markers(searchers), CorpusTables.of(disk.tables(searchers))


def assert_same_tables(one: CorpusTables, other: CorpusTables) -> None:
    assert one.doc_abbreviations == other.doc_abbreviations and one.unigrams == other.unigrams and one.bigrams == other.bigrams
    assert one.stats.n == other.stats.n and one.stats.df == other.stats.df
    assert one.stats.doc_tokens == other.stats.doc_tokens and one.stats.doc_pairs == other.stats.doc_pairs
    assert one.abbreviations() == other.abbreviations()


def test_the_persisted_sum_follows_adds_replaces_and_removes(tmp_path: Path) -> None:
    stack = indexed_stack(tmp_path / "data")
    stack.snapshots.current()  # the first reader sums the documents and persists the sum
    fields, _ = DOCS["hd.txt"]
    add(stack.store, parsed("hd.txt", ["Ủy ban nhân dân (UBND) thị xã; hộ nghèo giảm còn 0,5%."], fields, version="2"))
    stack.store.delete_document("tv.txt")
    add(stack.store, parsed("new.txt", ["Hội đồng nhân dân (HĐND) họp kỳ thứ 7."], fields))
    saved = tantivy_lexical._read_sums(lexical_dir(stack.settings) / tantivy_lexical.SUMS_FILE)  # the file, not memory
    markers, whole = summed_again(stack.settings)
    assert saved is not None and saved.markers == markers
    assert set(markers) == {r.meta.doc_id for r in stack.store.documents()} and "tv.txt" not in markers
    assert_same_tables(saved.tables, whole)
    assert "HĐND" in saved.tables.abbreviations() and "UBND" in saved.tables.abbreviations()


def test_a_new_reader_loads_the_sum_without_summing_the_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = indexed_stack(tmp_path / "data")
    stack.snapshots.current()
    lexical_sync._DISKS.clear()  # as a new process
    monkeypatch.setattr(tantivy_lexical.LexicalDisk, "tables", lambda *a: pytest.fail("the reader summed every document"))
    snapshot = SnapshotCache(stack.store, stack.settings).current()
    assert snapshot.stats.n == 7 and snapshot.lexical.size == 7


@pytest.mark.parametrize("damage", ["stale", "corrupt"])
def test_a_stale_or_damaged_sum_is_detected_and_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    stack = indexed_stack(tmp_path / "data")
    stack.snapshots.current()
    path = lexical_dir(stack.settings) / tantivy_lexical.SUMS_FILE
    if damage == "stale":  # a crash after the index commit, before the sum was moved: it reflects one document less
        markers, whole = summed_again(stack.settings)
        markers.pop("tv.txt")
        disk = tantivy_lexical.LexicalDisk(lexical_dir(stack.settings))
        disk.save_sums(markers, whole.with_changes(disk.tables(disk.searcher(), ["tv.txt"]), []))
    else:
        path.write_bytes(b"\x80\x05not a pickle")
    lexical_sync._DISKS.clear()
    summed: list[int] = []
    original = tantivy_lexical.LexicalDisk.tables

    def spy(self, searchers, doc_ids=None):  # type: ignore[no-untyped-def]
        found = original(self, searchers, doc_ids)
        summed.append(len(found))
        return found

    monkeypatch.setattr(tantivy_lexical.LexicalDisk, "tables", spy)
    snapshot = SnapshotCache(stack.store, stack.settings).current()
    assert summed == [len(DOCS)]  # every document's tables read again
    assert snapshot.stats.n == 7 and "tv.txt" in snapshot.stats.doc_tokens[False]
    saved = tantivy_lexical._read_sums(path)
    markers, whole = summed_again(stack.settings)
    assert saved is not None and saved.markers == markers
    assert_same_tables(saved.tables, whole)


def test_a_view_from_the_persisted_sum_follows_another_writer(tmp_path: Path) -> None:
    stack = indexed_stack(tmp_path / "data")
    stack.snapshots.current()  # the sum is persisted
    store = stack.store
    assert isinstance(store, IndexedStore)
    path = lexical_dir(stack.settings)
    reader = lexical_sync.IncrementalCorpus(tantivy_lexical.LexicalDisk(path))  # a new process's view
    reader.view(store, store.documents(), store.revision())
    assert reader.shares == {}  # it loaded the sum, read no document's share
    writer = IndexedStore(store.inner, tantivy_lexical.LexicalDisk(path))  # another process writes
    fields, _ = DOCS["hd.txt"]
    add(writer, parsed("hd.txt", ["Ủy ban nhân dân (UBND) thị xã; hộ nghèo giảm còn 0,5%."], fields, version="2"))
    _, replaced = reader.view(store, store.documents(), store.revision())  # hd.txt's old share unknown here
    add(writer, parsed("new.txt", ["Hội đồng nhân dân (HĐND) họp kỳ thứ 7."], fields))
    _, grown = reader.view(store, store.documents(), store.revision())  # a new document: no old share needed
    writer.delete_document("new.txt")  # its share was read by the last move
    _, shrunk = reader.view(store, store.documents(), store.revision())
    assert_same_tables(shrunk, summed_again(stack.settings)[1])
    assert_same_tables(replaced, shrunk)
    assert "HĐND" in grown.abbreviations() and "HĐND" not in shrunk.abbreviations() and "UBND" in shrunk.abbreviations()
