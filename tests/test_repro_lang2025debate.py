"""lang2025debate: debate turn structure and stances with a tiny local causal LM, the transcript cache
(hit, key changes, kill and resume), and the no-leakage rule on a tiny end-to-end run.

Everything is created in tmp_path (a word-level tokenizer, a 1-layer Llama, a 1-layer BERT, a bz2 CSV in the
Rotten Tomatoes format); nothing touches the hub.
"""

from __future__ import annotations

import bz2
import csv
import os
import random

import pytest
import torch
from tiny_models import SPECIALS, tiny_model, word_tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from repro.cache import Cache
from repro.recipes.lang2025debate import DebateConfig, GenerationSettings, Templates
from repro.recipes.lang2025debate.debate import Generator, assign_stance, generate_transcripts

POS = ["good", "great", "fun", "moving", "smart"]
NEG = ["bad", "awful", "dull", "boring", "flat"]
# A vocabulary reads best as a line of words (as a list literal it would take one line per word).
WORDS = (
    POS
    + NEG
    + (  # noqa: SIM905
        "movie film the a is this review claim fresh positive correct wrong argue that your opponent "
        "says and attack their argument you said replied rebut them debater"
    ).split()
)


def _tokenizer():
    return word_tokenizer(
        sorted(set(WORDS)),
        specials=SPECIALS,
        split="WhitespaceSplit",
        wordpiece_decoder=True,
        roles={"pad_token": "[PAD]", "unk_token": "[UNK]", "eos_token": "[EOS]"},
    )


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    return str(
        tiny_model(tmp_path_factory.mktemp("tiny-llama"), "llama", _tokenizer(), hidden=16, layers=1, positions=512)
    )


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    return str(
        tiny_model(tmp_path_factory.mktemp("tiny-bert"), "bert", _tokenizer(), hidden=16, layers=1, positions=512)
    )


def _cfg(lm: str, **gen) -> DebateConfig:
    g = {"max_new_tokens": 3, "do_sample": False, "batch_size": 2, **gen}
    return DebateConfig(model=lm, claim="this review is fresh", dtype="float32", generation=GenerationSettings(**g))


# ---- stances -----------------------------------------------------------------------------------------------------
def test_stance_is_seeded_per_example_and_balanced():
    keys = [f"ex{i}" for i in range(400)]
    a = [assign_stance(0, 0, k) for k in keys]
    assert a == [assign_stance(0, 0, k) for k in keys]  # reproducible
    assert [assign_stance(0, 0, k) for k in reversed(keys)] == a[::-1]  # independent of order / batch mates
    assert 150 < sum(a) < 250  # a fair coin
    assert a != [assign_stance(0, 1, k) for k in keys]  # each debate sample draws anew
    assert a != [assign_stance(1, 0, k) for k in keys]  # and each seed


# ---- the three turns ---------------------------------------------------------------------------------------------
class Recording(Generator):
    def __init__(self, cfg, root):
        super().__init__(cfg, root)
        self.calls: list[list[str]] = []

    def __call__(self, users, seed):
        self.calls.append(list(users))
        return super().__call__(users, seed)


