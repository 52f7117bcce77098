"""The vendors' published contracts (``contracts/<vendor>.yaml``) and what the mocks, the core
and the simulator share besides them: the vendor registry (``VENDORS``), their published limits
(``contracts.limits``) and the ISO 4217 currencies amounts are in (``contracts.currencies``).

Only the registry is imported here, so ``import contracts`` stays cheap.
"""

from contracts.specs import VENDORS, WEBHOOK_VENDORS

__all__ = ["VENDORS", "WEBHOOK_VENDORS"]
