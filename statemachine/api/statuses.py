"""Which HTTP status answers which refusal: the one table of it (SPEC, "HTTP API").

401 no or bad token, 403 the actor may not, 404 unknown lead (or intake, or
path), 409 refused by the policy or a conflicting change, 413 a body over
the limit, 422 invalid input, 503 the database cannot be used. The body is always `{"error": SENTENCE}`,
the sentence the CLI prints for the same refusal.
"""

from __future__ import annotations

from ..errors import (
    BatonError,
    DatabaseBusy,
    DatabaseProblem,
    DuplicateLead,
    ErasureRefused,
    FinalLead,
    NoRole,
    NotAllowed,
    NotAllowedHere,
    PolicyChanged,
    Refused,
    UnknownIntake,
    UnknownLead,
    WrongState,
)


class Unauthorized(BatonError):
    """No token, or one that is not (or no longer) valid."""


class NotFound(BatonError):
    """A path the API does not have."""


class TooLarge(BatonError):
    """A request body over MAX_REQUEST_BYTES."""


FORBIDDEN = (NotAllowed, NoRole, NotAllowedHere, ErasureRefused)
CONFLICT = (Refused, WrongState, FinalLead, DuplicateLead, PolicyChanged, DatabaseBusy)


def status_of(error: BatonError) -> int:
    """The status for a refusal; anything not named is invalid input (422)."""
    if isinstance(error, Unauthorized):
        return 401
    if isinstance(error, FORBIDDEN):
        return 403
    if isinstance(error, (UnknownLead, UnknownIntake, NotFound)):
        return 404
    if isinstance(error, CONFLICT):
        return 409
    if isinstance(error, TooLarge):
        return 413
    if isinstance(error, DatabaseProblem):
        return 503  # the database is gone, read-only or damaged: no fault of the request
    return 422