def test_three_turns_follow_the_protocol(tiny_lm, tmp_path):
    cfg = _cfg(tiny_lm)
    texts = ["good great movie", "bad dull film", "fun smart movie", "awful flat film"]
    keys = [f"k{i}" for i in range(4)]
    made: list[Recording] = []

    def factory(c, root):
        made.append(Recording(c, root))
        return made[-1]

    trs = generate_transcripts(cfg, keys, texts, 0, Cache(tmp_path / "c"), generator_factory=factory)
    calls = made[0].calls
    assert len(calls) == 6  # 2 chunks x 3 turns, in order
    pro, con = cfg.templates.positions
    for c in range(2):
        t1, t2, t3 = calls[3 * c : 3 * c + 3]
        for j in range(2):
            i = 2 * c + j
            tr = trs[i]
            a, b = (pro, con) if tr.a_pro else (con, pro)
            assert tr.a_pro == assign_stance(cfg.seed, 0, keys[i])
            assert texts[i] in t1[j] and f"claim is {a}." in t1[j]  # A argues its assigned position
            assert f"says the claim is {a}" in t2[j] and f'"{tr.turns[0]}"' in t2[j]  # B sees A's argument ...
            assert f"Argue that the claim is {b}" in t2[j]  # ... and argues the opposite
            # A rebuts B reading the whole debate so far: both earlier turns, with who said what
            assert f"said the claim is {a}" in t3[j]
            assert f"Debater A (claim is {a}): {tr.turns[0]}\nDebater B (claim is {b}): {tr.turns[1]}" in t3[j]
            assert tr.text.startswith(f"Debater A (claim is {a}): {tr.turns[0]}\nDebater B (claim is {b}): ")
            assert all(len(t.split()) >= 1 for t in tr.turns)  # the tiny LM really generated something


# ---- cache: hit, key, kill and resume ------------------------------------------------------------------------------
def test_transcript_cache_hits_changes_and_resumes(tiny_lm, tmp_path):
    cfg = _cfg(tiny_lm, do_sample=True)
    texts = ["good great movie", "bad dull film", "fun smart movie", "awful flat film", "good fun film", "bad film"]
    keys = [f"k{i}" for i in range(6)]
    full = generate_transcripts(cfg, keys, texts, 0, Cache(tmp_path / "ref"))

    class Killed(Exception):
        pass

    count = {"chunks": 0}

    def dying(c, root):
        g = Generator(c, root)

        def call(users, seed):
            if count["chunks"] == 2 * 3:  # two chunks done: the run dies in the third
                raise Killed
            count["chunks"] += 1
            return g(users, seed)

        return call

    cache = Cache(tmp_path / "c")
    with pytest.raises(Killed):
        generate_transcripts(cfg, keys, texts, 0, cache, generator_factory=dying)
    assert len(cache.misses) == 2 + 1 and len(cache.hits) == 0  # two stored, the third died
    resumed: list[int] = []

    def counting(c, root):
        g = Generator(c, root)

        def call(users, seed):
            resumed.append(len(users))
            return g(users, seed)

        return call

    again = generate_transcripts(cfg, keys, texts, 0, cache, generator_factory=counting)
    assert resumed == [2, 2, 2]  # only the unfinished chunk, 3 turns
    assert again == full  # sampled, yet identical to an uninterrupted run
    loaded = []
    warm = generate_transcripts(cfg, keys, texts, 0, cache, generator_factory=lambda c, r: loaded.append(1))
    assert warm == full and loaded == []  # a warm run never loads the model
    changed = cfg.model_copy(update={"templates": Templates(opening="{question}\nDefend: claim is {position}.")})
    generate_transcripts(changed, keys, texts, 0, cache, generator_factory=counting)
    assert len(resumed) == 3 + 9  # a new template misses every chunk
    generate_transcripts(cfg, keys, texts, 1, cache, generator_factory=counting)
    assert len(resumed) == 3 + 9 + 9  # so does another debate sample


# ---- the recipe end to end: no ground truth of half B reaches a student ---------------------------------------------
def _write_task(path, flip_movies=frozenset()):
    rng = random.Random(0)
    rows = []
    for m in range(30):
        for j in range(3):
            y = rng.random() < 0.5
            words = rng.sample(POS if y else NEG, 2) + rng.sample(POS + NEG, 1) + ["movie"]
            label = (not y) if f"m{m}" in flip_movies else y
            rows.append(
                {"category": "fresh" if label else "rotten", "text": " ".join(words) + f" {j}", "movie_name": f"m{m}"}
            )
    with bz2.open(path, "wt", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["category", "text", "movie_name"])
        w.writeheader()
        w.writerows(rows)


