"""Reading files as text tables: format and encoding detection, sniffing, Excel/Parquet, raw staging.

Everything reaches DuckDB as VARCHAR columns named ``c1..cn`` (the user's headers stay Python data,
never SQL text); GBK/GB18030/UTF-16 are transcoded to UTF-8 in a streaming pass first, because
DuckDB's ``read_csv`` cannot decode them offline.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.errors import ImportRefused
from core.i18n import t

SAMPLE_BYTES = 256 * 1024
CHUNK = 1 << 20
MAX_XLSX_UNCOMPRESSED = 1 << 30  # 1 GiB of XML is far beyond any real sheet
MAX_XLSX_RATIO = 150  # typical xlsx compress 5-20x; bombs 1000x+
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kehu-checksum")  # shared, holds no user data
DELIMITERS = (",", "\t", ";", "|")
STAGE_DB = "kehu_stage"

# Magic numbers of things people upload by mistake.
_FOREIGN_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"\x1f\x8b": "gzip",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7z",
    b"SQLite format 3": "SQLite",
}


@dataclass
class FileInfo:
    """What was learnt about one file before any row is staged."""

    name: str
    path: Path
    size: int
    checksum_job: Future[str] | str  # sha256 of the file, computed next to the staging (see ``checksum``)
    fmt: str  # csv | xlsx | xls | parquet
    encoding: str | None = None  # text files only; the codec actually used
    detected_encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    delimiter: str | None = None
    header_line: int = 1  # 1-based line/row of the header in the file
    headers: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)  # first data rows, as text
    csv_path: Path | None = None  # UTF-8 CSV that DuckDB reads (csv/xlsx/xls)
    has_line_column: bool = False  # first CSV column is the sheet row number (Excel)

    @property
    def checksum(self) -> str:
        """The file's sha256 (waits for the background hash on first use)."""
        if isinstance(self.checksum_job, Future):
            self.checksum_job = self.checksum_job.result()
        return self.checksum_job


def sha256_file(path: Path) -> str:
    """The checksum recorded in ``imports`` (same file twice is recognisable)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _refuse(key: str, lang: str, **kw: object) -> ImportRefused:
    return ImportRefused(t(key, lang, **kw))


def normalise_encoding(name: str) -> str:
    """Codec names users type or detectors return → the codec we decode with."""
    n = name.strip().lower().replace("_", "-")
    if n in ("gbk", "gb2312", "gb-2312", "cp936", "gb18030", "euc-cn", "hz"):
        return "gb18030"  # superset of GBK and GB2312
    if n in ("utf8", "utf-8"):
        return "utf-8"
    if n in ("utf-8-sig", "utf8-sig", "utf-8 bom", "utf-8-bom"):
        return "utf-8-sig"
    if n in ("utf-16", "utf16", "utf-16le", "utf-16-le", "utf-16be", "utf-16-be", "unicode"):
        return "utf-16" if n in ("utf-16", "utf16", "unicode") else n.replace("utf-16-", "utf-16")
    try:
        return codecs.lookup(n).name
    except LookupError as exc:
        raise ImportRefused(f"Unknown encoding {name!r}. Use utf-8, gbk, gb18030 or utf-16.") from exc


def _looks_utf16_without_bom(head: bytes) -> str | None:
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(sample: bytes, complete: bool) -> str:
    """Strict UTF-8 (with/without BOM), UTF-16 BOM, GB18030, then charset-normalizer."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    bomless16 = _looks_utf16_without_bom(sample[:4096])
    if bomless16:
        return bomless16
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)("strict").decode(sample, final=complete)
            return enc
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return "unknown"
    return normalise_encoding(best.encoding)


ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK", "utf-16": "UTF-16",
                   "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "big5": "Big5", "big5hkscs": "Big5",
                   "latin-1": "Latin-1", "iso8859-1": "Latin-1", "cp1252": "Windows-1252"}


