"""Reports: the handover's figures from the log alone, for both heads.

`compute` reads the log once and returns `Figures`: the funnel, conversion
along the main path, SLA compliance (by week, and breaches by hour of the
week), recycle reasons and each rep's load. The text and CSV forms are in
`text` and `table`; the page is `page`.
"""

from .compute import compute
from .figures import Figures

__all__ = ["Figures", "compute"]
