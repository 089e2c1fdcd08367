"""Burns et al. (2023), Weak-to-Strong Generalization (arXiv 2312.09390).

The recipe's identity and configuration (torch-free, so a preset is checked before the heavy imports);
the method itself is ``recipe.py``; presets are ``presets/*.yaml``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ...config import GENERATIVE_TRAINING, ConfidenceSettings, ModelConfig, RecipeConfig, TrainerConfig, over_defaults

TITLE = "Weak-to-strong generalization: naive, auxiliary confidence loss, bootstrapping"
PAPER = "burns2023weak"

Method = Literal["naive_hard", "naive_soft", "confidence", "confidence_balanced", "bootstrap", "gft", "oracle_stop"]
DESCRIPTIONS = {
    "naive_hard": "cross-entropy to the weak model's hard labels",
    "naive_soft": "cross-entropy to the weak model's soft labels",
    "confidence": "auxiliary confidence loss (alpha ramps 0 -> alpha_max over the first 20% of steps), "
    "threshold prior from the config",
    "confidence_balanced": "auxiliary confidence loss with the paper's balanced prior (half hardened positives)",
    "bootstrap": "bootstrapping through the intermediate rungs of the ladder, soft labels; intermediate rungs "
    "cross-fitted (each labels only the half of half B it was not trained on)",
    "gft": "generative finetuning: the strong model first trained as a language model on the task's unlabelled "
    "training texts, then naive soft; PGR against a ceiling that was generatively finetuned too",
    "oracle_stop": "naive soft, but selection on ground-truth labels of half B's validation share (oracle)",
}

# What a run reports when the preset names no methods.
DEFAULT_METHODS: tuple[Method, ...] = (
    "naive_hard",
    "naive_soft",
    "confidence",
    "confidence_balanced",
    "bootstrap",
    "oracle_stop",
)


class Config(RecipeConfig):
    weak: ModelConfig = Field(default_factory=lambda: ModelConfig(name="minilm-l6", label="MiniLM-L6"))
    strong: ModelConfig = Field(default_factory=lambda: ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"))
    ladder: list[ModelConfig] = Field(
        default_factory=lambda: [
            ModelConfig(name="mpnet-base", layers=0, label="MPNet static"),
            ModelConfig(name="mpnet-base", layers=3, label="MPNet[:3]"),
        ],
        description="intermediate students for bootstrapping, smallest first (the strong model ends the chain)",
    )
    methods: list[Method] = Field(default_factory=lambda: list(DEFAULT_METHODS))
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
    generative_trainer: TrainerConfig = Field(
        default_factory=lambda: GENERATIVE_TRAINING.model_copy(),
        description="gft: how the strong model is finetuned as a language model",
    )

    @field_validator("generative_trainer", mode="before")
    @classmethod
    def _over_generative_defaults(cls, value: Any) -> Any:
        return over_defaults(GENERATIVE_TRAINING, value)

    @model_validator(mode="after")
    def _gft_needs_a_causal_lm(self) -> Config:
        if "gft" in self.methods and self.strong.kind != "causal":
            raise ValueError(
                "method gft finetunes the strong model as a causal language model: set strong.kind: "
                f"causal (the strong model here is {self.strong.display()!r}, kind {self.strong.kind})"
            )
        return self
