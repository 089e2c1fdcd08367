"""Local task data (issue 9, item 3): splits mapped explicitly or found by Hugging Face name (recursively, as in the
hub's data/*.parquet layout), test rows only from the evaluation split, overlap refused, capped n_test said;
and your own CSV/JSONL/parquet table as a task with no code."""

import json
import logging
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pandas as pd
import pytest

from repro.config import ConfigError, TaskConfig, load_config
from repro.tasks import DataError, load_task, make_splits


def boolq_rows(prefix: str, n: int) -> list[dict]:
    return [{"passage": f"{prefix} passage {i}", "question": "is it?", "answer": bool(i % 2)} for i in range(n)]


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_hf_train_and_validation_layout_takes_test_rows_from_validation_only(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", boolq_rows("train", 300))
    write_jsonl(tmp_path / "validation.jsonl", boolq_rows("val", 100))
    task = load_task(TaskConfig(name="boolq", path=str(tmp_path), n_examples=300, n_test=100))
    test = [t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if m]
    pool = [t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if not m]
    assert len(test) == 100 and all(t.startswith("Passage: val") for t in test)
    assert all(t.startswith("Passage: train") for t in pool)
    s = make_splits(task, seed=0)
    assert sorted(s.test.tolist()) == [i for i, m in enumerate(task.test_mask.tolist()) if m]


def test_hub_parquet_layout_under_data_is_found_recursively(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame(boolq_rows("train", 60)).to_parquet(data / "train-00000-of-00001.parquet")
    pd.DataFrame(boolq_rows("val", 30)).to_parquet(data / "validation-00000-of-00001.parquet")
    task = load_task(TaskConfig(name="boolq", path=str(tmp_path), n_examples=60, n_test=20))
    test = [t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if m]
    assert len(test) == 20 and all("val passage" in t for t in test)


def test_explicit_splits_mapping_names_the_files(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", boolq_rows("train", 60))
    write_jsonl(tmp_path / "b.jsonl", boolq_rows("heldout", 30))
    task = load_task(
        TaskConfig(
            name="boolq", path=str(tmp_path), splits={"train": "a.jsonl", "test": "b.jsonl"}, n_examples=60, n_test=20
        )
    )
    assert all("heldout" in t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if m)
    with pytest.raises(DataError, match=r"splits.test: no file 'c.jsonl'"):
        load_task(TaskConfig(name="boolq", path=str(tmp_path), splits={"train": "a.jsonl", "test": "c.jsonl"}))


def test_splits_key_must_be_a_hugging_face_split_name(tmp_path):
    preset = tmp_path / "p.yaml"
    preset.write_text("name: boolq\npath: x\nsplits: {dev: b.jsonl}\n")
    with pytest.raises(ConfigError, match=r"p.yaml:3: splits.dev"):
        load_config(TaskConfig, preset)


def test_overlapping_splits_are_refused_with_one_line(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", boolq_rows("same", 60))
    write_jsonl(tmp_path / "test.jsonl", boolq_rows("same", 30))
    with pytest.raises(DataError) as e:
        load_task(TaskConfig(name="boolq", path=str(tmp_path), n_examples=60, n_test=20))
    msg = str(e.value)
    assert "\n" not in msg and "task boolq" in msg and "test text(s) also occur in the training pool" in msg


def test_a_single_file_never_puts_a_training_row_in_test(tmp_path):
    write_jsonl(tmp_path / "all.jsonl", boolq_rows("one", 120))
    task = load_task(TaskConfig(name="boolq", path=str(tmp_path / "all.jsonl"), n_examples=120))
    assert task.test_mask is None and len(set(task.texts)) == len(task.texts) == 120
    s = make_splits(task, seed=0)
    test = {task.texts[i] for i in s.test.tolist()}
    train = {task.texts[i] for p in (s.a_train, s.a_val, s.b_train, s.b_val) for i in p.tolist()}
    assert test and not test & train


def test_capped_n_test_is_said(tmp_path, caplog):
    write_jsonl(tmp_path / "train.jsonl", boolq_rows("train", 100))
    write_jsonl(tmp_path / "validation.jsonl", boolq_rows("val", 15))
    with caplog.at_level(logging.WARNING, logger="repro.tasks"):
        task = load_task(TaskConfig(name="boolq", path=str(tmp_path), n_examples=90, n_test=30))
    assert int(task.test_mask.sum()) == 15
    assert any("n_test capped at 15" in r.getMessage() and "validation" in r.getMessage() for r in caplog.records)
    assert any("n_test capped at 15" in n for n in task.notes)


# ---- your own table --------------------------------------------------------------------------------------------
def reviews(n: int, start: int = 0) -> pd.DataFrame:
    stars = ["good", "bad", "meh"]
    return pd.DataFrame(
        {
            "title": [f"title {i}" for i in range(start, start + n)],
            "body": [f"body {i}" for i in range(start, start + n)],
            "stars": [stars[i % 3] for i in range(start, start + n)],
        }
    )


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_own_table_with_text_columns_and_label_map(tmp_path, suffix):
    df = reviews(90)
    f = tmp_path / f"reviews.{suffix}"
    {
        "csv": lambda: df.to_csv(f, index=False),
        "jsonl": lambda: df.to_json(f, orient="records", lines=True),
        "parquet": lambda: df.to_parquet(f),
    }[suffix]()
    cfg = TaskConfig(
        name="reviews", path=str(f), text=["title", "body"], label="stars", label_map={"good": 1, "bad": 0, "meh": None}
    )
    task = load_task(cfg)
    assert len(task.texts) == 60 and task.test_mask is None  # the 30 "meh" rows are dropped
    assert task.texts[0].split("\n")[0].startswith("title ")
    for t, y in zip(task.texts, task.labels.tolist(), strict=True):
        i = int(t.split("\n")[0].split()[1])
        assert y == (1 if i % 3 == 0 else 0)


def test_own_table_errors_name_file_line_and_field(tmp_path):
    f = tmp_path / "reviews.csv"
    reviews(9).to_csv(f, index=False)
    with pytest.raises(DataError, match=r"reviews.csv:4: stars 'meh' is not in label_map"):
        load_task(TaskConfig(name="r", path=str(f), text="body", label="stars", label_map={"good": 1, "bad": 0}))
    with pytest.raises(DataError, match=r"reviews.csv: no column 'text' \(columns: title, body, stars\)"):
        load_task(TaskConfig(name="r", path=str(f), text="text", label="stars"))
    with pytest.raises(DataError, match=r"reviews.csv:2: stars 'good' is not 0/1"):
        load_task(TaskConfig(name="r", path=str(f), text="body", label="stars"))


def test_own_table_with_a_test_file_keeps_test_apart(tmp_path):
    reviews(60).to_csv(tmp_path / "train.csv", index=False)
    reviews(30, start=1000).to_csv(tmp_path / "test.csv", index=False)
    task = load_task(
        TaskConfig(
            name="r",
            path=str(tmp_path),
            text="body",
            label="stars",
            n_examples=60,
            n_test=20,
            label_map={"good": 1, "bad": 0, "meh": 0},
        )
    )
    test = [t for t, m in zip(task.texts, task.test_mask.tolist(), strict=True) if m]
    assert len(test) == 20 and all(int(t.split()[1]) >= 1000 for t in test)


def test_hub_task_that_cannot_be_loaded_is_reported_with_its_fetch_command(monkeypatch):
    import datasets

    from repro.data_fetch import DataUnavailable

    def offline(*a, **k):
        raise ConnectionError("Couldn't reach 'google/boolq' on the Hub (OfflineModeIsEnabled)\nmore detail")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataUnavailable) as e:
        load_task(TaskConfig(name="boolq"))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("task boolq: google/boolq")
    assert "`python -m repro data fetch boolq`" in msg
