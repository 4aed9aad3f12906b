"""The small family of errors whose messages a manager can read."""


class KehuError(Exception):
    """Base of every error Kehu raises on purpose; ``str(err)`` is shown to the user."""


class ImportRefused(KehuError):
    """A file cannot be imported at all; the database was left unchanged."""


class NotFound(KehuError):
    """A customer, follow-up or user that the request names does not exist."""


class Conflict(KehuError):
    """Someone else changed the row since it was loaded (optimistic locking)."""


class PermissionDenied(KehuError):
    """The signed-in user's role does not allow this."""


class DatabaseLocked(KehuError):
    """Another process holds the DuckDB file open for writing."""
