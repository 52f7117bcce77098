"""``q2c contracts fidelity`` on a terminal: how close each contract is to its vendor's real spec,
one row per contract (or, with ``--json``, the same and every mismatch as one JSON document).

``contracts.fidelity`` builds the table; this module only shows it. ``--markdown`` prints the
table the README's "Fidelity" section holds, so that section is pasted, never hand-typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from contracts.fidelity import ContractFidelity, fidelity
from sim.app.terminal import console, print_json

__all__ = ["fidelity_markdown", "fidelity_summary", "present_fidelity"]

GOAL = 0.95  # the goal for the share of declared fields found in the real schema
_HEADERS = (
    "contract", "vendor", "operations", "in real spec", "documented only", "sandbox-only",
    "not found", "fields matching", "of them documented only", "share",
    "sandbox-only fields", "real examples accepted",
)  # fmt: skip


def present_fidelity(
    specs: Path, *, as_json: bool = False, markdown: bool = False, details: bool = False
) -> int:
    """Print the table (or JSON, or Markdown); 0 always: the table is a measurement, not a gate
    (the mapping test is the gate)."""
    table = fidelity(specs)
    if as_json:
        print_json(fidelity_summary(table, specs))
    elif markdown:
        console.print(fidelity_markdown(table), highlight=False, markup=False, soft_wrap=True)
    else:
        _show(table, details)
    return 0


def _row(contract: ContractFidelity) -> list[str]:
    share = contract.share
    return [
        contract.contract,
        contract.vendor,
        str(len(contract.operations)),
        str(contract.count("mirrored")),
        str(contract.count("documented")),
        str(contract.count("sandbox-only")),
        str(contract.count("not-found")),
        f"{contract.fields_matched}/{contract.fields}",
        str(contract.fields_documented),
        "-" if share is None else f"{100 * share:.1f}%",
        str(contract.fields_sandbox_only),
        _examples(contract),
    ]


def _examples(contract: ContractFidelity) -> str:
    if contract.examples:
        return f"{contract.examples_accepted}/{contract.examples}"
    return "none in spec" if contract.count("mirrored") else "no spec"


def fidelity_markdown(table: list[ContractFidelity]) -> str:
    """The table as GitHub Markdown (the README's copy)."""
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + " --- |" * len(_HEADERS)]
    lines += ["| " + " | ".join(_row(contract)) + " |" for contract in table]
    return "\n".join(lines)


def fidelity_summary(table: list[ContractFidelity], specs: Path) -> dict[str, Any]:
    """``--json``: per contract its counts and share, and per operation what it mirrors, its
    status, its field mismatches and the errors of the real examples it refuses."""
    return {
        "specs": str(specs),
        "goal_share": GOAL,
        "contracts": {
            c.contract: {
                "vendor": c.vendor,
                "operations": len(c.operations),
                **{status: c.count(status) for status in _STATUSES},
                "fields": c.fields,
                "fields_matched": c.fields_matched,
                "fields_documented": c.fields_documented,
                "share": None if c.share is None else round(c.share, 4),
                "fields_sandbox_only": c.fields_sandbox_only,
                "examples": c.examples,
                "examples_accepted": c.examples_accepted,
                "by_operation": {
                    op.operation_id: {
                        "method": op.method,
                        "path": op.path,
                        "status": op.status,
                        "mirrors": op.mirrors,
                        "fields": op.fields,
                        "fields_matched": op.fields_matched,
                        "fields_documented": op.fields_documented,
                        "mismatches": op.mismatches,
                        "documented": op.documented,
                        "fields_sandbox_only": op.fields_sandbox_only,
                        "sandbox_only": op.sandbox_only,
                        "examples": op.examples,
                        "examples_accepted": op.examples_accepted,
                        "example_errors": op.example_errors,
                    }
                    for op in c.operations
                },
            }
            for c in table
        },
    }


_STATUSES = ("mirrored", "documented", "sandbox-only", "not-found")


def _show(table: list[ContractFidelity], details: bool) -> None:
    view = Table(title="Fidelity to the vendors' real specs", title_justify="left")
    for header in _HEADERS:
        view.add_column(header, justify="left" if header in ("contract", "vendor") else "right")
    for contract in table:
        row = _row(contract)
        share = contract.share
        if share is not None:
            style = "green" if share >= GOAL else "bold red"
            row[9] = f"[{style}]{row[9]}[/]"
        view.add_row(*row)
    console.print(view)
    for contract in table:
        for op in contract.operations:
            if op.status == "not-found":
                console.print(
                    f"[bold red]not found[/] {contract.contract} {escape(op.operation_id)}: "
                    f"{escape('; '.join(op.mismatches) or 'no spec or doc named')}",
                    highlight=False, soft_wrap=True,
                )  # fmt: skip
            if details:
                found = [*op.mismatches, *op.documented, *op.sandbox_only]
                for line in found if op.status == "mirrored" else ():
                    console.print(
                        f"{contract.contract} {escape(op.operation_id)}: {escape(line)}",
                        highlight=False, soft_wrap=True,
                    )  # fmt: skip
                for line in op.example_errors:
                    console.print(
                        f"{contract.contract} {escape(op.operation_id)}: {escape(line)}",
                        highlight=False, soft_wrap=True,
                    )  # fmt: skip
    console.print(
        f"Fields: declared request and success-response properties found in the real schema "
        f"under the same path with a compatible JSON type, or that the vendor's documentation "
        f"shows where its spec file lacks them (cited in our spec, counted apart: 'by docs'; "
        f"goal {GOAL:.0%}); members marked x-sandbox-only (no counterpart at the vendor, the "
        f"reason given) are counted apart, never in the share; --details lists the others, the "
        f"citations and the reasons, --json everything.",
        highlight=False,
    )
