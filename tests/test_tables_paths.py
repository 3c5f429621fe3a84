"""Tables (CSV/TSV/JSONL/JSON/Parquet), directories, globs, stdin and unreadable inputs."""

import io
import json
import os

import pandas as pd
import pytest

from classifier.readers import ReadError, ReadOptions, TableOptions, iter_stories, read_bytes

ROWS = [
    {
        "id": "a1",
        "text": "A quiet walk by the river.",
        "rating": "General Audiences",
        "warnings": "No Archive Warnings Apply",
    },
    {"id": "a2", "text": "The duel left blood on the snow.", "rating": "T", "warnings": "Violence;Character Death"},
    {"id": "a3", "text": "They argued all night.", "rating": "Not Rated", "warnings": ""},
]


def _stories(items):
    return [s for s in items if not isinstance(s, ReadError)]


def _errors(items):
    return [s for s in items if isinstance(s, ReadError)]


@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "json", "parquet"])
def test_table_formats(tmp_path, kind):
    df = pd.DataFrame(ROWS)
    path = tmp_path / f"t.{kind}"
    if kind == "csv":
        df.to_csv(path, index=False)
    elif kind == "tsv":
        df.to_csv(path, sep="\t", index=False)
    elif kind == "jsonl":
        df.to_json(path, orient="records", lines=True)
    elif kind == "json":
        df.to_json(path, orient="records")
    else:
        df.to_parquet(path)
    items = list(iter_stories([str(path)]))
    stories = _stories(items)
    assert not _errors(items)
    assert [s.id for s in stories] == ["a1", "a2", "a3"]
    assert [s.declared.rating.canonical for s in stories] == ["general", "teen", None]
    assert stories[0].declared.warnings.status == "none"
    assert stories[1].declared.warnings.canonical == ["violence", "major_character_death"]
    assert stories[2].declared.warnings.status == "absent"
    assert stories[1].body == "The duel left blood on the snow."
    assert stories[1].format == f"table-{kind}"


def test_table_custom_columns_and_list_warnings(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps({"key": 7, "chapter": "Swords clashed.", "declared": "M", "tw": ["Graphic Depictions Of Violence"]})
        + "\n"
    )
    opts = ReadOptions(table=TableOptions(text_col="chapter", id_col="key", rating_col="declared", warnings_col="tw"))
    (s,) = list(iter_stories([str(path)], opts))
    assert (s.id, s.declared.rating.canonical, s.declared.warnings.canonical) == ("7", "mature", ["violence"])