def encoding_label(enc: str) -> str:
    """The name a user knows an encoding by (GB18030, the superset we decode with, shows as GBK)."""
    return ENCODING_LABELS.get(enc.lower(), enc.upper())


def peek_encoding(path: Path) -> str | None:
    """The encoding automatic detection picks for a text file ('unknown' when none fits); None for
    Excel, Parquet and files that are not tables (encodings do not apply)."""
    try:
        if sniff_format(Path(path), Path(path).name, "en") != "csv":
            return None
    except ImportRefused:
        return None
    with open(path, "rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    return detect_encoding(raw[:SAMPLE_BYTES], complete=len(raw) <= SAMPLE_BYTES)


def sniff_format(path: Path, name: str, lang: str) -> str:
    """csv | xlsx | xls | parquet from the bytes (the extension is only a hint)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8192)
    if size == 0 or not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise _refuse("data.err.empty", lang, file=name)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile as exc:
            raise _refuse("data.err.binary", lang, file=name, what="zip") from exc
        if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
            return "xlsx"
        raise _refuse("data.err.binary", lang, file=name, what="zip")
    for magic, what in _FOREIGN_MAGIC.items():
        if head.startswith(magic):
            raise _refuse("data.err.binary", lang, file=name, what=what)
    has_bom16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not has_bom16 and not _looks_utf16_without_bom(head):
        raise _refuse("data.err.binary", lang, file=name, what="binary")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 0))
    if controls > 0.05 * len(head):
        raise _refuse("data.err.binary", lang, file=name, what="binary")
    return "csv"


def check_zip_bomb(path: Path, name: str, lang: str) -> None:
    """Refuse an xlsx whose zip directory promises absurd sizes (calamine has no limit)."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > 10_000 or total > MAX_XLSX_UNCOMPRESSED or (
        total > 50 * (1 << 20) and total / packed > MAX_XLSX_RATIO
    ):
        raise _refuse("data.err.zip_bomb", lang, file=name, mb=total // (1 << 20))


# ---------------------------------------------------------------- text sniffing


def _split(lines: list[str], delim: str) -> list[list[str]]:
    return [next(csv.reader([ln], delimiter=delim, quotechar='"'), []) for ln in lines]


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most lines with the same (>1) number of fields."""
    best, best_score = ",", 0
    body = [ln for ln in lines if ln.strip()]
    for d in DELIMITERS:
        counts = Counter(len(r) for r in _split(body, d))
        width, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0])) if counts else (1, 0)
        if width > 1 and freq * width > best_score:
            best, best_score = d, freq * width
    return best


_NUMBERISH = re.compile(r"^[\s+\-]?[0-9０-９.,:/\-年月日 ]+$")


def find_header(rows: list[list[str]], recognise: Callable[[list[str]], int]) -> int:
    """Index of the header row: the widest row that names most known columns, below any title rows."""
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    if not rows or max(widths) == 0:
        return 0
    width_mode = Counter(w for w in widths if w).most_common(1)[0][0]
    wide = max(widths)
    candidates = [i for i, w in enumerate(widths[:40]) if w >= min(width_mode, wide) and w > 0]
    if not candidates:
        return 0
    scored = [(recognise(rows[i]), -i) for i in candidates]
    best_score, neg_i = max(scored)
    return -neg_i if best_score > 0 else candidates[0]


def looks_like_data(row: list[str]) -> bool:
    """A 'header' made only of numbers/dates means the file has no header row."""
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and all(_NUMBERISH.match(c) for c in cells)


def _decode_sample(path: Path, enc: str) -> tuple[str, bool]:
    with open(path, "rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    raw = raw[:SAMPLE_BYTES]
    text = codecs.getincrementaldecoder(enc)("replace").decode(raw, final=complete)
    return text.lstrip("\ufeff"), complete


def transcode(src: Path, dst: Path, enc: str, name: str, lang: str) -> None:
    """Stream ``src`` in ``enc`` to UTF-8 ``dst``; a byte that does not decode refuses the file."""
    dec = codecs.getincrementaldecoder(enc)("strict")
    offset = 0
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        first = True
        while True:
            block = fin.read(CHUNK)
            try:
                text = dec.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise _refuse("data.err.decode", lang, file=name, enc=enc, pos=offset + exc.start) from exc
            if first:
                text = text.lstrip("\ufeff")
                first = False
            fout.write(text)
            offset += len(block)
            if not block:
                break


# ---------------------------------------------------------------- Excel


def _cell_text(v: object) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))  # phone numbers and ids stored as numbers: no ".0", no exponent
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def excel_sheets(path: Path, name: str, lang: str) -> list[str]:
    """Sheet names, refusing broken or password-protected workbooks with a message."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types
        raise _refuse("data.err.excel", lang, file=name, detail=str(exc)[:200]) from exc
    names = list(wb.sheet_names)
    wb.close()
    return names


def excel_rows(path: Path, sheet: str, name: str, lang: str) -> Iterable[list[str]]:
    """Rows of one sheet as text cells, in sheet order (row 1 first, empty rows kept)."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
        ws = wb.get_sheet_by_name(sheet)
        for row in ws.iter_rows():
            yield [_cell_text(v) for v in row]
    except ImportRefused:
        raise
    except Exception as exc:
        raise _refuse("data.err.excel", lang, file=name, detail=str(exc)[:200]) from exc


# ---------------------------------------------------------------- inspect


def inspect_file(
    path: Path,
    name: str | None,
    workdir: Path,
    recognise: Callable[[list[str]], int],
    encoding: str | None = None,
    sheet: str | None = None,
    lang: str = "en",
) -> FileInfo:
    """Format, encoding, sheet, delimiter, header row and a sample — or ``ImportRefused``."""
    path = Path(path)
    name = name or path.name
    fmt = sniff_format(path, name, lang)
    # hashlib releases the GIL: the hash of a big file runs while DuckDB reads and cleans it.
    info = FileInfo(name=name, path=path, size=path.stat().st_size, checksum_job=_HASHER.submit(sha256_file, path),
                    fmt=fmt)
    if fmt == "parquet":
        _inspect_parquet(info, lang)
    elif fmt in ("xlsx", "xls"):
        _inspect_excel(info, workdir, recognise, sheet, lang)
    else:
        _inspect_text(info, workdir, recognise, encoding, lang)
    if not info.headers or not any(h.strip() for h in info.headers):
        raise _refuse("data.err.no_header", lang, file=name)
    return info


def _inspect_parquet(info: FileInfo, lang: str) -> None:
    try:
        rel = duckdb.sql("SELECT * FROM read_parquet(?) LIMIT 5", params=[str(info.path)])
        info.headers = list(rel.columns)
        info.sample = [[_cell_text(v) for v in r] for r in rel.fetchall()]
    except duckdb.Error as exc:
        raise _refuse("data.err.parquet", lang, file=info.name, detail=str(exc).splitlines()[0][:200]) from exc


def _inspect_excel(info: FileInfo, workdir: Path, recognise: Callable[[list[str]], int],
                   sheet: str | None, lang: str) -> None:
    if info.fmt == "xlsx":
        check_zip_bomb(info.path, info.name, lang)
    info.sheets = excel_sheets(info.path, info.name, lang)
    if not info.sheets:
        raise _refuse("data.err.empty", lang, file=info.name)
    if sheet is not None and sheet not in info.sheets:
        raise _refuse("data.err.no_sheet", lang, file=info.name, sheet=sheet, sheets=", ".join(info.sheets))
    order = [sheet] if sheet else info.sheets
    for candidate in order:  # default: the first sheet that has anything in it
        rows = excel_rows(info.path, candidate, info.name, lang)
        head: list[list[str]] = []
        for r in rows:
            head.append(r)
            if len(head) >= 60:
                break
        if any(any(c.strip() for c in r) for r in head):
            info.sheet = candidate
            break
    else:
        raise _refuse("data.err.empty", lang, file=info.name)
    h = find_header(head, recognise)
    if looks_like_data(head[h]) and recognise(head[h]) == 0:
        raise _refuse("data.err.no_header", lang, file=info.name)
    info.header_line = h + 1
    width = max(len(r) for r in head)
    info.headers = [c.strip() for c in head[h]] + [""] * (width - len(head[h]))
    info.csv_path = workdir / f"{info.checksum[:16]}_{abs(hash(info.sheet)) % 10**8}.csv"
    with open(info.csv_path, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["line", *info.headers])
        for i, r in enumerate(excel_rows(info.path, info.sheet, info.name, lang), start=1):
            if i <= info.header_line or not any(c.strip() for c in r):
                continue
            cells = (r + [""] * width)[:width] if len(r) <= width else r[:width]
            w.writerow([str(i), *cells])
            if len(info.sample) < 5:
                info.sample.append(cells)
    info.delimiter = ","
    info.has_line_column = True
    info.encoding = None


def _inspect_text(info: FileInfo, workdir: Path, recognise: Callable[[list[str]], int],
                  encoding: str | None, lang: str) -> None:
    with open(info.path, "rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    info.detected_encoding = detect_encoding(raw[:SAMPLE_BYTES], complete=len(raw) <= SAMPLE_BYTES)
    enc = normalise_encoding(encoding) if encoding else info.detected_encoding
    if enc == "unknown":
        raise _refuse("data.err.encoding_unknown", lang, file=info.name)
    info.encoding = enc
    if enc in ("utf-8", "utf-8-sig"):
        info.csv_path = info.path  # DuckDB reads UTF-8 (and skips the BOM) itself: no copy
    else:
        # Named from where the file is and what it is encoded in (its checksum may not be ready yet).
        stat = info.path.stat()
        key = hashlib.sha256(f"{info.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{enc}".encode()).hexdigest()
        info.csv_path = workdir / f"{key[:16]}_{enc}.csv"
        transcode(info.path, info.csv_path, enc, info.name, lang)
    text, complete = _decode_sample(info.csv_path, "utf-8")
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    lines = lines[:200]
    if not any(ln.strip() for ln in lines):
        raise _refuse("data.err.empty", lang, file=info.name)
    info.delimiter = sniff_delimiter(lines)
    rows = _split(lines, info.delimiter)
    h = find_header(rows, recognise)
    if looks_like_data(rows[h]) and recognise(rows[h]) == 0:
        raise _refuse("data.err.no_header", lang, file=info.name)
    info.header_line = h + 1
    info.headers = [unicodedata.normalize("NFC", c.strip()) for c in rows[h]]
    info.sample = [r for r in rows[h + 1 : h + 6] if any(c.strip() for c in r)]


# ---------------------------------------------------------------- staging


def attach_stage(con: duckdb.DuckDBPyConnection) -> None:
    """The in-memory database holding staged rows; shared by every cursor of this process."""
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {STAGE_DB}")


def stage_raw(con: duckdb.DuckDBPyConnection, info: FileInfo, table: str, lang: str = "en") -> tuple[int, int]:
    """Copy the file into ``kehu_stage.<table>`` (VARCHAR c1..cn, file order) and its broken lines
    into ``<table>_bad``; the view ``<table>_rows`` adds ``_row`` (the row's line in the file).
    Returns (rows staged, malformed lines). ``table`` is our own token."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", table):
        raise ValueError("staging table names are internal tokens")
    attach_stage(con)
    n = len(info.headers)
    cols = ", ".join(f"c{i + 1}" for i in range(n))
    target = f"{STAGE_DB}.{table}"
    bad = f"{STAGE_DB}.{table}_bad"
    if info.fmt == "parquet":
        src_cols = list(duckdb.sql("SELECT * FROM read_parquet(?) LIMIT 0", params=[str(info.path)]).columns)
        select = ", ".join(f'CAST(p."{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS c{i + 1}'
                           for i, c in enumerate(src_cols))
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT {select} FROM read_parquet(?) p",  # noqa: S608 - quoted identifiers
            [str(info.path)],
        )
        con.execute(f"CREATE OR REPLACE TABLE {bad} (line BIGINT, raw VARCHAR, error VARCHAR)")
        con.execute(f"CREATE OR REPLACE VIEW {target}_rows AS SELECT {cols}, "  # noqa: S608 - own names
                    f"CAST(rowid + 2 AS BIGINT) AS _row FROM {target}")
        return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0], 0  # noqa: S608

    colspec: dict[str, str] = {"line": "VARCHAR"} if info.has_line_column else {}
    for i in range(n):
        colspec[f"c{i + 1}"] = "VARCHAR"
    skip = 1 if info.has_line_column else info.header_line
    rejects_table, rejects_scan = f"rej_{table}", f"scan_{table}"
    try:
        # Straight into the staging table: one copy of the text, in file order (insertion order is kept).
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM read_csv(?, columns = ?, "  # noqa: S608 - own names
            "header = false, auto_detect = false, skip = ?, delim = ?, quote = '\"', escape = '\"', "
            f"store_rejects = true, rejects_table = '{rejects_table}', rejects_scan = '{rejects_scan}', "
            "strict_mode = true, null_padding = false, parallel = true)",
            [str(info.csv_path), colspec, skip, info.delimiter],
        )
    except duckdb.Error as exc:
        raise _refuse("data.err.csv", lang, file=info.name, detail=str(exc).splitlines()[0][:200]) from exc
    con.execute(
        f"CREATE OR REPLACE TABLE {bad} AS SELECT CAST(line AS BIGINT) AS line, "  # noqa: S608
        f"trim(any_value(csv_line), chr(10) || chr(13)) AS raw, "
        f"string_agg(DISTINCT CAST(error_type AS VARCHAR), ', ') AS error FROM {rejects_table} GROUP BY line"
    )
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    con.execute(f"DROP TABLE IF EXISTS {rejects_scan}")
    if info.has_line_column:
        row_expr = "CAST(line AS BIGINT)"
    else:
        # DuckDB drops malformed lines; shift the record ordinal past each of them so _row is the
        # line number in the file (exact unless the file has blank lines or multi-line cells).
        bad_lines = [r[0] for r in con.execute(f"SELECT line FROM {bad} ORDER BY line").fetchall()]  # noqa: S608
        shifts = [int(line) - info.header_line - i for i, line in enumerate(bad_lines)]
        row_expr = f"CAST(rowid + 1 + {int(info.header_line)} AS BIGINT)"
        if shifts and len(shifts) <= 256:
            row_expr = (f"CAST(rowid + 1 + {int(info.header_line)} + "
                        f"len(list_filter([{', '.join(str(s) for s in shifts)}]::BIGINT[], "
                        "lambda t: t <= rowid + 1)) AS BIGINT)")
        elif shifts:
            con.execute(f"CREATE OR REPLACE TABLE {target}_shift AS SELECT unnest(?::BIGINT[]) AS t",
                        [shifts])
            row_expr = (f"CAST(rowid + 1 + {int(info.header_line)} + "  # noqa: S608 - own names
                        f"(SELECT count(*) FROM {target}_shift s WHERE s.t <= r.rowid + 1) AS BIGINT)")
    # The staged rows with ``_row`` (line/row number in the file), without a second copy of the text.
    con.execute(f"CREATE OR REPLACE VIEW {target}_rows AS SELECT {cols}, {row_expr} AS _row "  # noqa: S608
                f"FROM {target} r")
    return (con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0],  # noqa: S608
            con.execute(f"SELECT count(*) FROM {bad}").fetchall()[0][0])  # noqa: S608


def save_upload(workdir: Path, name: str, data: bytes) -> Path:
    """Write uploaded bytes under a name of our own (the user's file name never becomes a path)."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = re.sub(r"[^a-z0-9.]", "", Path(name).suffix.lower())[:10]
    path = Path(workdir) / f"upload_{digest}{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return path
