"""Reader edge cases: unclosed front matter, FFN lines with middle dots, directories with no story
files, tables that are not UTF-8."""

import os

import pytest

from tests.conftest import read_one

PROSE = (
    "The rain had not stopped for three days, and Mara was tired of the sound of it on the roof.\n\n"
    "She went down to the harbour anyway, because the boats would be coming in before dark.\n"
)
LATER = "Later, when the lamps were lit, the first of the boats came round the point.\n"


# -- front matter that never closes -------------------------------------------------------
@pytest.mark.parametrize(
    "top",
    [
        "---\n",  # a rule above the story, nothing after it
        "---\ntitle: Rain\nrating: M\n\n",  # front matter whose closing line was lost
        "---\n    ",  # an indented first paragraph right after the rule
    ],
    ids=["rule-then-prose", "fields-then-prose", "indented-prose"],
)
def test_unclosed_front_matter_does_not_swallow_the_story_up_to_a_scene_break(top):
    s = read_one(top + PROSE + "\n---\n\n" + LATER, "rain.md")
    assert "The rain had not stopped" in s.body
    assert "She went down to the harbour" in s.body
    assert s.body.rstrip().endswith("came round the point.")
    assert "unclosed front matter at top: read as story text" in s.diagnostics
    assert "front matter at top" not in s.diagnostics


def test_unclosed_front_matter_fields_are_still_read_as_a_header():
    s = read_one("---\ntitle: Rain\nrating: M\n\n" + PROSE + "\n---\n\n" + LATER, "rain.md")
    assert s.title == "Rain"
    assert s.declared.rating.canonical == "mature"
    assert s.declared.rating.reason is None
    assert s.body.startswith("The rain had not stopped")


def test_unclosed_front_matter_without_any_closing_line_keeps_the_body():
    s = read_one("---\nrating: T\n\n" + PROSE, "rain.md")
    assert s.declared.rating.canonical == "teen"
    assert s.body == PROSE.strip()


def test_indented_paragraph_after_a_blank_line_ends_front_matter():
    # YAML would fold "    The rain ..." into the rating: a story's indented paragraph, not a value.
    s = read_one("---\nrating: M\n\n    " + PROSE + "\n---\n\n" + LATER, "rain.md")
    assert s.declared.rating.canonical == "mature" and s.declared.rating.reason is None
    assert "The rain had not stopped" in s.body


def test_closed_front_matter_with_a_block_scalar_summary_is_still_front_matter():
    front = "---\ntitle: Rain\nrating: M\nsummary: |\n  Mara waits.\n\n  The boats come in.\n# a comment\n---\n\n"
    s = read_one(front + PROSE, "rain.md")
    assert "front matter at top" in s.diagnostics
    assert s.title == "Rain" and s.declared.rating.canonical == "mature"
    assert s.declared.summary == "Mara waits.\n\nThe boats come in."
    assert s.body == PROSE.strip()


def test_a_title_between_two_rules_is_a_title_not_front_matter():
    s = read_one("---\nHarbour Lights\n---\n\n" + PROSE)
    assert s.title == "Harbour Lights"
    assert s.body == PROSE.strip()


# -- FFN info lines with middle dots ------------------------------------------------------
@pytest.mark.parametrize("rating, canonical", [("K", "general"), ("K+", "general"), ("T", "teen"), ("M", "mature")])
@pytest.mark.parametrize("dot", ["\u00b7", "\u2022"])
def test_ffn_info_line_with_middle_dots(rating, canonical, dot):
    line = f"Rated: {rating} {dot} English {dot} Romance/Humor {dot} Words: 1,234"
    s = read_one("Harbour Lights by someone\n" + line + "\n\n" + PROSE)
    assert s.format == "ffn-txt"
    assert s.title == "Harbour Lights"
    assert s.declared.rating.to_dict() == {"raw": rating, "scale": "ffn", "canonical": canonical}
    assert s.declared.rating.reason is None
    assert s.declared.language == "English"
    assert s.declared.tags["genres"] == ["Romance", "Humor"]
    assert s.declared.words == 1234
    assert s.body == PROSE.strip()


