"""The demo product's fake invoices."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["INVOICES", "Invoice", "find_invoice"]


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    customer: str
    due: str
    amount: str
    status: str
    lines: tuple[tuple[str, str], ...]


INVOICES: tuple[Invoice, ...] = (
    Invoice("INV-1001", "Northwind Traders", "2026-12-01", "€1,200.00", "open",
            (("Consulting, 8 h", "€960.00"), ("Travel", "€240.00"))),
    Invoice("INV-1002", "Contoso Ltd", "2026-11-15", "€480.00", "overdue", (("Support plan", "€480.00"),)),
    Invoice("INV-1003", "Fabrikam", "2026-11-02", "€3,050.00", "paid",
            (("Licences × 10", "€2,500.00"), ("Onboarding", "€550.00"))),
    Invoice("INV-1004", "Tailspin Toys", "2026-12-20", "€75.00", "open", (("Stickers", "€75.00"),)),
)


def find_invoice(number: str) -> Invoice | None:
    return next((inv for inv in INVOICES if inv.number == number), None)
