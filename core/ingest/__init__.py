"""Import pipeline: read (formats, encodings) → mapping (headers) → clean (values) → load (atomic).

The pages and ``python -m core import`` are two thin shells over ``import_files`` /
``stage`` + ``diagnose`` + ``load``, ``undo`` and ``history``.
"""

from core.ingest.clean import Options
from core.ingest.doctor import Diagnosis, diagnose, orphan_text
from core.ingest.load import (
    MODES,
    ImportReport,
    Staged,
    drop,
    history,
    import_files,
    load,
    prepare,
    rejects_frame,
    stage,
    table_frame,
    undo,
)
from core.ingest.mapping import FIELDS, KINDS, REQUIRED
from core.ingest.read import encoding_label, peek_encoding, save_upload

__all__ = [
    "FIELDS", "KINDS", "MODES", "REQUIRED", "Diagnosis", "ImportReport", "Options", "Staged", "diagnose", "drop",
    "encoding_label", "history", "import_files", "load", "orphan_text", "peek_encoding", "prepare", "rejects_frame",
    "save_upload", "stage", "table_frame", "undo",
]
