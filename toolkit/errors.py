"""The exception tree every stage raises for expected failures.

    ToolkitError            anything the user can act on; `.hint` says how
    ├── CaseError           the case folder, case.toml or case.db is missing, invalid or too new
    ├── InputError          an input file cannot be read as the format asked for (names file and line)
    │   └── FormatError     no importer recognises the file, or a forced --format does not fit it
    ├── LexiconError        a lexicon file is invalid (names file and term)
    └── UsageError          arguments that do not make sense together (exit code 2)

The CLI turns each into two lines, "Error: <message>" and "<hint>", and exits 1 (2 for UsageError).
Nothing below the CLI prints or exits.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """An expected failure with a message for the user and a hint on how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class CaseError(ToolkitError):
    """The case folder or its files are missing, invalid, or made by a newer toolkit."""


class InputError(ToolkitError):
    """An input file cannot be read; the message names the file (and line when known)."""

    def __init__(self, path: str, problem: str, hint: str | None = None, line: int | None = None):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}", hint)
        self.path = str(path)
        self.line = line
        self.problem = problem


class FormatError(InputError):
    """No importer recognises the file, or the forced format does not fit it."""


class LexiconError(ToolkitError):
    """A lexicon file is invalid; the message names the file and the term."""


class UsageError(ToolkitError):
    """Arguments that do not make sense together."""

    exit_code = 2
