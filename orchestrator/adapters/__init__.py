"""System APIs: one adapter per vendor, translating its vocabulary into the canonical model."""