def _run(tiny_lm, tiny_encoder, data, cache_dir, seen):
    from repro.config import apply_overrides
    from repro.pipeline import Context
    from repro.recipes.lang2025debate import recipe as rec

    cfg = rec.Config.model_validate(
        apply_overrides(
            {},
            {
                "task": {"name": "rotten_tomatoes", "path": str(data), "n_examples": 90},
                "seeds": 1,
                "ensemble": 2,
                "weak": {"name": tiny_encoder, "layers": 1},
                "strong": {"name": tiny_encoder},
                "weak_debate_max_length": 128,
                "head": {"l2_grid": [0.1], "trainer": {"epochs": 3, "batch_size": 16}},
                "debate": _cfg(tiny_lm, batch_size=64).model_dump(),
            },
        )
    )
    ctx = Context(cfg, Cache(cache_dir), log=lambda m: None)
    real = ctx.train

    def spy(stage, model, index, targets, loss, val_index, val_targets, **kw):
        seen.append((stage, index.clone(), targets.clone(), val_index.clone(), val_targets.clone(), kw.get("texts")))
        return real(stage, model, index, targets, loss, val_index, val_targets, **kw)

    ctx.train = spy
    return rec.run(cfg, ctx), ctx


def test_student_never_sees_half_b_ground_truth(tiny_lm, tiny_encoder, tmp_path):
    data = tmp_path / "rt.csv.bz2"
    _write_task(data)
    seen: list = []
    res, ctx = _run(tiny_lm, tiny_encoder, data, tmp_path / "c1", seen)
    s = ctx.splits(0)
    y = ctx.task().labels.float()
    students = [r for r in seen if r[0] == "student"]
    assert len(students) == 6 and set(res.methods) == {
        "debate_ensemble",
        "finetune_ensemble",
        "debate_single",
        "single",
        "confidence",
        "product",
    }
    weak = [r for r in seen if r[0] == "weak"]
    debate_weak = [r for r in weak if "Debater A (claim is " in r[5][0]]
    assert len(debate_weak) == 2 and len(weak) == 4
    for _, index, targets, val_index, _val_targets, texts in students:
        assert texts is None  # the student reads the original example, no transcript
        assert torch.equal(index, s.b_train) and torch.equal(val_index, s.b_val)
        assert ((targets > 0) & (targets < 1)).all()  # soft weak labels, not 0/1 ground truth
    # Flip the ground truth of every half-B movie: nothing a student trains or selects on may change.
    b_movies = {ctx.task().groups[int(i)] for i in torch.cat([s.b_train, s.b_val])}
    flipped = tmp_path / "rt-flipped.csv.bz2"
    _write_task(flipped, frozenset(b_movies))
    seen2: list = []
    _, ctx2 = _run(tiny_lm, tiny_encoder, flipped, tmp_path / "c1", seen2)
    assert not torch.equal(ctx2.task().labels, ctx.task().labels)  # the flip really changed half B's truth
    students2 = [r for r in seen2 if r[0] == "student"]
    for a, b in zip(students, students2, strict=True):
        assert torch.equal(a[2], b[2]) and torch.equal(a[4], b[4])
    ceil = next(r for r in seen if r[0] == "ceiling")
    assert torch.equal(ceil[2], y[s.b_train])  # only the ceiling trains on half B's ground truth


def test_small_pools_can_cap_snippets_per_movie(tmp_path):
    from repro.tasks import TaskConfig, load_task

    data = tmp_path / "rt.csv.bz2"
    _write_task(data)
    uncapped = load_task(TaskConfig(path=str(data), n_examples=30))
    capped = load_task(TaskConfig(path=str(data), n_examples=30, max_per_group=1))
    assert len(capped.texts) == 30 and len(set(capped.groups)) == 30  # one snippet from each of 30 movies
    assert len(set(uncapped.groups)) <= 15  # whole movies of up to 3 (de-duplicated) snippets


