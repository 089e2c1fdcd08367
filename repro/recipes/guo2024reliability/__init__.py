"""Guo & Yang (2024), Improving Weak-to-Strong Generalization with Reliability-Aware Alignment (arXiv 2406.19032).

The recipe's identity and configuration (torch-free, so a preset is checked before the heavy imports);
the method itself is ``recipe.py``; presets are ``presets/*.yaml``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...config import ConfidenceSettings, ModelConfig, RecipeConfig

TITLE = "Reliability-aware alignment: filter or reweight weak labels by answer consistency under variations"
PAPER = "guo2024improving"

Method = Literal["naive_soft", "confidence", "naive_votes", "filter", "reweight"]
DESCRIPTIONS = {
    "naive_soft": "burns2023 naive: cross-entropy to the weak model's soft labels",
    "confidence": "burns2023 auxiliary confidence loss on the weak soft labels",
    "naive_votes": "control: every example, target = share of variations answering 1, unweighted",
    "filter": "method 1: only examples with answer entropy at or below the quantile, on the variations' answers",
    "reweight": "method 2: every (example, answer) pair weighted by softmax(answer frequency / T)",
}


class ReliabilityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantile: float = Field(0.5, ge=0, le=1, description="filter: keep entropy <= this quantile (paper: median)")
    temperature: float = Field(1.0, gt=0, description="reweight: softmax temperature (paper: 0.2; 1 for two-way)")
    filter_target: Literal["votes", "weak_soft"] = Field(
        "votes", description="filter trains on the variations' answers (paper) or on the weak soft labels"
    )


Kind = Literal["bootstrap", "feature_dropout", "bootstrap_dropout", "token_dropout", "prompts"]
INPUT_SIDE = ("prompts", "token_dropout")  # vary the weak model's input text: heads or finetuned LMs
FEATURES_ONLY = ("feature_dropout", "bootstrap_dropout")  # perturb frozen features: heads only


class VariationConfig(BaseModel):
    """How the weak supervisor is queried several times per example."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind = Field(
        "bootstrap_dropout",
        description="model side: bootstrap | feature_dropout | "
        "bootstrap_dropout; input side: token_dropout | prompts (the paper's: answer-option "
        "permutations or paraphrased prompts)",
    )
    k: int = Field(5, ge=2, description="variations per example (the paper: 5 option permutations, 2 for two-way)")
    p: float = Field(0.1, ge=0, lt=1, description="dropout probability (features or words)")
    prompts: list[str] = Field(
        default_factory=list,
        description="kind prompts: one template per variation, "
        "field {text}; the weak model trains on the first and answers under every one",
    )

    @model_validator(mode="after")
    def _prompts_match_k(self) -> VariationConfig:
        if self.kind == "prompts":
            if len(self.prompts) != self.k:
                raise ValueError(f"kind prompts needs k={self.k} templates in prompts, got {len(self.prompts)}")
            bad = [t for t in self.prompts if "{text}" not in t]
            if bad:
                raise ValueError(f"every prompt template needs the field {{text}}: {bad[0]!r}")
            if len(set(self.prompts)) != len(self.prompts):
                raise ValueError("prompt templates must differ (identical prompts are not variations)")
        elif self.prompts:
            raise ValueError(f"prompts are only read by kind prompts, not {self.kind}")
        return self


# What a run reports when the preset names no methods.
DEFAULT_METHODS: tuple[Method, ...] = ("naive_soft", "confidence", "naive_votes", "filter", "reweight")


class Config(RecipeConfig):
    weak: ModelConfig = Field(default_factory=lambda: ModelConfig(name="minilm-l6", label="MiniLM-L6"))
    strong: ModelConfig = Field(default_factory=lambda: ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"))
    variation: VariationConfig = Field(default_factory=VariationConfig)
    reliability: ReliabilityConfig = Field(default_factory=ReliabilityConfig)
    methods: list[Method] = Field(default_factory=lambda: list(DEFAULT_METHODS))
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)

    @model_validator(mode="after")
    def _finetune_needs_input_side(self) -> Config:
        if self.finetune and self.variation.kind in FEATURES_ONLY:
            raise ValueError(
                f"variation.kind {self.variation.kind} perturbs frozen features; with finetune use "
                f"bootstrap (k weak finetunes) or an input-side kind: {' or '.join(INPUT_SIDE)}"
            )
        return self
