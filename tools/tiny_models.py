"""Tiny Hugging Face models for tests and the smoke runs (tools/smoke.py), built offline: a word-level tokenizer
(``tokenizers``) and a randomly initialised model of a real family, saved together in one folder with
``save_pretrained`` so that ``AutoTokenizer``/``AutoModel.from_pretrained(folder)`` load them as a hub model.

    tok = word_tokenizer(["the", "movie", "was", "great"])          # fixed vocabulary: specials, then these words
    tok = word_tokenizer(corpus=texts, specials=SPECIALS)            # or trained on a corpus (frequency order)
    folder = tiny_model(tmp / "tiny-qwen2", "qwen2", tok, dtype="bfloat16", num_key_value_heads=1)

Each caller states the sizes, dtype and tokens its checks depend on; anything else is a small default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

SPECIALS = ("[PAD]", "[UNK]", "[EOS]", "[CLS]", "[SEP]")
# The role each special token plays unless the caller says otherwise (PreTrainedTokenizerFast's keywords).
ROLES = {"[PAD]": "pad_token", "[UNK]": "unk_token", "[EOS]": "eos_token", "[CLS]": "cls_token", "[SEP]": "sep_token"}
# family: (config class, model class, the config's names for hidden size, layers, heads and positions)
NAMES = ("hidden_size", "num_hidden_layers", "num_attention_heads", "max_position_embeddings")
FAMILIES = {
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", ("n_embd", "n_layer", "n_head", "n_positions")),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", NAMES),
    "llama": ("LlamaConfig", "LlamaForCausalLM", NAMES),
    "bert": ("BertConfig", "BertModel", NAMES),
}


def word_tokenizer(
    vocab: Iterable[str] = (),
    *,
    corpus: Iterable[str] | None = None,
    specials: Sequence[str] = SPECIALS[:3],
    roles: Mapping[str, str] | None = None,
    split: str = "Whitespace",
    wordpiece_decoder: bool = False,
) -> PreTrainedTokenizerFast:
    """A word-level tokenizer: ids 0.. are ``specials``, then ``vocab`` in its order, or (``corpus`` given) the
    words a ``WordLevelTrainer`` finds in the corpus. ``roles`` maps PreTrainedTokenizerFast keywords to tokens
    (default: each special's conventional role, :data:`ROLES`); ``split`` names the pre-tokenizer
    (``Whitespace`` also splits off punctuation, ``WhitespaceSplit`` does not); ``wordpiece_decoder`` decodes
    with WordPiece's decoder (spaces between words, none before punctuation)."""
    if corpus is not None and vocab:
        raise ValueError("word_tokenizer takes a vocabulary or a corpus, not both")
    roles = dict(roles) if roles is not None else {ROLES[s]: s for s in specials if s in ROLES}
    ids = None if corpus is not None else {w: i for i, w in enumerate(dict.fromkeys([*specials, *vocab]))}
    tk = Tokenizer(models.WordLevel(ids, unk_token=roles["unk_token"]))
    tk.pre_tokenizer = getattr(pre_tokenizers, split)()
    if wordpiece_decoder:
        tk.decoder = decoders.WordPiece(prefix="##")
    if corpus is not None:
        tk.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=list(specials)))
    return PreTrainedTokenizerFast(tokenizer_object=tk, **roles)


def tiny_model(
    folder: Path | str,
    family: str,
    tokenizer: PreTrainedTokenizerFast,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    positions: int = 1024,
    dtype: str = "float32",
    seed: int = 0,
    **config: object,
) -> Path:
    """Save ``tokenizer`` and a ``family`` model (:data:`FAMILIES`) sized to it, initialised after
    ``torch.manual_seed(seed)`` and cast to ``dtype`` (e.g. ``"bfloat16"``, as Qwen ships), into ``folder``.
    Intermediate (MLP) size is twice ``hidden`` (GPT-2: its own default, four times); key/value heads equal
    ``heads``; pad, EOS and BOS ids are the tokenizer's (BOS: its EOS where it has none). ``config`` sets any
    other config field or overrides these."""
    config_cls, model_cls, names = FAMILIES[family]
    fields: dict[str, object] = dict(zip(names, (hidden, layers, heads, positions), strict=True))
    if family != "gpt2":
        fields["intermediate_size"] = 2 * hidden
    if family in ("qwen2", "llama"):
        fields["num_key_value_heads"] = heads
    eos = tokenizer.eos_token_id
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
    fields.update(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, eos_token_id=eos, bos_token_id=bos)
    fields.update(config)
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls)(getattr(transformers, config_cls)(**fields))
    model.to(getattr(torch, dtype)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)
