"""Lang, Huang & Li (AAAI 2025), Debate Helps Weak-to-Strong Generalization (arXiv 2501.13124).

The recipe's identity and configuration (torch-free, so a preset is checked before the heavy imports);
the method itself is ``recipe.py``; presets are ``presets/*.yaml``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ...config import Dtype, ModelConfig, RecipeConfig

TITLE = "Debate helps weak-to-strong: weak models read strong-model debates, their ensemble labels the student"
PAPER = "lang2025debate"

Method = Literal["debate_ensemble", "finetune_ensemble", "debate_single", "naive"]
DESCRIPTIONS = {
    "debate_ensemble": "student on the averaged labels of weak models each trained with a different debate sample",
    "finetune_ensemble": "student on the averaged labels of weak models without debate (different seeds)",
    "debate_single": "student on the labels of one weak model trained with debate",
    "naive": "student on the labels of one weak model without debate (burns2023 naive, soft labels)",
}
# The paper's Table (Qwen-7B weak, Qwen-14B strong), PGR %: best baseline -> debate ensemble.
PAPER_PGR = {"sciq": (44, 77), "boolq": (51, 69), "cosmos_qa": (30, 57)}


class Templates(BaseModel):
    """Prompt templates (Python ``str.format`` fields in braces). ``{question}`` is ``example`` filled in."""
    model_config = ConfigDict(extra="forbid")

    system: str = Field("You are a debater. Answer in two short sentences.",
                        description="system message of both debaters ('' = none)")
    example: str = Field("{text}\nClaim: {claim}", description="how an example is shown: fields text, claim")
    opening: str = Field("{question}\nArgue that the claim is {position}.",
                         description="turn 1 (debater A): fields question, position")
    attack: str = Field("{question}\nYour opponent says the claim is {opponent}: \"{previous}\"\n"
                        "Argue that the claim is {position} and attack their argument.",
                        description="turn 2 (debater B): fields question, position, opponent, previous")
    rebuttal: str = Field("{question}\nYou said the claim is {position}. Your opponent replied: \"{previous}\"\n"
                          "Rebut them.", description="turn 3 (debater A): fields question, position, previous")
    transcript: str = Field("Debater A (claim is {a_position}): {turn1}\nDebater B (claim is {b_position}): {turn2}\n"
                            "Debater A: {turn3}", description="the transcript a judge reads")
    positions: tuple[str, str] = Field(("correct", "wrong"), description="wording of (pro, con)")


class GenerationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int = Field(24, ge=1, description="tokens per turn")
    do_sample: bool = Field(True, description="sample (different debate samples differ) or greedy")
    temperature: float = Field(0.8, gt=0)
    top_p: float = Field(0.95, gt=0, le=1)
    batch_size: int = Field(32, ge=1, description="examples per generate call; also the cache chunk")
    max_prompt_tokens: int = Field(384, ge=16, description="prompts are cut from the left beyond this")


class DebateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="packaged id (smollm2-135m), Hugging Face causal LM, or folder")
    revision: str | None = None
    dtype: Dtype = Field(
        "auto", description="auto (bf16 on CUDA or a CPU with native bf16, else float32), float32 or bfloat16")
    claim: str = Field("The answer is correct.", description="the claim debated for every example")
    seed: int = Field(0, description="stances and sampling; fixed across training seeds")
    templates: Templates = Field(default_factory=Templates)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)


class Config(RecipeConfig):
    weak: ModelConfig = Field(default_factory=lambda: ModelConfig(name="minilm-l6", label="MiniLM-L6"))
    weak_debate_max_length: int = Field(256, ge=16, description="weak model's token budget for input + transcript")
    strong: ModelConfig = Field(default_factory=lambda: ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"))
    debate: DebateConfig = Field(default_factory=DebateConfig)
    ensemble: int = Field(4, ge=1, description="weak models per ensemble, one debate sample each (the paper: 4)")
    methods: list[Method] = Field(default_factory=lambda: ["debate_ensemble", "finetune_ensemble", "debate_single",
                                                           "naive"])
