"""The journal of writes to twin-carried values: recorded only when they succeed, saved, replayed equal."""

from __future__ import annotations

import json

import pytest

from k351c.errors import AccessDenied, ConfigError
from k351c.meter.fleet_writes import TwinWrite, WriteJournal
from testkit import make_meter

ALARMS = "0-0:97.98.0.255"


def _journaled_alarm_setter(journal: WriteJournal, meter, index: int = 3):  # noqa: ANN001, ANN202
    definition = meter.objects.lookup(ALARMS)
    return journal.recording(lambda: meter.t, lambda: index, ALARMS, "set", definition.set)


def test_a_write_is_journaled_with_its_instant_meter_and_arguments():
    meter, journal = make_meter(days=1), WriteJournal()
    _journaled_alarm_setter(journal, meter)(5)
    assert meter.read(ALARMS).value == 5
    assert journal.of(3) == [TwinWrite(meter.t, 3, ALARMS, "set", (5,))] and journal.of(0) == []


def test_a_refused_write_changes_nothing_and_is_not_journaled():
    meter, journal = make_meter(days=1), WriteJournal()
    with pytest.raises(ConfigError):
        _journaled_alarm_setter(journal, meter)(-1)
    assert len(journal) == 0


def test_a_value_the_state_cannot_keep_is_refused_before_it_changes_anything():
    meter, journal = make_meter(days=1), WriteJournal()
    with pytest.raises(AccessDenied, match="cannot keep"):
        _journaled_alarm_setter(journal, meter)(object())
    assert len(journal) == 0 and meter.read(ALARMS).value == 0


def test_saved_rows_replay_into_a_rebuilt_meter_at_their_instants():
    written, journal = make_meter(days=1), WriteJournal()
    _journaled_alarm_setter(journal, written)(6)
    written.run_for(3600)
    rows = json.loads(json.dumps(journal.to_rows()))
    rebuilt = make_meter()
    for write in WriteJournal.from_rows(rows).of(3):
        rebuilt.run_for(write.t - rebuilt.t)
        write.apply(rebuilt)
    rebuilt.run_for(written.t - rebuilt.t)
    assert rebuilt.read(ALARMS) == written.read(ALARMS)


@pytest.mark.parametrize("row", [[1.0, 0, ALARMS, "set"], [1.0, 0, ALARMS, "delete", []], "x"])
def test_a_bad_saved_row_is_refused_by_name(row):
    with pytest.raises(ConfigError, match="twin write"):
        TwinWrite.from_row(row)
