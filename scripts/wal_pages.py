#!/usr/bin/env python3
"""Which tables and indexes each commit in a SQLite WAL wrote (docs/performance.md, "Where the
time goes"). Reads every frame header of `<db>-wal`, maps each page number to its B-tree with the
`dbstat` virtual table (on a copy of the database with the WAL applied), and prints one line per
commit: the number of pages, then the pages per B-tree.

    scripts/wal_pages.py <db>

A WAL is checkpointed and deleted when its last connection closes; to keep one, hold another
connection open while the engine writes, for example:

    python3 -c "import sqlite3, time; c = sqlite3.connect('x.db'); c.execute('pragma journal_mode'); time.sleep(60)" &
    target/release/examples/bench_workloads lifecycles x.db 3
    scripts/wal_pages.py x.db

Needs an `sqlite3` module built with `SQLITE_ENABLE_DBSTAT_VTAB` (Debian's is).
"""

import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile


def frames(wal: bytes) -> list[tuple[int, int]]:
    """(page number, database size after commit or 0) of every frame."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    out, offset = [], 32
    while offset + 24 + page_size <= len(wal):
        out.append(struct.unpack(">II", wal[offset : offset + 8]))
        offset += 24 + page_size
    return out


def owners(db: str) -> dict[int, str]:
    """Page number -> name of its table or index, read from a copy (the WAL applied to it)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "copy.db")
        shutil.copy(db, copy)
        shutil.copy(db + "-wal", copy + "-wal")
        conn = sqlite3.connect(copy)
        try:
            return {page: name for name, page in conn.execute("SELECT name, pageno FROM dbstat")}
        finally:
            conn.close()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/wal_pages.py <db>")
    db = sys.argv[1]
    with open(db + "-wal", "rb") as f:
        wal = f.read()
    names = owners(db)
    commit: list[int] = []
    n = 0
    for page, size_after in frames(wal):
        commit.append(page)
        if size_after:
            counts = collections.Counter(names.get(p, f"page {p} (free)") for p in commit)
            detail = ", ".join(f"{name} {k}" for name, k in counts.most_common())
            print(f"commit {n}: {len(commit)} pages: {detail}")
            commit, n = [], n + 1


if __name__ == "__main__":
    main()
