"""Run by tests/test_repro_lang2025debate.py, once as one process and once under torchrun (2 ranks, gloo): debate
transcripts from a deterministic fake debater; each rank writes what it generated and what it returned."""

import json
import sys

from repro.cache import Cache
from repro.recipes.lang2025debate import DebateConfig, GenerationSettings
from repro.recipes.lang2025debate.debate import generate_transcripts
from repro.trainer import rank_world


def main(out: str, cache_dir: str) -> None:
    cfg = DebateConfig(model="fake-debater", generation=GenerationSettings(batch_size=2, backend="transformers"))
    texts = [f"example {i}" for i in range(9)]
    asked: list[str] = []

    def factory(c, root):
        def answer(users, seed):
            asked.extend(users)
            return [f"argument {len(u)} {seed % 97}" for u in users]

        return answer

    cache = Cache(cache_dir)
    trs = generate_transcripts(cfg, [f"k{i}" for i in range(9)], texts, 0, cache, generator_factory=factory)
    rank, world = rank_world()
    with open(f"{out}.{rank}", "w") as f:
        json.dump({"world": world, "asked": len(asked), "texts": [t.text for t in trs]}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
