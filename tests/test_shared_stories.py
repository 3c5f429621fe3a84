"""Every dev story in ../shared/data/stories gives the manifest's declared labels and body size.

Skipped when ../shared is absent. Assertion messages name files, never text.
"""

import csv

import pytest

from classifier.readers import ReadError, iter_stories


def _manifest(shared):
    with open(shared / "stories" / "manifest.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_manifest_labels_and_body_words(shared_data, taxonomy):
    rows = _manifest(shared_data)
    assert len(rows) >= 22
    mismatches = []
    for row in rows:
        path = shared_data / row["path"]
        (story,) = list(iter_stories([str(path)]))
        assert not isinstance(story, ReadError), f"{row['path']}: {story}"
        exp_rating = taxonomy.parse_rating(row["declared_rating"]) if row["declared_rating"] else None
        exp_warn = taxonomy.parse_warnings([t for t in row["declared_warnings"].split(";") if t.strip()])
        got_rating = story.declared.rating.canonical if story.declared.rating else None
        if (exp_rating.canonical if exp_rating else None) != got_rating:
            mismatches.append(f"{row['path']}: rating {got_rating}")
        if (exp_warn.status, exp_warn.canonical) != (story.declared.warnings.status, story.declared.warnings.canonical):
            mismatches.append(f"{row['path']}: warnings {story.declared.warnings.to_dict()}")
        expected_words = int(row["body_words"])
        if abs(story.body_words - expected_words) > 0.03 * expected_words + 1:
            mismatches.append(f"{row['path']}: body_words {story.body_words} vs {expected_words}")
    assert not mismatches, "\n".join(mismatches)


def test_ao3_pages_keep_declared_scale_and_words(shared_data):
    rows = [r for r in _manifest(shared_data) if r["declared_words"]]
    for row in rows:
        (story,) = list(iter_stories([str(shared_data / row["path"])]))
        assert story.declared.rating is not None and story.declared.rating.scale == "ao3", row["path"]
        assert story.declared.words == int(row["declared_words"]), row["path"]
        assert story.id == row["work_id"], row["path"]


def test_seed_000_keeps_ffn_scale(shared_data):
    (story,) = list(iter_stories([str(shared_data / "stories" / "seeds" / "000_30f17715cab7dd64.txt")]))
    assert story.declared.rating.display == "M (ffn)"
    assert story.declared.warnings.unmapped == ["Adult themes"]


@pytest.mark.parametrize("name", ["ao3_summaries.jsonl.gz", "ffn_summaries.jsonl.gz"])
def test_shared_files_present_when_folder_is(shared_data, name):
    assert (shared_data / name).exists()
