"""The vendors' OpenAPI specs, as package data, and the tooling that reads them.

``specs`` finds and loads the spec files (the mocks serve them) and holds the vendor registry
(``VENDORS``); ``limits`` the vendors' published rate limits and ``currencies`` the ISO 4217
currencies amounts are in (what the mocks, the core and the simulator share besides the specs);
``consumer`` checks the core's calls against the specs (the world does, on every call);
``documents`` and ``diff`` compare two versions of an API; ``conformance`` runs Schemathesis
against the mocks. This package imports neither the simulator nor the core, and this file only
the registry, so the command line's ``contracts.diff`` loads little more than itself.
"""

from contracts.specs import FEED_VENDORS, VENDORS, WEBHOOK_VENDORS

__all__ = ["FEED_VENDORS", "VENDORS", "WEBHOOK_VENDORS"]
