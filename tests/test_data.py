import pandas as pd
import pytest

from themes.data import find_column, read_labelled, read_table, write_table
from themes.errors import DataError, LabelError
from themes.scheme import load

from .conftest import write_csv

ROWS = [
    {"Complaint Ref": "C1", "Description": "None", "Team": "Fostering £ café"},
    {"Complaint Ref": "C2", "Description": "N/A", "Team": "NA"},
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_and_verbatim_text(tmp_path, encoding):
    path = write_csv(tmp_path / "in.csv", ROWS, encoding=encoding)
    frame = read_table(path)
    assert frame["Description"].tolist() == ["None", "N/A"]
    assert frame["Team"].tolist() == ["Fostering £ café", "NA"]
    assert list(frame.columns) == ["Complaint Ref", "Description", "Team"]


def test_xlsx_round_trip(tmp_path):
    path = tmp_path / "in.xlsx"
    write_table(pd.DataFrame(ROWS), path)
    frame = read_table(path)
    assert frame.to_dict(orient="records") == ROWS


def test_column_detection_and_message(tmp_path):
    frame = pd.DataFrame({"Complaint summary": ["x"], "Ref": ["1"]})
    assert find_column(frame, None, candidates=("description", "complaint summary"), role="text", option="--text-column") == "Complaint summary"
    with pytest.raises(DataError) as info:
        find_column(pd.DataFrame({"Notes": ["x"], "Who": ["y"]}), None, candidates=("description",), role="complaint text", option="--text-column")
    assert "'Notes'" in str(info.value) and "--text-column" in str(info.value)


def test_labelled_problems_are_listed_with_rows(tmp_path):
    rows = [
        {"id": "1", "text": "late reply", "causes": "communication.delay_in_response", "pillars": ""},
        {"id": "1", "text": "", "causes": "communication.nonsense", "pillars": "planning"},
        {"id": "3", "text": "ok", "causes": "", "pillars": "not_a_pillar"},
    ]
    path = write_csv(tmp_path / "l.csv", rows)
    with pytest.raises(LabelError) as info:
        read_labelled(path, [load("causes"), load("pillars")])
    message = str(info.value)
    assert "empty text" in message and "row 3" in message
    assert "duplicate ids" in message and "rows 2, 3" in message
    assert "'communication.nonsense'" in message and "'not_a_pillar'" in message


def test_labelled_without_label_columns(tmp_path):
    path = write_csv(tmp_path / "l.csv", [{"id": "1", "text": "x"}])
    with pytest.raises(LabelError, match="no label column"):
        read_labelled(path, [load("causes")])
