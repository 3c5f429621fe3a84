"""Hostile input that the other suites don't already cover; every case is one line on stderr."""

import contextlib
import io
import json
import os
import signal
import time
import zipfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.readers import ReadError, ReadOptions, iter_stories, read_bytes
from classifier.readers.epub import epub_to_html
from tests import hostile_inputs as hostile
from tests.conftest import EXAMPLES

runner = CliRunner()


def _one_error(data: bytes, name: str) -> str:
    with pytest.raises(ReadError) as exc:
        list(read_bytes(data, name, ReadOptions()))
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(name)
    return msg


def test_html_without_story_text():
    msg = _one_error(b"<html><head><title>x</title><script>var a=1;</script></head><body>  </body></html>", "p.html")
    assert "no story text" in msg


def test_ao3_page_without_chapters():
    page = (
        b'<html><body><dl class="work meta group"><dt>Rating:</dt><dd><a class="tag">Mature</a></dd></dl></body></html>'
    )
    assert "no story text" in _one_error(page, "work.html")


def test_image_with_a_txt_name():
    assert "JPEG image" in _one_error(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), "photo.txt")


def test_zip_named_epub_without_package():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "without an EPUB package" in _one_error(buf.getvalue(), "book.epub")


def test_parser_errors_stay_on_one_line():
    data = b'id,text\n1,"a\n2,b,c,d\n3\n'
    with pytest.raises(ReadError) as exc:
        list(read_bytes(data, "rows.csv", ReadOptions()))
    assert "\n" not in str(exc.value) and "cannot parse CSV" in str(exc.value)


def test_parquet_rows_with_missing_or_wrong_text(tmp_path):
    path = tmp_path / "rows.parquet"
    pd.DataFrame({"id": [1, 2, 3], "text": ["Good row.", None, "Another good row."]}).to_parquet(path)
    items = list(iter_stories([str(path)]))
    assert [s.id for s in items if not isinstance(s, ReadError)] == ["1", "3"]
    assert any("row 2" in str(e) and "missing text" in str(e) for e in items if isinstance(e, ReadError))


def test_valid_but_odd_input_is_not_an_error(tmp_path):
    odd = {
        "utf16.txt": ("Rating: T\r\n\r\nA story in UTF-16 with CRLF.\r\n").encode("utf-16"),
        "cp1252.txt": "Rating: T\n\nCaf\xe9 \u2013 na\xefve.\n".encode("cp1252"),
        "endnotes.txt": b"The story itself, told plainly.\n\nA/N: Rated T for language.\n",
        "longline.txt": b"Rating: K\n\n" + b"word " * 300_000,
    }
    for name, data in odd.items():
        (tmp_path / name).write_bytes(data)
    r = runner.invoke(app, ["headers", str(tmp_path), "-f", "jsonl"])
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 4


