"""The exception tree of the engine.

Each error carries data (the lead, the trigger, the unmet items); `str()` gives
one plain sentence that says what is wrong and what would make it pass, so the
CLI can print it as it is. Nothing here knows about click or terminals.
"""

from __future__ import annotations

from .base import (
    BadArgument as BadArgument,
)
from .base import (
    BadUsage as BadUsage,
)
from .base import (
    BatonError as BatonError,
)
from .base import (
    ClockRefused as ClockRefused,
)
from .base import (
    DatabaseBusy as DatabaseBusy,
)
from .base import (
    DatabaseProblem as DatabaseProblem,
)
from .base import (
    PolicyInvalid as PolicyInvalid,
)
from .base import (
    PolicyProblem as PolicyProblem,
)
from .base import (
    _and as _and,
)
from .base import (
    closest as closest,
)
from .commands import (
    AlreadyServing as AlreadyServing,
)
from .commands import (
    BadExpectedHead as BadExpectedHead,
)
from .commands import (
    BadImportRow as BadImportRow,
)
from .commands import (
    BadIntake as BadIntake,
)
from .commands import (
    BadMapOption as BadMapOption,
)
from .commands import (
    BadWhere as BadWhere,
)
from .commands import (
    BulkStopped as BulkStopped,
)
from .commands import (
    ErasureRefused as ErasureRefused,
)
from .commands import (
    ImportReaderStopped as ImportReaderStopped,
)
from .commands import (
    ImportRefused as ImportRefused,
)
from .commands import (
    LeadsInRemovedStates as LeadsInRemovedStates,
)
from .commands import (
    LogBroken as LogBroken,
)
from .commands import (
    NoLongerMatches as NoLongerMatches,
)
from .commands import (
    PolicyChanged as PolicyChanged,
)
from .commands import (
    RepNotAway as RepNotAway,
)
from .commands import (
    UnknownFilter as UnknownFilter,
)
from .commands import (
    UnknownGrouping as UnknownGrouping,
)
from .commands import (
    UnknownIntake as UnknownIntake,
)
from .commands import (
    VersionNotHigher as VersionNotHigher,
)
from .leads import (
    BadFields as BadFields,
)
from .leads import (
    BadFieldValue as BadFieldValue,
)
from .leads import (
    DuplicateLead as DuplicateLead,
)
from .leads import (
    FieldProblem as FieldProblem,
)
from .leads import (
    FinalLead as FinalLead,
)
from .leads import (
    MissingKeys as MissingKeys,
)
from .leads import (
    NoRole as NoRole,
)
from .leads import (
    NotAllowed as NotAllowed,
)
from .leads import (
    NotAllowedHere as NotAllowedHere,
)
from .leads import (
    Refused as Refused,
)
from .leads import (
    UnknownField as UnknownField,
)
from .leads import (
    UnknownKeys as UnknownKeys,
)
from .leads import (
    UnknownLead as UnknownLead,
)
from .leads import (
    UnknownName as UnknownName,
)
from .leads import (
    UnknownState as UnknownState,
)
from .leads import (
    UnknownTrigger as UnknownTrigger,
)
from .leads import (
    WrongState as WrongState,
)
from .leads import (
    _no_role as _no_role,
)
