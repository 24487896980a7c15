"""Target records (chỉ tiêu) kept beside the chunk store, in SQLite (``DATA_DIR/targets.sqlite``).

Why SQLite: it is in the standard library (no new dependency, nothing to start), one file beside
the Chroma store, transactional, and the records are few (tens per report) so every query the
assistant, CLI and UI ask is a filter over a few thousand rows. DuckDB's column engine would pay
off only for analytics over millions of rows.

Records are written with their document's generation, the same token that versions its chunks:
the chunk store writes them before it switches its registry row (the commit point) and deletes
the other generations after, so readers see exactly the live generation's records, a re-ingest
never duplicates, and a removed document takes its records with it.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from baocao.models import TargetRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS targets (
    collection TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    generation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (collection, doc_id, generation, seq)
)
"""


class TargetTable:
    """One collection's target records in a SQLite file."""

    def __init__(self, path: Path, collection: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.collection = collection
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def write(self, doc_id: str, generation: str, records: Iterable[TargetRecord]) -> None:
        """Store ``records`` as generation ``generation`` of ``doc_id`` (replacing that generation)."""
        rows = [
            (self.collection, doc_id, generation, i, json.dumps(r.to_dict(), ensure_ascii=False))
            for i, r in enumerate(records)
        ]
        with self._connect() as db:
            db.execute(
                "DELETE FROM targets WHERE collection=? AND doc_id=? AND generation=?", (self.collection, doc_id, generation)
            )
            db.executemany("INSERT INTO targets VALUES (?, ?, ?, ?, ?)", rows)

    def keep_only(self, doc_id: str, generation: str) -> None:
        with self._connect() as db:
            db.execute(
                "DELETE FROM targets WHERE collection=? AND doc_id=? AND generation<>?", (self.collection, doc_id, generation)
            )

    def delete(self, doc_id: str, generation: str | None = None) -> None:
        with self._connect() as db:
            if generation is None:
                db.execute("DELETE FROM targets WHERE collection=? AND doc_id=?", (self.collection, doc_id))
            else:
                db.execute(
                    "DELETE FROM targets WHERE collection=? AND doc_id=? AND generation=?",
                    (self.collection, doc_id, generation),
                )

    def drop(self) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM targets WHERE collection=?", (self.collection,))

    def repair(self, live: dict[str, str]) -> int:
        """Delete records not of their document's live generation; return how many."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT doc_id, generation, COUNT(*) FROM targets WHERE collection=? GROUP BY doc_id, generation",
                (self.collection,),
            ).fetchall()
            stale = [(d, g, n) for d, g, n in rows if live.get(d) != g]
            for d, g, _ in stale:
                db.execute("DELETE FROM targets WHERE collection=? AND doc_id=? AND generation=?", (self.collection, d, g))
        return sum(n for _, _, n in stale)

    def records(self, live: dict[str, str]) -> list[TargetRecord]:
        """The live generation's records of every document, in document and reading order."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT doc_id, generation, data FROM targets WHERE collection=? ORDER BY doc_id, seq", (self.collection,)
            ).fetchall()
        return [TargetRecord.from_dict(json.loads(data)) for doc_id, gen, data in rows if live.get(doc_id) == gen]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM targets WHERE collection=?", (self.collection,)).fetchone()[0])