def test_baselines_are_the_papers(tiny_lm, tiny_encoder, tmp_path):
    """The ensemble baseline reads the same context as the debate weak models (example + claim, same token
    budget) minus the transcript; the confidence and product baselines train on the single weak model's labels."""
    from repro.config import LossSpec

    data = tmp_path / "rt.csv.bz2"
    _write_task(data)
    seen: list = []
    calls: list = []
    res, ctx = _run(tiny_lm, tiny_encoder, data, tmp_path / "c", seen)
    # the paper's numbers quoted beside ours are its best baselines, and say they are unconfirmed
    assert "sciq 47.1 (product loss)" in res.note and "boolq 56.4 (auxiliary confidence loss)" in res.note
    assert "NOT confirmed against the paper's tables" in res.note
    cfg = res.config
    claim = cfg["debate"]["claim"]
    texts = ctx.task().texts
    weak = [r for r in seen if r[0] == "weak"]
    debate_views = [r[5] for r in weak if "Debater A (claim is " in r[5][0]]
    plain_views = [r[5] for r in weak if "Debater A (claim is " not in r[5][0]]
    assert len(plain_views) == 2 and plain_views[0] == plain_views[1]
    for i, x in enumerate(texts):
        context = plain_views[0][i]
        assert x in context and claim in context  # the same context ...
        assert all(v[i].startswith(context + "\n") and len(v[i]) > len(context) + 1 for v in debate_views)  # + debate
    # the same weak model and token budget for both ensembles
    from repro.recipes.lang2025debate import recipe as rec

    c = rec.Config.model_validate(cfg)
    assert rec.weak_reader(c).max_length == c.weak_debate_max_length

    # students: confidence and product use their losses, on exactly the single weak model's labels
    orig = ctx.train

    def spy(stage, model, index, targets, loss, val_index, val_targets, **kw):
        calls.append((stage, loss, targets.clone(), kw.get("upstream")))
        return orig(stage, model, index, targets, loss, val_index, val_targets, **kw)

    ctx.train = spy
    rec.run_seed(ctx, c, 0, rec.debate_all(ctx, c))
    students = [x for x in calls if x[0] == "student"]
    by_loss = {x[1].name: x for x in students}
    assert set(by_loss) == {"xent", "confidence", "product"}
    single = [
        x
        for x in students
        if x[1] == LossSpec() and len(x[3]) == 1 and x[3][0] in {k[3][0] for k in students if k[1].name != "xent"}
    ]
    assert single, "the single-model student shares its supervisor with the confidence and product baselines"
    assert torch.equal(by_loss["confidence"][2], single[0][2]) and torch.equal(by_loss["product"][2], single[0][2])
    assert by_loss["confidence"][1].confidence == c.confidence and by_loss["product"][1].product == c.product


def test_rebuttal_must_show_the_debate_so_far():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="so_far"):
        Templates(rebuttal='{question}\nYour opponent replied: "{previous}"\nRebut them.')


# ---- generation backends: batched transformers generate, vLLM only when importable --------------------------------
def test_batched_generate_equals_one_at_a_time(tiny_lm, tmp_path):
    """Left padding and the attention mask: a batch of prompts of different lengths gets exactly the greedy answers
    each prompt gets alone."""
    gen = Generator(_cfg(tiny_lm, max_new_tokens=5), tmp_path)
    users = ["good", "bad dull film and awful flat movie is this", "fun smart movie review claim"]
    batched = gen(users, seed=0)
    assert batched == [gen([u], seed=0)[0] for u in users]
    assert all(batched)


def _fake_vllm(monkeypatch, made: list):
    import importlib.machinery
    import sys
    import types

    fake = types.ModuleType("vllm")
    fake.__spec__ = importlib.machinery.ModuleSpec("vllm", None)

    class SamplingParams:
        def __init__(self, **kw):
            self.kw = kw

    class LLM:
        def __init__(self, **kw):
            from transformers import AutoTokenizer

            self.kw, self.calls = kw, []
            self.tok = AutoTokenizer.from_pretrained(kw["model"])
            made.append(self)

        def get_tokenizer(self):
            return self.tok

        def generate(self, prompts, params, use_tqdm=True):
            self.calls.append((prompts, params.kw))
            out = types.SimpleNamespace
            return [out(outputs=[out(text=f" said {len(p['prompt_token_ids'])}  tokens ")]) for p in prompts]

    fake.LLM, fake.SamplingParams = LLM, SamplingParams
    monkeypatch.setitem(sys.modules, "vllm", fake)


