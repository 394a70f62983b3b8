"""Errors raised by casenotes, and the process exit codes they map to.

Every message says what went wrong, where (file, line, record id, key) and how to fix it. Messages
never contain note text or span values: only ids, counts, offsets, labels, file names and keys.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``casenotes`` command; documented in the README."""

    OK = 0
    INTERNAL_ERROR = 1  # a bug: please report it with the command you ran
    USAGE_ERROR = 2  # bad command-line usage (Click's own code)
    BAD_INPUT = 3  # input that cannot be read or used: missing file, unknown format, bad records
    BAD_CONFIG = 4  # a configuration file that does not validate
    NOT_APPROVED = 5  # a model without a matching, unexpired ethics approval


class CasenotesError(Exception):
    """Base class for every error casenotes raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR


class InputError(CasenotesError):
    """Input that cannot be read: no such file, unknown format, unreadable archive."""

    exit_code = ExitCode.BAD_INPUT


class RecordError(InputError):
    """One record that breaks the data contract. Readers send it to the rejects file and go on."""


class ConfigError(CasenotesError):
    """A configuration file that does not validate."""

    exit_code = ExitCode.BAD_CONFIG


class ReconciliationError(CasenotesError):
    """Counts that do not add up (read != written + rejected): a bug, never silently ignored."""

    exit_code = ExitCode.INTERNAL_ERROR


class ApprovalError(CasenotesError):
    """A model that may not be applied: no review, rejected, expired, or altered since review."""

    exit_code = ExitCode.NOT_APPROVED
