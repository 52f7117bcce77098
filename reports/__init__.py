"""Report builder: reads a run folder (metrics and item files) and writes `report.html` into it.

Reports never touch live simulator objects: they read the same files a notebook would.
"""

from reports._build import build_report
from reports._errors import RunFolderError

__all__ = ["RunFolderError", "build_report"]
