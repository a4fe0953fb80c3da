"""Parquet output: one file per table and month of loaded_at, zstd-compressed."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.schema import TABLES

FLUSH_ROWS = 1_500_000
LOW_CARDINALITY_HINTS = ("_code", "_type", "channel", "category", "tier", "brand", "region", "city", "reason",
                         "manufacturer", "supplier", "resolution", "escalated_to", "source_system", "campaign_id",
                         "dealer_id", "product_id", "prize_id", "employee_id", "lead_source", "inquiry_channel")


def _dictionary_columns(qualified: str) -> list[str]:
    tdef = TABLES[qualified]
    return [n for n, t in tdef.columns if n not in tdef.key and str(t) == "string"
            and any(h in n for h in LOW_CARDINALITY_HINTS)]


class RawWriter:
    """Appends table batches to ``raw/<system>/<table>/<table>_<YYYY-MM>.parquet`` files."""

    def __init__(self, raw_dir: Path, systems: frozenset[str] | None = None) -> None:
        self.raw_dir = raw_dir
        self.systems = systems
        self.writers: dict[tuple[str, str], pq.ParquetWriter] = {}
        self.buffers: dict[str, list[pa.Table]] = {}
        self.buffered: dict[str, int] = {}
        self.rows: dict[str, int] = {}
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future] = []

    def write(self, qualified: str, table: pa.Table) -> None:
        """Queue rows of a table; large buffers are flushed to disk. Tables of systems not written are dropped."""
        if self.systems is not None and TABLES[qualified].system not in self.systems:
            return
        self.buffers.setdefault(qualified, []).append(table)
        self.buffered[qualified] = self.buffered.get(qualified, 0) + table.num_rows
        self.rows[qualified] = self.rows.get(qualified, 0) + table.num_rows
        if self.buffered[qualified] >= FLUSH_ROWS:
            self._flush(qualified)

    def _flush(self, qualified: str) -> None:
        parts = self.buffers.pop(qualified, [])
        self.buffered[qualified] = 0
        if not parts:
            return
        while len(self.pending) > 2:  # bound memory held by queued writes
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(self._write_parts, qualified, parts))

    def _write_parts(self, qualified: str, parts: list[pa.Table]) -> None:
        tdef = TABLES[qualified]
        table = pa.concat_tables(parts).select(tdef.column_names).cast(tdef.schema)
        if table.num_rows == 0:
            return
        loaded = table.column("loaded_at").combine_chunks().cast(pa.int64()).to_numpy()
        month = loaded.astype("datetime64[us]").astype("datetime64[M]")
        if np.all(month[1:] >= month[:-1]):
            order = np.arange(len(month))
        else:
            order = np.argsort(month, kind="stable")
            table = table.take(pa.array(order))
        month_sorted = month[order]
        uniq, starts = np.unique(month_sorted, return_index=True)
        bounds = list(starts) + [len(order)]
        for i, m in enumerate(uniq):
            part = table.slice(bounds[i], bounds[i + 1] - bounds[i])
            self._writer(qualified, str(m)).write_table(part, row_group_size=1_000_000)

    def _writer(self, qualified: str, month: str) -> pq.ParquetWriter:
        key = (qualified, month)
        if key not in self.writers:
            tdef = TABLES[qualified]
            d = self.raw_dir / tdef.system / tdef.name
            d.mkdir(parents=True, exist_ok=True)
            self.writers[key] = pq.ParquetWriter(d / f"{tdef.name}_{month}.parquet", tdef.schema,
                                                 compression="zstd", use_dictionary=_dictionary_columns(qualified))
        return self.writers[key]

    def close(self) -> dict[str, int]:
        """Flush everything; every table of a written system gets at least one (possibly empty) file. Returns row
        counts."""
        for q in list(self.buffers):
            self._flush(q)
        for f in self.pending:
            f.result()
        self.pool.shutdown()
        for q in TABLES:
            if self.systems is not None and TABLES[q].system not in self.systems:
                continue
            if not any(k[0] == q for k in self.writers):
                self._writer(q, "2024-11")
                self.rows.setdefault(q, 0)
        for w in self.writers.values():
            w.close()
        self.writers.clear()
        return dict(sorted(self.rows.items()))
