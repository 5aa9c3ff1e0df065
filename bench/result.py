from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Figure:
    """One measured figure beside its same-run baseline and its budget."""

    name: str
    value: float
    unit: str
    baseline: float | None
    budget: float
    # "max": value must stay at or under the budget; "min": at or over it.
    direction: str = "max"
    note: str = ""
    # The physical floor of the same work measured in the same run (below the baseline, when there is one).
    floor: float | None = None

    @property
    def passed(self) -> bool:
        return self.value <= self.budget if self.direction == "max" else self.value >= self.budget

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline

    def cells(self) -> list[str]:
        sign = "≤" if self.direction == "max" else "≥"
        return [
            self.name,
            f"{self.value:,.2f} {self.unit}",
            "—" if self.baseline is None else f"{self.baseline:,.2f} {self.unit}",
            "—" if self.ratio is None else f"{self.ratio:,.2f}×",
            "—" if self.floor is None else f"{self.floor:,.2f} {self.unit}",
            f"{sign} {self.budget:,.0f} {self.unit}",
            "pass" if self.passed else "FAIL",
        ]

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "passed": self.passed}
