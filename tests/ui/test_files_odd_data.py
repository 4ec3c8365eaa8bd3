"""The window's Open data on files people have and files that are not files (issue 13,
families 12 and 17): the preview (on the GUI thread) never waits on a FIFO, and shows and loads
UTF-16 and RFC 4180 files exactly as the reader does."""

from __future__ import annotations

import os
import time

import pytest
from files_support import import_csv, new_window


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


@pytest.mark.skipif(os.name != "posix", reason="FIFOs are POSIX")
def test_open_data_on_a_fifo_is_refused_at_once(win, tmp_path, shown_dialogs):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    config = win.run_data.config
    t0 = time.monotonic()
    assert win.files.importer.preview_file(str(fifo)) is None
    assert time.monotonic() - t0 < 5
    assert "is a pipe, not a regular file" in shown_dialogs[-1][1]
    assert win.run_data.config is config


def test_a_utf16_file_with_quoted_cells_previews_and_loads(win, qtbot, tmp_path):
    p = tmp_path / "sheet.txt"
    rows = ['"name, full"\thours\tscore'] + [f'"p {i}, q"\t{i}.5\t{2 * i + 1}'
                                              for i in range(10)]
    p.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-16"))
    dialog = win.files.importer.preview_file(str(p))
    assert dialog is not None
    assert dialog.preview.names == ["name, full", "hours", "score"]
    assert dialog.preview.numeric_columns() == [1, 2]
    assert dialog.table.item(0, 0).text() == "p 0, q"
    dialog.reject()
    assert import_csv(qtbot, win, p) == ("loaded", "")
    problem = win.run_data.config.problem
    assert problem.x.tolist() == [i + 0.5 for i in range(10)]
    assert problem.y.tolist() == [2.0 * i + 1 for i in range(10)]


def test_a_very_wide_file_with_huge_cells_previews_quickly_and_bounded(win, qtbot, tmp_path):
    from gdstudio.ui.files.data_import import MAX_SHOWN_COLUMNS, SHOWN_CHARS

    p = tmp_path / "wide.csv"
    n = 50_000
    header = ",".join(["x", "y", "n" * 100_000] + [f"c{j}" for j in range(n - 3)])
    rows = [",".join([str(i), str(2 * i), "t" * 100_000] + ["1"] * (n - 3)) for i in range(3)]
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    t0 = time.monotonic()
    dialog = win.files.importer.preview_file(str(p))
    assert dialog is not None
    assert time.monotonic() - t0 < 20
    assert dialog.table.columnCount() == MAX_SHOWN_COLUMNS == dialog.xCombo.count()
    assert len(dialog.table.item(0, 2).text()) == SHOWN_CHARS
    assert len(dialog.table.horizontalHeaderItem(2).text()) == SHOWN_CHARS
    assert "the first 1,000 are offered here" in dialog.summaryLabel.text()
    assert dialog.columns() == (0, 1)
    dialog.reject()
