"""The documented, tunable configuration of ring detection (pure). See ``docs/intel.md``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lendguard.intel.template_model import TemplateParams

# Signal names, in the order they are reported.
SIGNALS: tuple[str, ...] = (
    "shared_contact",
    "phone_takeover",
    "third_party_answer",
    "template",
    "number_segment",
    "sequence",
    "burst",
)

# Weights sum to 1. Each signal contributes weight x strength (strength = share of the ring's
# borrowers the signal covers, or 1/0 for a burst), so a ring's score is the sum of its signals'
# contributions. No single signal reaches the default threshold 0.5 on its own: a law firm that
# gives its own number for a few clients (shared_contact only) scores 0.25.
DEFAULT_WEIGHTS: dict[str, float] = {
    "shared_contact": 0.25,
    "phone_takeover": 0.20,
    "third_party_answer": 0.10,
    "template": 0.20,
    "number_segment": 0.10,
    "sequence": 0.10,
    "burst": 0.05,
}

# Mobile virtual network operator segments (虚拟运营商号段), favoured for numbers bought in bulk.
VIRTUAL_SEGMENTS: tuple[str, ...] = ("170", "171", "162", "165", "167")


@dataclass(frozen=True)
class DetectionConfig:
    """Every parameter of a detection run; echoed as ``parameters`` in the output."""

    threshold: float = 0.5
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_ring_borrowers: int = 2  # a lone borrower is never a ring; pairs still need strong signals to score
    max_indicator_borrowers: int = 1000  # a number behind more borrowers is a hub (e.g. a hotline)
    segment_prefix: int = 9  # shared leading digits of a bulk-bought block (100 numbers)
    min_segment_borrowers: int = 3
    min_segment_numbers: int = 2
    virtual_segments: tuple[str, ...] = VIRTUAL_SEGMENTS
    sequence_days: int = 14  # change -> request and request -> complaint within this many days
    burst_hours: int = 72
    burst_min_complaints: int = 3
    link_templates: bool = False  # template clusters join borrowers only when enabled
    template: TemplateParams = field(default_factory=TemplateParams)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signal weights: {', '.join(sorted(unknown))}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError("threshold must lie in 0..1")

    def weight(self, signal: str) -> float:
        return self.weights.get(signal, 0.0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (weights sorted by signal order)."""
        data = asdict(self)
        data["weights"] = {s: self.weight(s) for s in SIGNALS}
        data["virtual_segments"] = list(self.virtual_segments)
        return data

    def without(self, signal: str) -> DetectionConfig:
        """The same configuration with one signal's weight set to 0 (ablation)."""
        weights = dict(self.weights)
        weights[signal] = 0.0
        return DetectionConfig(**{**self.__dict__, "weights": weights})
