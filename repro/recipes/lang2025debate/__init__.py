"""Lang, Huang & Li (AAAI 2025), Debate Helps Weak-to-Strong Generalization (arXiv 2501.13124): identity and
configuration of the recipe. Torch-free, so a preset is checked before the heavy imports; the method is
``recipe.py``, the debate protocol ``debate.py``, the presets ``presets/*.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...config import ConfidenceSettings, Dtype, ModelConfig, ProductSettings, RecipeConfig

TITLE = "Debate helps weak-to-strong: weak models read strong-model debates, their ensemble labels the student"
PAPER = "lang2025debate"

Method = Literal["debate_ensemble", "finetune_ensemble", "debate_single", "single", "confidence", "product"]
DESCRIPTIONS = {
    "debate_ensemble": "student on the averaged labels of weak models each trained with a different debate sample",
    "finetune_ensemble": "baseline: student on the averaged labels of weak models trained with the same context "
    "(example + claim, same token budget) but no debate, different seeds",
    "debate_single": "student on the labels of one weak model trained with debate",
    "single": "baseline: student on the labels of one weak model without debate (same context), cross-entropy",
    "confidence": "baseline: as single, with the auxiliary confidence loss (Burns et al.)",
    "product": "baseline: as single, with the product loss (weak label x the student's own prediction)",
}
# Lang et al. (2025), Qwen-7B weak and Qwen-14B strong, PGR %: task -> (best baseline, its PGR, debate ensemble).
# NOT confirmed against the paper's tables (neither its PDF nor its HTML could be retrieved here; searches found
# only abstracts and summaries). Baselines as given in issue 9: SciQ 47.1 (product loss), BoolQ 56.4 (auxiliary
# confidence loss). Debate ensemble: SciQ 76.5 and CosmosQA 56.5 from a secondary summary, BoolQ 69 as quoted
# in an earlier version of this recipe; CosmosQA's best baseline is not known here.
PAPER_PGR: dict[str, tuple[str | None, float | None, float]] = {
    "sciq": ("product loss", 47.1, 76.5),
    "boolq": ("auxiliary confidence loss", 56.4, 69.0),
    "cosmos_qa": (None, None, 56.5),
}
PAPER_PGR_CONFIRMED = False


class Templates(BaseModel):
    """Prompt templates (Python ``str.format`` fields in braces). ``{question}`` is ``example`` filled in."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(
        "You are a debater. Answer in two short sentences.", description="system message of both debaters ('' = none)"
    )
    example: str = Field("{text}\nClaim: {claim}", description="how an example is shown: fields text, claim")
    opening: str = Field(
        "{question}\nArgue that the claim is {position}.", description="turn 1 (debater A): fields question, position"
    )
    attack: str = Field(
        '{question}\nYour opponent says the claim is {opponent}: "{previous}"\n'
        "Argue that the claim is {position} and attack their argument.",
        description="turn 2 (debater B): fields question, position, opponent, previous",
    )
    so_far: str = Field(
        "Debater A (claim is {a_position}): {turn1}\nDebater B (claim is {b_position}): {turn2}",
        description="the debate before turn 3: fields a_position, b_position, turn1, turn2",
    )
    rebuttal: str = Field(
        "{question}\nThe debate so far:\n{so_far}\nYou are debater A and said the claim is "
        "{position}. Rebut debater B.",
        description="turn 3 (debater A): fields question, position, previous (B's turn), so_far "
        "(required: turn 3 reads the whole debate so far)",
    )
    transcript: str = Field(
        "Debater A (claim is {a_position}): {turn1}\nDebater B (claim is {b_position}): {turn2}\nDebater A: {turn3}",
        description="the transcript a judge reads",
    )
    positions: tuple[str, str] = Field(("correct", "wrong"), description="wording of (pro, con)")

    @field_validator("rebuttal")
    @classmethod
    def _rebuttal_reads_the_debate(cls, v: str) -> str:
        if "{so_far}" not in v:
            raise ValueError("turn 3 must show the whole debate so far: put {so_far} in the rebuttal template")
        return v


class GenerationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int = Field(24, ge=1, description="tokens per turn")
    do_sample: bool = Field(True, description="sample (different debate samples differ) or greedy")
    temperature: float = Field(0.8, gt=0)
    top_p: float = Field(0.95, gt=0, le=1)
    batch_size: int = Field(
        32,
        ge=1,
        description="examples per cache chunk: one batched generate call per turn "
        "(transformers) or one vLLM request list",
    )
    max_prompt_tokens: int = Field(384, ge=16, description="prompts are cut from the left beyond this")
    backend: Literal["auto", "vllm", "transformers"] = Field(
        "auto",
        description="auto: vLLM when it is installed (pip install '.[vllm]'), else batched transformers generate",
    )
    gpu_memory_utilization: float = Field(0.85, gt=0, le=1, description="vLLM only: share of GPU memory it may take")


class DebateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="packaged id (smollm2-135m), Hugging Face causal LM, or folder")
    revision: str | None = None
    dtype: Dtype = Field(
        "auto", description="auto (bf16 on CUDA or a CPU with native bf16, else float32), float32 or bfloat16"
    )
    claim: str = Field("The answer is correct.", description="the claim debated for every example")
    seed: int = Field(0, description="stances and sampling; fixed across training seeds")
    templates: Templates = Field(default_factory=Templates)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)


# What a run reports when the preset names no methods.
DEFAULT_METHODS: tuple[Method, ...] = (
    "debate_ensemble",
    "finetune_ensemble",
    "debate_single",
    "single",
    "confidence",
    "product",
)


class Config(RecipeConfig):
    weak: ModelConfig = Field(default_factory=lambda: ModelConfig(name="minilm-l6", label="MiniLM-L6"))
    weak_debate_max_length: int = Field(256, ge=16, description="weak model's token budget for input + transcript")
    strong: ModelConfig = Field(default_factory=lambda: ModelConfig(name="mpnet-base", layers=6, label="MPNet[:6]"))
    debate: DebateConfig = Field(default_factory=DebateConfig)
    ensemble: int = Field(4, ge=1, description="weak models per ensemble, one debate sample each (the paper: 4)")
    methods: list[Method] = Field(default_factory=lambda: list(DEFAULT_METHODS))
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings, description="the confidence baseline")
    product: ProductSettings = Field(default_factory=ProductSettings, description="the product-loss baseline")
