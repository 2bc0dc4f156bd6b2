"""Errors the CLI and the studio show to the user as one clear paragraph.

A `UserInputError` names the file, line/field and what was expected; the CLI exits with
status 2 for it and never prints a traceback.
"""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input from the user (a file, a flag, a field): exit status 2, no traceback."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        prefix = ""
        if path is not None:
            prefix = str(path)
            if line is not None:
                prefix += f":{line}"
            if field is not None:
                prefix += f": {field}"
            prefix += ": "
        elif field is not None:
            prefix = f"{field}: "
        super().__init__(prefix + message)
        self.path = path
        self.line = line
        self.field = field
