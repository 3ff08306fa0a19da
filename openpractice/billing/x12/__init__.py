"""X12 files in and out. `read_835` is importable without configuring Django."""

from .remit_835 import (
    Adjustment835,
    ClaimPayment835,
    Payment835,
    ProviderAdjustment835,
    Remittance835Error,
    ServiceLine835,
    read_835,
)

__all__ = ["Adjustment835", "ClaimPayment835", "Payment835", "ProviderAdjustment835", "Remittance835Error",
           "ServiceLine835", "read_835"]