def test_every_bad_input_at_once_exit_2_rest_processed(tmp_path):
    bad = {
        "empty.txt": b"",
        "blank.txt": b" \n\t\n",
        "image.txt": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "broken.epub": b"PK\x03\x04" + bytes(30),
        "nul.md": b"abc\x00def\x00" * 100,
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    good = tmp_path / "good.txt"
    good.write_bytes((EXAMPLES / "bakery-morning.txt").read_bytes())
    r = runner.invoke(app, ["headers", str(tmp_path), str(tmp_path / "missing.txt"), "-f", "jsonl"])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("ficrate: ") and ": " in ln[9:]]
    for name in [*bad, "missing.txt"]:
        assert sum(name in ln for ln in lines) == 1, (name, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(r.stdout.splitlines()) == 1


def test_internal_errors_are_one_line_without_debug(monkeypatch, tmp_path):
    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("classifier.readers.read_text", boom)
    p = tmp_path / "s.txt"
    p.write_text("A story.")
    r = runner.invoke(app, ["headers", str(p)])
    assert r.exit_code == 2
    assert "internal error while reading (RuntimeError: simulated bug); rerun with --debug" in r.stderr
    r2 = runner.invoke(app, ["headers", str(p), "--debug"])
    assert isinstance(r2.exception, RuntimeError)


@pytest.mark.skipif(not (EXAMPLES.parent.parent / "models" / "ficrate-default").exists(), reason="no default model")
def test_very_long_story_scores(tmp_path):
    body = "\n\n".join((EXAMPLES / "bakery-morning.txt").read_text().split("\n\n")[1:] * 300)
    p = tmp_path / "long.txt"
    p.write_text("Rating: G\n\n" + body)
    r = runner.invoke(app, ["score", str(p), "-f", "jsonl", "--jobs", "1"])
    assert r.exit_code == 0, r.stderr
    assert '"passages": ' in r.stdout


# -- issue 13: small inputs that hung or blew up a batch -------------------------------------
# Inputs are generated (tests/hostile_inputs.py). Linearity is checked by scaling, with very
# generous bounds: each case at its issue-13 size (which took 10-45 s before) and at 4x that.


@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail instead of hanging (a FIFO open, a glob loop)."""

    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _read_time(case: str, n: int) -> tuple[float, list]:
    data = hostile.CASES[case][0](n)
    opts = ReadOptions()
    start = time.perf_counter()
    try:
        out = [
            s.body_words if hasattr(s, "body_words") else str(s)
            for s in read_bytes(data, hostile.NAMES.get(case, "story.txt"), opts)
        ]
    except ReadError as exc:
        out = [str(exc)]
    return time.perf_counter() - start, out


@pytest.mark.parametrize("case", list(hostile.CASES))
def test_hostile_input_is_read_in_linear_time(case):
    n = hostile.CASES[case][1]
    _read_time(case, n)  # warm up imports (bs4, lxml)
    with _deadline(60):
        t1, out = _read_time(case, n)
        assert t1 < 5, f"{case}: {t1:.1f} s for {n}"
        t4, _ = _read_time(case, 4 * n)
    assert t4 < 10 * t1 + 1.0, f"{case}: {t1:.2f} s at n={n}, {t4:.2f} s at 4n (quadratic?)"
    assert out and not any("RecursionError" in str(o) or "internal error" in str(o) for o in out)


def test_word_count_is_unchanged_on_ordinary_text():
    from classifier.story import count_words

    assert count_words("") == 0
    assert count_words("Hello, world! *** -- she said: “fine” _ __x__ 42 ... é") == 8
    assert count_words("* * *\n\n***\n—\n") == 0
    assert count_words("a" + "*" * 40_000 + " b") == 2


def test_a_run_of_spaces_in_a_header_line_keeps_its_fields():
    (story,) = read_bytes(("Rating: T" + " " * 40_000 + "|  Warnings: none\n\n" + hostile.BODY).encode(), "s.txt")
    assert story.declared.rating.canonical == "teen"


def test_epub_spine_listing_one_chapter_many_times_reads_it_once():
    one = epub_to_html(hostile.spine_repeats(1), "b.epub")
    assert epub_to_html(hostile.spine_repeats(150), "b.epub") == one


def test_epub_total_bytes_read_are_capped_not_only_member_sizes():
    # The spine lists the package document itself: read twice, more than the members add up to.
    pad = "<!--" + "x" * 5000 + "-->"
    data = hostile.epub(opf_extra='<item id="self" href="content.opf"/>' + pad, spine_id="self")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = sum(i.file_size for i in zf.infolist())
    with pytest.raises(ReadError, match=r"past the .*-byte cap"):
        epub_to_html(data, "b.epub", max_expanded=members)


def test_nested_zip_in_an_epub_is_not_story_text():
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("secret.txt", "not a story " * 50)
    data = hostile.epub(chapter=inner.getvalue())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("OEBPS/c1.xhtml").startswith(b"PK")
    msg = _one_error(data, "b.epub")
    assert "no readable documents" in msg and "binary" in msg


def test_deeply_unclosed_font_tags_are_read():
    (story,) = read_bytes(hostile.unclosed_fonts(1_500), "old.html")
    assert story.body_words == 14


def test_memory_error_after_reading_stays_with_its_file(monkeypatch, tmp_path):
    import classifier.story

    real = classifier.story.count_words

    def count(text):
        if "EXPLODE" in text:
            raise MemoryError
        return real(text)

    monkeypatch.setattr(classifier.story, "count_words", count)
    (tmp_path / "a.txt").write_text("A story that EXPLODE when counted.")
    (tmp_path / "b.txt").write_text("A story that is fine.")
    r = runner.invoke(app, ["headers", str(tmp_path), "-f", "jsonl"])
    assert r.exit_code == 2
    assert "a.txt: out of memory while reading" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stdout.splitlines()) == 1 and "b.txt" in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_in_a_directory_or_by_name_is_refused_not_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "x.csv")
    (tmp_path / "good.txt").write_text("A good story.")
    with _deadline(20):
        r = runner.invoke(app, ["headers", str(tmp_path), str(tmp_path / "x.csv"), "-f", "jsonl"])
    assert r.exit_code == 2
    errors = [ln for ln in r.stderr.splitlines() if "not a regular file" in ln]
    assert len(errors) == 2 and any("pipe.txt" in e for e in errors) and any("x.csv" in e for e in errors)
    assert len(r.stdout.splitlines()) == 1


def test_globs_never_follow_symlinked_directories(tmp_path):
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Story a.")
    (root / "sub" / "b.txt").write_text("Story b.")
    os.symlink(root, root / "sub" / "loop")
    os.symlink(root, root / "loop2")
    os.symlink(root / "a.txt", root / "sub" / "alias.txt")  # a link to a file is a file
    with _deadline(20):
        paths = list(iter_stories([str(root / "**" / "*.txt")]))
        whole = list(iter_stories([str(root / "**")]))
        star = list(iter_stories([str(root / "*")]))
    names = sorted(os.path.relpath(s.path, root) for s in paths)
    assert names == ["a.txt", "sub/alias.txt", "sub/b.txt"]
    assert sorted(os.path.relpath(s.path, root) for s in whole) == names
    assert sorted(os.path.relpath(s.path, root) for s in star) == names


def test_glob_matches_what_the_standard_glob_matches_without_links(tmp_path):
    import glob

    for rel in ("a.txt", "b.md", ".hidden.txt", "x/c.txt", "x/y/d.txt", ".h/e.txt", "x/.f.txt"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("Story.")
    from classifier.readers.paths import glob_no_symlinks

    for pat in ("*.txt", "*", "**", "**/*.txt", "x/**/*.txt", "*/c.txt", "x/*/", "?.md", "[ab].*", ".*", "x/y/d.txt"):
        full = str(tmp_path / pat)
        assert glob_no_symlinks(full) == sorted(glob.glob(full, recursive=True)), pat


def test_mixed_utf8_and_cp1252_lines_each_decode_in_their_own_encoding():
    (story,) = read_bytes(hostile.mixed_encoding(3), "mixed.txt")
    assert "“Café”, she said — naïve." in story.body
    assert "He said “déjà vu” and walked" in story.body
    assert story.diagnostics[0] == "decoded as utf-8 with cp1252 lines"


def test_a_wholly_cp1252_file_is_still_read_as_cp1252():
    from classifier.readers.decode import decode_bytes

    text, encoding = decode_bytes("Caf\xe9 \u2013 na\xefve.\nPlain line.\n".encode("cp1252"), "c.txt")
    assert (text, encoding) == ("Caf\xe9 \u2013 na\xefve.\nPlain line.\n", "cp1252")


# -- issue 13: outputs that destroyed data ---------------------------------------------------

needs_model = pytest.mark.skipif(
    not (EXAMPLES.parent.parent / "models" / "ficrate-default" / "model_card.json").exists(), reason="no default model"
)


def _story_dir(tmp_path, n=3):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        (d / f"s{i}.txt").write_text(f"Rating: T\n\nStory number {i}, told plainly.\n")
    return d


def test_output_that_is_an_input_is_refused_and_left_alone(tmp_path):
    d = _story_dir(tmp_path)
    victim = d / "s1.txt"
    before = victim.read_bytes()
    for args in (["headers", str(victim), "-o", str(victim)], ["headers", str(d), "-f", "jsonl", "-o", str(victim)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "is also an input" in r.stderr, r.stderr
        assert victim.read_bytes() == before


@needs_model
def test_score_csv_onto_its_own_input_is_refused(tmp_path):
    table = tmp_path / "in.csv"
    table.write_text("id,text\n1,A plain story about a bakery.\n")
    before = table.read_bytes()
    r = runner.invoke(app, ["score", str(table), "-f", "csv", "-o", str(table), "--jobs", "1"])
    assert r.exit_code == 2 and "is also an input" in r.stderr
    assert table.read_bytes() == before


def _interrupt_after(monkeypatch, n):
    import classifier.pipeline

    real = classifier.pipeline.iter_stories

    def stories(paths, options=None):
        for i, item in enumerate(real(paths, options)):
            if i == n:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(classifier.pipeline, "iter_stories", stories)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_streamed_output_is_not_emptied_before_the_first_record(tmp_path, monkeypatch, fmt):
    d = _story_dir(tmp_path)
    out = tmp_path / f"old.{fmt}"
    out.write_text("earlier results\n")
    _interrupt_after(monkeypatch, 0)
    r = runner.invoke(app, ["headers", str(d), "-f", fmt, "-o", str(out)])
    assert r.exit_code == 130 and "nothing was written" in r.stderr
    assert out.read_text() == "earlier results\n"
    monkeypatch.undo()
    r = runner.invoke(app, ["headers", str(d), "-f", fmt, "-o", str(out)])  # a run that writes replaces it
    assert r.exit_code == 0 and "earlier" not in out.read_text()
    assert len(out.read_text().splitlines()) == 3 + (fmt == "csv")


def test_interrupted_json_file_says_nothing_was_written(tmp_path, monkeypatch):
    d = _story_dir(tmp_path)
    out = tmp_path / "out.json"
    _interrupt_after(monkeypatch, 2)
    r = runner.invoke(app, ["headers", str(d), "-f", "json", "-o", str(out)])
    assert r.exit_code == 130 and "nothing was written to" in r.stderr and not out.exists()


def test_resume_refuses_a_file_without_records_of_this_command(tmp_path):
    from classifier.output import OutputError, Resume

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nno newline at the end")
    d = _story_dir(tmp_path)
    headers_out = tmp_path / "headers.jsonl"
    assert runner.invoke(app, ["headers", str(d), "-f", "jsonl", "-o", str(headers_out)]).exit_code == 0
    for path, fmt, command in [
        (notes, "jsonl", "score"),
        (notes, "csv", "score"),
        (headers_out, "jsonl", "score"),  # headers records are not scores
        (headers_out, "csv", "score"),  # JSONL read as CSV
    ]:
        before = path.read_bytes()
        with pytest.raises(OutputError, match="no score records"):
            Resume(path, fmt, command)
        assert path.read_bytes() == before  # not even the torn last line is cut


@needs_model
def test_resume_refuses_records_of_another_command_or_shape(tmp_path):
    d = _story_dir(tmp_path)
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["headers", str(d), "-f", "jsonl", "-o", str(out)])
    before = out.read_bytes()
    r = runner.invoke(app, ["score", str(d), "-f", "jsonl", "-o", str(out), "--resume", "--jobs", "1"])
    assert r.exit_code == 2 and "no score records" in r.stderr and out.read_bytes() == before
    csv_out = tmp_path / "out.csv"
    assert (
        runner.invoke(app, ["score", str(d / "s0.txt"), "-f", "csv", "-o", str(csv_out), "--jobs", "1"]).exit_code == 0
    )
    frame = pd.read_csv(csv_out)
    frame.drop(columns=[c for c in frame.columns if c.startswith("p_")][:5]).to_csv(csv_out, index=False)
    before = csv_out.read_bytes()
    r = runner.invoke(app, ["score", str(d), "-f", "csv", "-o", str(csv_out), "--resume", "--jobs", "1"])
    assert r.exit_code == 2 and "records are not this run's" in r.stderr and "columns" in r.stderr
    assert csv_out.read_bytes() == before


def test_record_sink_refuses_to_append_records_of_another_shape():
    from classifier.output import HEADERS_LAYOUT, OutputError, RecordSink

    rec = {"id": "1", "path": "a.txt", "prediction": {"rating_probs": {"teen": 1.0}, "warning_probs": {"x": 0.1}}}
    sink = RecordSink("jsonl", io.StringIO(), HEADERS_LAYOUT, expect=("id", "path", "prediction", "rating_probs.teen"))
    with pytest.raises(OutputError, match=r"warning_probs\.x"):
        sink.write(rec)
    assert sink.out.getvalue() == ""


def test_train_force_refuses_a_directory_that_is_not_a_model(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    table = tmp_path / "t.csv"
    table.write_text("id,text,rating\n1,A story.,Teen And Up Audiences\n")
    r = runner.invoke(app, ["train", str(table), "--out", str(out), "--force", "-q"])
    assert r.exit_code == 2 and "not a ficrate model" in r.stderr
    assert (out / "thesis.tex").read_text() == "years of work"


# -- issue 13: small ones --------------------------------------------------------------------


def test_control_sequences_in_names_never_reach_the_terminal(tmp_path):
    (tmp_path / "evil\x1b]0;owned\x07.txt").write_text("Rating: T\n\nA story.")
    (tmp_path / "bad\x1b[2J.txt").write_bytes(b"")
    r = runner.invoke(app, ["headers", str(tmp_path)])
    assert r.exit_code == 2
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\x1b" not in r.stderr
    assert "evil" in r.stdout and "bad" in r.stderr


def test_csv_cells_that_look_like_formulas_are_prefixed(tmp_path):
    (tmp_path / "f.txt").write_text('Title: =HYPERLINK("http://x")\nRating: T\n\nA story.')
    r = runner.invoke(app, ["headers", str(tmp_path), "-f", "csv"])
    assert r.exit_code == 0
    row = pd.read_csv(io.StringIO(r.stdout)).iloc[0]
    assert row["title"] == '\'=HYPERLINK("http://x")'


def test_xhtml_reads_without_parser_warnings(recwarn):
    page = b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>A story told in XHTML.</p></body></html>'
    (story,) = read_bytes(page, "c.xhtml")
    assert story.body_words == 5 and not recwarn.list


@pytest.mark.parametrize(
    "front",
    [
        "rating: T\nwarnings: [violence\n",
        "rating: T\nl0: &a [x, x]\nl1: [*a, *a, *a]\n",
        "rating: T\ntags: " + "[" * 5000 + "]" * 5000 + "\n",
        "rating: T\n!!python/object/apply:os.system [echo hi]\n",
    ],
    ids=["unclosed", "alias", "deep", "python-tag"],
)
def test_front_matter_yaml_refused_is_one_diagnostic_and_the_story_is_read(tmp_path, front):
    (tmp_path / "s.md").write_text("---\n" + front + "---\n\n" + hostile.BODY)
    r = runner.invoke(app, ["headers", str(tmp_path / "s.md"), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    (rec,) = json.loads(r.stdout)
    assert rec["declared"]["rating"]["canonical"] == "teen"
    assert rec["body_words"] == 14
    assert sum(d.startswith("front matter read line by line: ") for d in rec["diagnostics"]) == 1


def test_wide_table_is_refused_in_one_line():
    with pytest.raises(ReadError) as err:
        list(read_bytes(hostile.wide_table(5000), "wide.csv", ReadOptions()))
    assert "5,001 columns (at most 2,000)" in str(err.value) and "\n" not in str(err.value)


def test_a_cell_of_many_warning_terms_reads_its_first_distinct_ones():
    from classifier.labels import MAX_WARNING_TERMS

    data = hostile.warning_terms_cell(3 * MAX_WARNING_TERMS)
    (story,) = list(read_bytes(data, "t.csv", ReadOptions()))
    assert story.declared.warnings.raw == [f"w{k}" for k in range(MAX_WARNING_TERMS)]
