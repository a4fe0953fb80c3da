"""Size profiles: how many customers, orders, dealers and products a run simulates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Target volumes of one simulation run (other tables scale from these)."""

    name: str
    customers: int
    orders: int
    lines_per_order: float
    dealers: int
    products: int
    chunk_customers: int

    @property
    def leads(self) -> int:
        return self.dealers * 200


PROFILES: dict[str, Profile] = {
    "ci": Profile("ci", 3_000, 25_000, 2.8, 40, 300, 3_000),
    "demo": Profile("demo", 40_000, 800_000, 3.0, 200, 2_000, 20_000),
    "large": Profile("large", 1_000_000, 20_000_000, 3.0, 2_000, 20_000, 100_000),
}