def test_table_row_errors_keep_good_rows(tmp_path):
    path = tmp_path / "rows.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "Good row one."}),
        "{not json",
        json.dumps({"id": 3, "text": None}),
        json.dumps({"id": 4, "text": 12345}),
        json.dumps([1, 2]),
        json.dumps({"id": 6, "text": "Good row six."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    items = list(iter_stories([str(path)]))
    assert [s.id for s in _stories(items)] == ["1", "6"]
    errors = [str(e) for e in _errors(items)]
    assert any("row 2" in e and "invalid JSON" in e for e in errors)
    assert any("row 3" in e and "missing text" in e for e in errors)
    assert any("row 4" in e and "not a string" in e for e in errors)
    assert any("row 5" in e and "not a JSON object" in e for e in errors)


def test_csv_missing_text_row_numbers(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,text\n1,hello there\n2,\n3,bye now\n")
    items = list(iter_stories([str(path)]))
    assert [s.id for s in _stories(items)] == ["1", "3"]
    assert "row 3" in str(_errors(items)[0])


def test_table_without_text_column(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("a,b\n1,2\n")
    (err,) = list(iter_stories([str(path)]))
    assert isinstance(err, ReadError) and "no text column" in str(err)


def test_named_column_missing(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("text\nhello\n")
    (err,) = list(iter_stories([str(path)], ReadOptions(table=TableOptions(rating_col="nope"))))
    assert "no rating column 'nope'" in str(err)


def test_directory_recursive_sorted_and_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Rating: T\n\nSecond story text.")
    (tmp_path / "a.txt").write_text("First story text.")
    (tmp_path / ".hidden.txt").write_text("Hidden.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    stories = list(iter_stories([str(tmp_path)]))
    assert [os.path.basename(s.path) for s in stories] == ["a.txt", "two.txt"]


def test_glob(tmp_path):
    for n in ("x1.txt", "x2.txt", "y.txt"):
        (tmp_path / n).write_text(f"Story {n}.")
    stories = list(iter_stories([str(tmp_path / "x*.txt")]))
    assert [os.path.basename(s.path) for s in stories] == ["x1.txt", "x2.txt"]


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Rating: M\n\nFrom a pipe.")))
    (s,) = list(iter_stories(["-"]))
    assert s.path == "<stdin>" and s.declared.rating.canonical == "mature" and s.body == "From a pipe."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\t \r\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "PNG image"),
        (b"GIF89a\x01\x00", "GIF image"),
        (b"%PDF-1.7\n", "PDF"),
        (b"abc\x00\x01\x02\x03def\x00\xff\xfe" * 50, "NUL bytes"),
        (b"PK\x03\x04garbage", "corrupt"),
        (bytes(range(1, 32)) * 100, "control characters"),
        (b"Rating: T\nWarnings: none\n", "no story text"),
    ],
)
def test_unreadable_inputs_are_one_line_errors(data, reason):
    with pytest.raises(ReadError) as exc:
        list(read_bytes(data, "bad.txt", ReadOptions()))
    assert "bad.txt" in str(exc.value) and reason in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_path_and_batch_goes_on(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A good story.")
    items = list(iter_stories([str(tmp_path / "nope.txt"), str(good)]))
    assert isinstance(items[0], ReadError) and "no such file" in str(items[0])
    assert items[1].body == "A good story."


def test_size_cap(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    (err,) = list(iter_stories([str(big)], ReadOptions(max_size=100)))
    assert "over the 100-byte cap" in str(err)


def test_huge_single_line_is_fine(tmp_path):
    big = tmp_path / "line.txt"
    big.write_text("Rating: T\n\n" + "word " * 200_000)
    (s,) = list(iter_stories([str(big)]))
    assert s.body_words == 200_000


def test_permission_denied(tmp_path, monkeypatch):
    p = tmp_path / "locked.txt"
    p.write_text("x")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root can read anything, so the denial is simulated at the reader's open().
    monkeypatch.setattr("classifier.readers.open", deny, raising=False)
    (err,) = list(iter_stories([str(p)]))
    assert str(err) == f"{p}: permission denied"


def test_symlink_loop_does_not_hang(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "s.txt").write_text("Story.")
    (d / "loop").symlink_to(d)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    items = list(iter_stories([str(tmp_path)]))
    assert len(_stories(items)) == 1
    assert any("broken symlink" in str(e) for e in _errors(items))


def test_tables_stream_past_the_story_size_cap(tmp_path):
    path = tmp_path / "big.csv"
    pd.DataFrame({"id": range(300), "text": ["A short story about a quiet harbour."] * 300}).to_csv(path, index=False)
    assert path.stat().st_size > 5000
    stories = list(iter_stories([str(path)], ReadOptions(max_size=1000, table=TableOptions(chunksize=64))))
    assert len(stories) == 300 and not _errors(stories)
    assert stories[-1].path.endswith("#row=301")


def test_gzipped_jsonl_table(tmp_path):
    import gzip

    path = tmp_path / "rows.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(3):
            fh.write(json.dumps({"id": f"r{i}", "text": f"Story number {i}.", "rating": "T"}) + "\n")
    stories = list(iter_stories([str(path)]))
    assert [s.id for s in stories] == ["r0", "r1", "r2"]
    assert stories[0].declared.rating.canonical == "teen"


def test_stories_opening_with_brackets_or_braces_are_text_and_tables_are_still_tables(tmp_path):
    an = b"[A/N: my first fic here, be nice]\nRated T for swearing.\n\nThe bus was late again, and Ada swore at it.\n"
    brace = b"{Prologue}\n\nThe bus was late again.\n"
    thought = b'{"Can you hear me?" she thought at him.}\n\nThe bus was late again.\n'
    recs = b'[{"Flashback"}]\n\nThe bus was late again.\n'
    cases = (("an.txt", an), ("brace.txt", brace), ("-", an), ("thought.txt", thought), ("flash.md", recs))
    for name, data in cases:
        (story,) = list(read_bytes(data, name))
        assert story.format != "table-json" and "bus was late" in story.body, name
    (tagged,) = list(read_bytes(an, "an.txt"))
    assert tagged.declared.rating is not None and tagged.declared.rating.canonical == "teen"
    rows = b'[\n {"text": "The bus was late again, and Ada swore at it.", "rating": "T"}\n]\n'
    lines = b'{"text": "The bus was late again.", "rating": "T"}\n{"text": "It rained.", "rating": "K"}\n'
    assert [s.format for s in read_bytes(rows, "-")] == ["table-json"]
    assert [s.format for s in read_bytes(lines, "-")] == ["table-jsonl", "table-jsonl"]


def test_a_json_file_that_is_not_records_is_a_table_error_not_a_story(tmp_path):
    for name, data in (("arrays.json", b'[["id", "text"], ["1", "a story"]]'), ("nums.json", b"[1, 2, 3]")):
        path = tmp_path / name
        path.write_bytes(data)
        got = list(iter_stories([str(path)]))
        assert not _stories(got) and len(_errors(got)) == 1, name
        assert "text column" in _errors(got)[0].reason


def test_one_byte_cp1252_leaves_undefined_does_not_send_the_file_to_another_codepage():
    from classifier.readers.decode import LineDecoder, decode_bytes

    d = LineDecoder()
    first = d.decode(b'1,"The caf\xe9 \x81 was closed, so she walked home in the rain."')
    assert d.legacy == "cp1252" and first.startswith('1,"The caf\u00e9 \ufffd')
    assert d.decode(b'2,"\x93Hello,\x94 she said. It\x92s a lovely caf\xe9."') == (
        '2,"\u201cHello,\u201d she said. It\u2019s a lovely caf\u00e9."'
    )
    short = LineDecoder()
    assert short.decode(b"1,caf\xe9 \x81") == "1,caf\u00e9 \ufffd" and short.legacy == "cp1252"
    text, _diag = decode_bytes(b"She ordered a caf\xe9 cr\xe8me at the counter.\n" * 20 + b"A \x8f sign.\n", "x.txt")
    assert "caf\u00e9 cr\u00e8me" in text and "A \ufffd sign." in text
