"""Stateful vendor mocks: CRM, CLM, PSA, ERP (tax and payments follow)."""
