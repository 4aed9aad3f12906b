"""The small family of errors whose messages a manager can read, in the reader's language.

An error carries a catalogue key and the values to fill in (sqlglot's structured errors are the
model), not finished text: the page renders it with ``err.message(lang)`` (``ui.errors.show``),
the CLI with its ``--lang``. ``str(err)`` is the Chinese text, so logs and old callers still read.
"""

from __future__ import annotations

from core.i18n import has, t


class KehuError(Exception):
    """Base of every error Kehu raises on purpose.

    ``KehuError("auth.err.user_exists", username="li")`` — ``key`` names a catalogue entry and
    ``values`` fill its placeholders. A text that is not a catalogue key is shown as it is (for
    messages already rendered with ``t()`` by the raiser).
    """

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, lang: str = "zh") -> str:
        """The message for a reader of ``lang``."""
        if has(self.key):
            return t(self.key, lang, **self.values)
        return self.key

    def __str__(self) -> str:
        return self.message("zh")


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
