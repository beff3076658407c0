"""`herald serve`'s garbage collector: what start-up built frozen, young collections rarer."""

import gc

from entrypoints.cli import YOUNG_COLLECTION_EVERY, settle_collector


def test_start_up_objects_are_frozen_and_young_collections_come_every_5000_allocations() -> None:
    thresholds = gc.get_threshold()
    built_at_start_up = object.__new__(type("Built", (), {}))
    try:
        settle_collector()

        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, thresholds[1], thresholds[2])
        assert YOUNG_COLLECTION_EVERY == 5_000
        assert gc.get_freeze_count() > 0
        assert not any(built_at_start_up is tracked for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert any(built_at_start_up is tracked for tracked in gc.get_objects())
