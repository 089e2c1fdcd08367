"""Burns et al. (2023), Weak-to-Strong Generalization (arXiv 2312.09390).

The recipe's identity and configuration (torch-free, so a preset is checked before the heavy imports);
the method itself is ``recipe.py``; presets are ``presets/*.yaml``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...config import ConfidenceSettings, ModelConfig, RecipeConfig

TITLE = "Weak-to-strong generalization: naive, auxiliary confidence loss, bootstrapping"
PAPER = "burns2023weak"

Method = Literal["naive_hard", "naive_soft", "confidence", "confidence_balanced", "bootstrap", "oracle_stop"]
DESCRIPTIONS = {
    "naive_hard": "cross-entropy to the weak model's hard labels",
    "naive_soft": "cross-entropy to the weak model's soft labels",
    "confidence": "auxiliary confidence loss (alpha ramps 0 -> alpha_max over the first 20% of steps), "
                  "threshold prior from the config",
    "confidence_balanced": "auxiliary confidence loss with the paper's balanced prior (half hardened positives)",
    "bootstrap": "bootstrapping through the intermediate rungs of the ladder, soft labels; intermediate rungs "
                 "cross-fitted (each labels only the half of half B it was not trained on)",
    "oracle_stop": "naive soft, but selection on ground-truth labels of half B's validation share (oracle)",
}


class Config(RecipeConfig):
    weak: ModelConfig = Field(default_factory=lambda: ModelConfig(name="minilm-l6", label="MiniLM-L6"))
    strong: ModelConfig = Field(default_factory=lambda: ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"))
    ladder: list[ModelConfig] = Field(
        default_factory=lambda: [ModelConfig(name="mpnet-base", layers=0, label="MPNet static"),
                                 ModelConfig(name="mpnet-base", layers=3, label="MPNet[:3]")],
        description="intermediate students for bootstrapping, smallest first (the strong model ends the chain)")
    methods: list[Method] = Field(default_factory=lambda: ["naive_hard", "naive_soft", "confidence",
                                                           "confidence_balanced", "bootstrap", "oracle_stop"])
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
