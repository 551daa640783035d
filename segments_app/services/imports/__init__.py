"""Member imports: a CSV list of customers applied to a segment (add, remove or replace).

The API, the dashboard and the CLI all go through these functions:

- create_import stores the upload and queues its first run (a preview, or an apply);
- start_preview / start_apply run a finished import again; run_import is the job body;
- revert_import undoes an applied import; discard_import puts a preview aside for everyone;
- map_import_columns reads an upload whose header names no known column as a person says;
- recover_interrupted fails the imports whose process stopped (current_import does, for one
  segment), keep_recovering does it on a timer in a serving process;
- import_document, segment_imports_query, current_import and get_import read them;
- rejected_rows_csv streams the rows a run rejected, with the reason for each.
"""

from __future__ import annotations

from .commands import create_import, revert_import, start_apply, start_preview
from .decisions import discard_import, map_import_columns
from .documents import import_document
from .engine import Progress, run_import
from .files import FileRefused
from .queries import current_import, get_import, segment_imports_query
from .rejected import rejected_rows_csv, rejected_rows_file_name
from .stale import keep_recovering, recover_interrupted

__all__ = [
    "FileRefused",
    "Progress",
    "create_import",
    "current_import",
    "discard_import",
    "get_import",
    "import_document",
    "keep_recovering",
    "map_import_columns",
    "recover_interrupted",
    "rejected_rows_csv",
    "rejected_rows_file_name",
    "revert_import",
    "run_import",
    "segment_imports_query",
    "start_apply",
    "start_preview",
]
