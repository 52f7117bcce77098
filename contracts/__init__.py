"""The vendors' OpenAPI specs, as package data, and the tooling that reads them.

``specs`` finds and loads the spec files (the mocks serve them); ``consumer`` checks the core's
calls against them (the world does, on every call); ``documents`` and ``diff`` compare two
versions of an API; ``conformance`` runs Schemathesis against the mocks. The specs are what the
mocks and the core share, so this package imports neither the simulator nor the core, and this
file imports nothing: the mocks load ``contracts.specs`` and the command line ``contracts.diff``
without paying for the rest.
"""
