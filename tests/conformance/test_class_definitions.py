"""The association view against the Blue Book: each class's version, attributes 1..n and methods."""

from __future__ import annotations

import pytest
from class_cases import BLUE_BOOK, INSTANCES
from conformance_harness import PHYSICAL, serve_meter
from gurux_reader import ReaderSession


@pytest.fixture(scope="module")
def view():
    served = serve_meter()
    try:
        session = ReaderSession(served.port("dlms_port"), "lls", False, 1024, PHYSICAL)
        session.connect()
        try:
            reply = session.request([session.client.getObjectsRequest()])
            yield session.client.parseObjects(reply.data, True)
        finally:
            session.close()
    finally:
        served.stop()


def test_every_class_in_the_view_is_known(view):
    assert {int(o.objectType) for o in view} <= set(BLUE_BOOK)


@pytest.mark.parametrize("class_id", sorted(INSTANCES))
def test_class_matches_the_blue_book(view, class_id):
    version, attributes, methods = BLUE_BOOK[class_id]
    instances = [o for o in view if int(o.objectType) == class_id]
    assert instances, f"class {class_id} missing from the association view"
    for obj in instances:
        assert obj.version == version, obj.logicalName
        assert [a.index for a in obj.attributes] == list(range(1, attributes + 1)), obj.logicalName
        assert obj.getAttributeCount() == attributes  # gurux's own model of the class agrees
        assert {m.index for m in obj.methodAttributes} <= set(range(1, methods + 1)), obj.logicalName
