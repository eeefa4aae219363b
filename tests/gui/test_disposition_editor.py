"""Disposition editor against a real inventory: decisions are stored, carried over, validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings, Qt

from gui.disposition_editor import DispositionEditor
from inventory.dispositions import DispositionStatus
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.store import Store
from tests.gui.test_history_view import T0, axis, hikvision, store_scan

HIK_KEY = "mac:44:19:b6:00:00:01"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "inventory.sqlite3") as s:
        store_scan(s, [hikvision(), axis()])
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)


def editor_for(qtbot, store: Store, settings: QSettings, key: str = HIK_KEY) -> DispositionEditor:
    editor = DispositionEditor(settings, store)
    qtbot.addWidget(editor)
    editor.set_device(key)
    return editor


def choose(editor: DispositionEditor, status: DispositionStatus) -> None:
    editor.status.setCurrentIndex(editor.status.findData(status.value))


def test_save_stores_decision_that_carries_over_to_a_later_scan(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings)
    choose(editor, DispositionStatus.EXCEPTION_GRANTED)
    editor.by.setText("J. Smith")
    qtbot.keyClicks(editor.reason, "waiver W-17 until replacement")
    with qtbot.waitSignal(editor.saved, timeout=1000) as blocker:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == HIK_KEY
    assert blocker.args[1].startswith("exception granted: waiver W-17 until replacement (J. Smith")
    stored = store.current_dispositions()[HIK_KEY]
    assert (stored.status, stored.by) == (DispositionStatus.EXCEPTION_GRANTED, "J. Smith")
    # A week later the same box is scanned again (new firmware): the decision still applies.
    later = store_scan(store, [hikvision("V5.7.1"), axis()], T0 + dt.timedelta(days=7))
    # generated_at is whole seconds; a second on so the decision just made is before it.
    meta = ReportMeta(generated_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    data = report_data_from_store(store, later, meta)
    record = next(r for r in data["devices"] if r["key"] == HIK_KEY)
    assert record["disposition"]["reason"] == "waiver W-17 until replacement"
    assert "waiver W-17" in editor.history.toPlainText()


def test_scheduled_removal_takes_the_date_and_history_is_newest_first(
    qtbot, store, settings
) -> None:
    editor = editor_for(qtbot, store, settings)
    assert not editor.date.isEnabled()
    choose(editor, DispositionStatus.SCHEDULED_FOR_REMOVAL)
    assert editor.date.isEnabled()
    editor.date.setDate(QDate(2027, 1, 31))
    editor.reason.setText("replacement ordered, PO 4411")
    assert editor.save()
    choose(editor, DispositionStatus.REMOVED)
    assert not editor.date.isEnabled()
    editor.reason.setText("taken down by facilities")
    assert editor.save()
    history = store.disposition_history(HIK_KEY)
    assert history[0].date == dt.date(2027, 1, 31)
    assert history[1].status is DispositionStatus.REMOVED and history[1].date is None
    lines = editor.history.toPlainText().splitlines()
    assert lines[0].startswith("removed: taken down by facilities")
    assert lines[1].startswith("scheduled for removal (2027-01-31): replacement ordered")


def test_missing_reason_is_refused_with_a_message(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings)
    choose(editor, DispositionStatus.FALSE_POSITIVE)
    editor.reason.setText("   ")
    with qtbot.assertNotEmitted(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.message.text() == "say why in 'Why'"
    assert store.disposition_history(HIK_KEY) == []


def test_removal_without_a_date_is_refused_with_a_message(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings)
    choose(editor, DispositionStatus.SCHEDULED_FOR_REMOVAL)
    editor.reason.setText("end of life")
    assert not editor.save()
    assert "needs the removal date" in editor.message.text()
    assert "Removal date" in editor.message.text()
    assert store.disposition_history(HIK_KEY) == []


def test_unknown_device_key_is_a_message_not_an_exception(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings, key="mac:02:00:00:00:00:99")
    editor.reason.setText("no such box")
    assert not editor.save()
    assert "no device 'mac:02:00:00:00:00:99'" in editor.message.text()


def test_who_defaults_to_login_and_is_remembered(qtbot, store, settings) -> None:
    import getpass

    first = editor_for(qtbot, store, settings)
    assert first.by.text() == getpass.getuser()
    first.by.setText("A. Auditor")
    first.reason.setText("lab unit")
    assert first.save()
    second = editor_for(qtbot, store, settings)
    assert second.by.text() == "A. Auditor"


def test_nothing_selected_disables_editing(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings)
    editor.set_device(None)
    assert not editor.save_button.isEnabled()
    assert not editor.reason.isEnabled()
    assert editor.history.toPlainText() == ""


def test_selecting_a_device_shows_its_standing_decision(qtbot, store, settings) -> None:
    editor = editor_for(qtbot, store, settings)
    choose(editor, DispositionStatus.SCHEDULED_FOR_REMOVAL)
    editor.date.setDate(QDate(2027, 3, 1))
    editor.reason.setText("replacement ordered")
    assert editor.save()
    other = editor_for(qtbot, store, settings, key="mac:ac:cc:8e:00:00:03")
    assert other.selected_status() is DispositionStatus.EXCEPTION_GRANTED  # nothing stored
    other.set_device(HIK_KEY)
    assert other.selected_status() is DispositionStatus.SCHEDULED_FOR_REMOVAL
    assert other.date.date() == QDate(2027, 3, 1) and other.date.isEnabled()
    assert other.reason.text() == ""
    other.set_device("mac:ac:cc:8e:00:00:03")
    assert other.selected_status() is DispositionStatus.EXCEPTION_GRANTED
    assert not other.date.isEnabled()
