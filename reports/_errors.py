"""The one error the report builder raises on its own account."""


class RunFolderError(Exception):
    """The folder is not a readable run folder (missing or malformed `metrics.json`/`items.csv`)."""