def test_vllm_is_used_exactly_when_importable(tiny_lm, tmp_path, monkeypatch):
    from repro.recipes.lang2025debate import debate

    cfg = _cfg(tiny_lm, max_prompt_tokens=16, do_sample=True, temperature=0.7, top_p=0.9)
    texts, keys = ["good great movie", "bad dull film", "fun smart movie"], ["k0", "k1", "k2"]
    if importlib_util_find("vllm") is None:  # this machine has no vLLM: auto means transformers
        assert debate.backend(cfg) == "transformers"
        assert isinstance(debate.make_generator(cfg, tmp_path), Generator)
        with pytest.raises(RuntimeError, match="pip install"):
            debate.backend(cfg.model_copy(update={"generation": cfg.generation.model_copy(update={"backend": "vllm"})}))
    made: list = []
    _fake_vllm(monkeypatch, made)
    assert debate.backend(cfg) == "vllm"
    forced = cfg.model_copy(update={"generation": cfg.generation.model_copy(update={"backend": "transformers"})})
    assert isinstance(debate.make_generator(forced, tmp_path), Generator)  # an explicit choice wins
    trs = generate_transcripts(cfg, keys, texts, 0, Cache(tmp_path / "c"))
    (llm,) = made
    assert llm.kw["model"] == tiny_lm and llm.kw["seed"] == cfg.seed
    assert len(llm.calls) == 2 * 3  # chunks of 2 examples x 3 turns, one generate call each
    for prompts, params in llm.calls:
        assert all(0 < len(p["prompt_token_ids"]) <= 16 for p in prompts)  # cut from the left to max_prompt_tokens
        assert params == {"n": 1, "max_tokens": 3, "seed": params["seed"], "temperature": 0.7, "top_p": 0.9}
    assert trs[0].turns[0].startswith("said ") and "  " not in trs[0].turns[0]
    # the backend is part of the transcript key: transformers' transcripts are not reused for vLLM
    cache = Cache(tmp_path / "c2")
    generate_transcripts(forced, keys, texts, 0, cache)
    generate_transcripts(cfg, keys, texts, 0, cache)
    assert len(cache.hits) == 0


def importlib_util_find(name):
    import importlib.util

    return importlib.util.find_spec(name)


def _debate_worker(tmp_path, nproc):
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out, cache = tmp_path / f"out{nproc}", tmp_path / f"cache{nproc}"
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    worker = str(root / "tests" / "repro_debate_ddp_worker.py")
    cmd = (
        [sys.executable, worker, str(out), str(cache)]
        if nproc == 1
        else [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
            worker,
            str(out),
            str(cache),
        ]
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(Path(f"{out}.{r}").read_text()) for r in range(nproc)], cache


def test_torchrun_shares_debates_over_ranks(tmp_path):
    """Under torchrun each rank generates its share of the missing chunks and every rank returns exactly the
    single-process transcripts; rank 0 stores them all."""
    (one,), _ = _debate_worker(tmp_path, 1)
    two, cache = _debate_worker(tmp_path, 2)
    assert one["world"] == 1 and [r["world"] for r in two] == [2, 2]
    assert two[0]["texts"] == two[1]["texts"] == one["texts"] and len(one["texts"]) == 9
    chunks = 5  # 9 examples in chunks of 2
    assert one["asked"] == 3 * 9  # 3 turns per example
    assert (two[0]["asked"], two[1]["asked"]) == (3 * 5, 3 * 4)  # chunks 0, 2, 4 and 1, 3: split, nothing twice
    assert len(list((cache / "stages" / "transcripts").glob("*.pt"))) == chunks
