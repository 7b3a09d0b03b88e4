"""Each check fires on its "bad" fixture module at the marked lines and stays
silent on its "good" one (the corpus of docs/audit.md)."""

from __future__ import annotations

import pytest
from helpers import CHECK_IDS, FIXTURES, audit_json, markers

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_check_on_its_fixtures(check_id: str) -> None:
    bad, good = FIXTURES / check_id / "bad", FIXTURES / check_id / "good"
    rc, doc, err = audit_json(bad, good, "--only", check_id)
    bad_item, good_item = doc["items"]
    assert not bad_item["notices"] and not good_item["notices"], err
    got = {(f["file"], f["line"]) for f in bad_item["findings"]}
    assert got == markers(bad, check_id), bad_item["findings"]
    assert {f["id"] for f in bad_item["findings"]} == {check_id}
    assert good_item["findings"] == [], good_item["findings"]
    assert good_item["status"] == "pass"
    priority = bad_item["findings"][0]["priority"]
    assert bad_item["status"] == ("fail" if priority == "P0" else "pass")
    assert rc == (1 if priority == "P0" else 0)
    # every finding carries the offending line and a fix
    for f in bad_item["findings"]:
        assert f["snippet"] and f["fix"] and f["column"] >= 1
