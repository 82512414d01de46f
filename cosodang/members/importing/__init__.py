"""Member import from spreadsheets: read, check every row, write in bulk with one audit event.

The page (views_io), `manage.py import_members` and the background tasks share these
services; see batches.py for the flow, checking.py for the row checks, reading.py for the
file-level checks. docs/import-format.md describes the columns for users.
"""

from .batches import (
    StaleRows,
    analyse_import,
    cancel_import,
    confirm_import,
    default_target_org,
    execute_import,
    find_target_org,
    get_batch,
    list_batches,
    rejected_rows,
    start_import,
)
from .checking import CLEAN_EXCLUDE, NOT_FOUND
from .reading import ImportFileError, Progress, max_bytes, max_rows, open_sheet

__all__ = [
    "CLEAN_EXCLUDE",
    "NOT_FOUND",
    "ImportFileError",
    "Progress",
    "StaleRows",
    "analyse_import",
    "cancel_import",
    "confirm_import",
    "default_target_org",
    "execute_import",
    "find_target_org",
    "get_batch",
    "list_batches",
    "max_bytes",
    "max_rows",
    "open_sheet",
    "rejected_rows",
    "start_import",
]