def test_ffn_fiction_line_with_dots_keeps_characters_pairings_and_status():
    line = "Rated: Fiction T \u00b7 English \u00b7 Drama \u00b7 [Mara, Ion] Tess \u00b7 Chapters: 2 \u00b7 Status: Complete"
    s = read_one("Harbour Lights by someone\n" + line + "\n\n" + PROSE)
    d = s.declared
    assert d.rating.canonical == "teen"
    assert d.tags["characters"] == ["Mara", "Ion", "Tess"]
    assert d.tags["relationships"] == ["Mara/Ion"]
    assert d.chapters == "2" and d.raw["ffn status"] == "Complete"


def test_ffn_line_with_dots_wrapped_onto_the_next_line():
    top = "Rated: Fiction T \u00b7 English \u00b7 Drama \u00b7 Mara,\nIon \u00b7 Words: 900 \u00b7 Status: Complete\n\n"
    s = read_one("Harbour Lights by someone\n" + top + PROSE)
    assert s.declared.words == 900 and s.declared.tags["characters"] == ["Mara", "Ion"]
    assert s.body == PROSE.strip()


def test_a_dotted_rating_with_reasons_is_not_an_ffn_line():
    # As with " - ": without FFN's own fields after it, the rest is the rating's reason.
    s = read_one("Rating: M \u00b7 violence\n\n" + PROSE)
    assert s.format == "txt"
    assert s.declared.rating.canonical == "mature"
    assert s.declared.warnings.canonical == ["violence"]


# -- directories with nothing to read -----------------------------------------------------
def _cli_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("ficrate: ") and "could not be read" not in ln]


