"""Progress on a terminal (rich): counts, rate and ETA; nothing when stderr is not a terminal."""

import io
import json
import sys
import time

from rich.console import Console
from typer.testing import CliRunner

from classifier.cli import app
from classifier.progress import Progress, Steps, progress_for
from tests.conftest import EXAMPLES

runner = CliRunner()


def _terminal():
    return Console(file=io.StringIO(), force_terminal=True, width=120, color_system=None)


def test_story_progress_renders_count_rate_and_eta_on_a_terminal():
    console = _terminal()
    p = Progress(True, "scoring", total=10, console=console)
    for _ in range(3):
        time.sleep(0.3)  # past the redraw interval, so each tick draws
        p.tick()
    p.close()
    out = console.file.getvalue()
    assert "scoring" in out and "3/10" in out and "stories/s" in out and "ETA" in out


def test_story_progress_without_a_total_shows_count_and_rate_only():
    console = _terminal()
    p = Progress(True, "auditing", console=console)
    for _ in range(2):
        time.sleep(0.3)
        p.tick()
    p.close()
    out = console.file.getvalue()
    assert "auditing" in out and "stories/s" in out and "ETA" not in out and "/10" not in out


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(capsys, tmp_path):
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": f"Story {i}."}) + "\n" for i in range(3)))
    p = progress_for([str(EXAMPLES), str(table)], "scoring")  # pytest's stderr is no terminal
    assert not p.enabled
    p.tick()
    p.close()
    with Steps("train") as say:
        say("features: 500/2,405 texts")
    assert capsys.readouterr().err == ""
    r = runner.invoke(app, ["headers", str(EXAMPLES), str(table), "-f", "jsonl"])
    assert r.exit_code == 0 and r.stderr == ""


def test_totals_count_files_and_jsonl_rows_up_front(tmp_path):
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": f"Story {i}."}) + "\n" for i in range(5)))
    (tmp_path / "t.csv").write_text("text\nA story.\n")
    files = len(list(EXAMPLES.iterdir()))
    assert progress_for([str(EXAMPLES), str(table)], "scoring", console=_terminal()).total == files + 5
    assert progress_for([str(table), str(tmp_path / "t.csv")], "scoring", console=_terminal()).total is None


def test_steps_show_stage_messages_with_a_bar_for_counts():
    console = _terminal()
    with Steps("train", console=console) as say:
        say("loading training data")
        say("features: 500/2,000 texts")
        time.sleep(0.2)
        say("features: 1,000/2,000 texts")
        say("cross-validation: fold 2/5")
    out = console.file.getvalue()
    assert "train: loading training data" in out
    assert "train: features: 1,000/2,000 texts" in out and "1000/2000" in out and "ETA" in out
    assert "2/5" in out
    quiet = _terminal()
    with Steps("train", quiet=True, console=quiet) as say:
        say("features: 500/2,405 texts")
    assert quiet.file.getvalue() == ""


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_the_display_leaves_stdout_alone():
    before = sys.stdout
    console = _terminal()
    p = Progress(True, "scoring", total=3, console=console)
    assert console.file.getvalue() == ""  # nothing is drawn before the first story
    p.tick()
    try:
        assert console.file.getvalue() != ""
        assert sys.stdout is before  # records written meanwhile go where stdout goes, not to the console
    finally:
        p.close()


def test_no_display_while_records_stream_to_the_terminal(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdout", _FakeTTY())
    monkeypatch.setattr(sys, "stderr", _FakeTTY())
    paths = [str(EXAMPLES)]
    assert not progress_for(paths, "scoring", fmt="jsonl").enabled  # its redraws would wipe records
    table = progress_for(paths, "scoring", fmt="table")  # a table is printed once the display is gone
    to_file = progress_for(paths, "scoring", fmt="jsonl", output=tmp_path / "out.jsonl")
    assert table.enabled and to_file.enabled
    table.close()
    to_file.close()
