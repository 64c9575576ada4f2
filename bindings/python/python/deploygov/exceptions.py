"""The exceptions deploygov raises: one base class, one subclass per core error code.

The classes are defined in the native module (one error-mapping file, ``src/errors.rs``) and
re-exported here. Every class has ``code`` (the snake_case name every face uses, e.g.
``"self_approval"``) and ``code_number`` (the stable number); a raised instance also has
``message``. ``ValidationFailedError`` carries ``report`` (a ``ValidationReport``) and
``findings`` (its errors, then its warnings); ``StorageError`` carries ``backend_code`` (SQLite's
extended code, or ``None``); ``AuditCorruptError`` carries ``seq``, the first entry that does not
verify.

Wrong Python types are ``TypeError`` (a non-dict where a record is expected, a non-str id,
``None`` where a value is required) and out-of-range Python values ``ValueError``; data the core
cannot read (missing fields, unknown enum strings) is ``InvalidInputError``, as in every face.
"""

from __future__ import annotations

from deploygov._native import (
    AuditCorruptError,
    ConflictError,
    DeploygovError,
    ForbiddenError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PolicyViolationError,
    SelfApprovalError,
    StorageError,
    ValidationFailedError,
)

__all__ = [
    "BY_CODE",
    "AuditCorruptError",
    "ConflictError",
    "DeploygovError",
    "ForbiddenError",
    "InvalidInputError",
    "InvalidTransitionError",
    "NotFoundError",
    "PolicyViolationError",
    "SelfApprovalError",
    "StorageError",
    "ValidationFailedError",
]

BY_CODE: dict[str, type[DeploygovError]] = {
    cls.code: cls
    for cls in (
        NotFoundError,
        InvalidTransitionError,
        ForbiddenError,
        SelfApprovalError,
        PolicyViolationError,
        ValidationFailedError,
        ConflictError,
        InvalidInputError,
        StorageError,
        AuditCorruptError,
    )
}
"""The exception class of each error code name."""