@pytest.mark.parametrize("command", ["headers", "score"])
def test_a_directory_without_story_files_is_a_failed_input_and_the_batch_goes_on(tmp_path, command):
    from typer.testing import CliRunner

    from classifier.cli import app
    from tests.conftest import EXAMPLES

    (tmp_path / "empty").mkdir()
    tables = tmp_path / "only-tables"
    (tables / "deeper").mkdir(parents=True)
    (tables / "rows.csv").write_text("id,text\n1,A story in a table.\n")
    (tables / ".hidden.txt").write_text(PROSE)
    good = tmp_path / "good.txt"
    good.write_bytes((EXAMPLES / "bakery-morning.txt").read_bytes())
    args = [command, str(tmp_path / "empty"), str(good), str(tables), "-f", "jsonl"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.stderr
    assert _cli_errors(r.stderr) == [
        f"ficrate: {tmp_path / 'empty'}: no story files in it (.txt, .md, .html, .epub; tables are read only when named)",
        f"ficrate: {tables}: no story files in it (.txt, .md, .html, .epub; tables are read only when named)",
    ]
    assert "2 input(s) could not be read" in r.stderr
    assert len(r.stdout.splitlines()) == 1


def test_expand_paths_reports_empty_directories_and_globs_in_place(tmp_path):
    from classifier.readers import ReadError, expand_paths

    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a.txt").write_text(PROSE)
    items = list(expand_paths([str(tmp_path / "empty"), str(tmp_path / "full"), str(tmp_path / "empty" / "*")]))
    assert [str(i) if isinstance(i, ReadError) else i for i in items] == [
        f"{tmp_path / 'empty'}: no story files in it (.txt, .md, .html, .epub; tables are read only when named)",
        str(tmp_path / "full" / "a.txt"),
        f"{tmp_path / 'empty' / '*'}: glob matched only directories without story files",
    ]


def test_a_directory_that_cannot_be_listed_reports_why_not_emptiness(tmp_path, monkeypatch):
    from classifier.readers import ReadError, expand_paths

    def unlistable(root, onerror=None, followlinks=False):
        # As os.walk does for a directory it may not list (tests run as root, so chmod cannot).
        onerror(PermissionError(13, "Permission denied", str(root)))
        return iter(())

    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(os, "walk", unlistable)
    items = list(expand_paths([str(tmp_path / "locked")]))
    assert [str(i) for i in items if isinstance(i, ReadError)] == [f"{tmp_path / 'locked'}: Permission denied"]
    assert len(items) == 1


# -- tables that are not UTF-8 ------------------------------------------------------------
TITLE = "Caf\u00e9 \u201cNoir\u201d"
TEXT = "\u201cHello,\u201d she said \u2014 na\u00efve, and the caf\u00e9 door swung shut behind her."


def _table_bytes(kind: str, rows: list[dict], encoding: str = "cp1252") -> bytes:
    import json

    import pandas as pd

    if kind in ("csv", "tsv"):
        return pd.DataFrame(rows).to_csv(sep="," if kind == "csv" else "\t", index=False).encode(encoding)
    if kind == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(encoding)
    return json.dumps(rows, ensure_ascii=False).encode(encoding)


def _table_stories(path):
    from classifier.readers import ReadError, iter_stories

    items = list(iter_stories([str(path)]))
    assert not [i for i in items if isinstance(i, ReadError)], items
    return items


@pytest.mark.parametrize(
    "kind, gz", [("csv", False), ("tsv", False), ("jsonl", False), ("json", False), ("csv", True), ("jsonl", True)]
)
def test_cp1252_table_cells_are_decoded_as_cp1252(tmp_path, kind, gz):
    import gzip

    data = _table_bytes(kind, [{"id": "r1", "title": TITLE, "text": TEXT}])
    path = tmp_path / f"t.{kind}{'.gz' if gz else ''}"
    path.write_bytes(gzip.compress(data) if gz else data)
    (story,) = _table_stories(path)
    assert (story.title, story.body) == (TITLE, TEXT)


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_table_mixing_utf8_and_cp1252_rows_reads_each_row_in_its_own_encoding(tmp_path, kind):
    utf8 = _table_bytes(kind, [{"id": "u", "title": TITLE, "text": TEXT}], "utf-8")
    cp = _table_bytes(kind, [{"id": "c", "title": TITLE, "text": TEXT}])
    if kind == "csv":
        cp = cp.split(b"\n", 1)[1]  # the header once
    path = tmp_path / f"t.{kind}"
    path.write_bytes(utf8 + cp)
    stories = _table_stories(path)
    assert [(s.id, s.title, s.body) for s in stories] == [("u", TITLE, TEXT), ("c", TITLE, TEXT)]


def test_characters_across_a_decoded_block_boundary_are_kept(tmp_path):
    from classifier.readers.tables import _PIECE

    # UTF-8 characters of 2, 3 and 4 bytes fall across every piece boundary somewhere.
    long_text = ("\u00e9\u2014\U0001f600 snow " * (_PIECE // 8)).strip()
    path = tmp_path / "long.csv"
    path.write_bytes(_table_bytes("csv", [{"id": "x", "text": long_text}], "utf-8"))
    (story,) = _table_stories(path)
    assert story.body == long_text
    cp_text = ("caf\u00e9 \u201cnoir\u201d " * (_PIECE // 10)).strip()
    path.write_bytes(_table_bytes("csv", [{"id": "x", "text": cp_text}]))
    (story,) = _table_stories(path)
    assert story.body == cp_text


def test_cp1252_jsonl_on_stdin_is_decoded_as_cp1252(monkeypatch):
    import io
    import sys

    from classifier.readers import ReadOptions, read_path

    data = _table_bytes("jsonl", [{"id": "r1", "title": TITLE, "text": TEXT}])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    (story,) = list(read_path("-", ReadOptions(input_format="jsonl")))
    assert (story.title, story.body) == (TITLE, TEXT)


def test_parquet_binary_cells_are_decoded_as_a_file_is(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    rows = [
        {"id": "r1", "title": TITLE.encode("cp1252"), "text": TEXT.encode("cp1252")},
        {"id": "r2", "title": b"x", "text": b"\x89PNG\r\n\x1a\n" + bytes(32)},
    ]
    pd.DataFrame(rows).to_parquet(path)
    from classifier.readers import ReadError, iter_stories

    story, error = list(iter_stories([str(path)]))
    assert (story.title, story.body) == (TITLE, TEXT)
    assert isinstance(error, ReadError) and str(error) == f"{path} row 2: binary data (a PNG image), not text"
