"""Stamp pairing of the classifier and overlay inputs: exact matches in either order, bounded
caches, and every entry evicted unpaired is counted."""

from face_analysis.ros.runtime.pairing import StampPairer


def test_pairs_by_key_in_either_order_and_counts_evictions():
    evicted = []
    pairer = StampPairer(2, evicted.append)
    assert pairer.add_left((1, 0), "image1") is None
    assert pairer.add_right((1, 0), "dets1") == ("image1", "dets1")
    assert pairer.add_right((2, 0), "dets2") is None
    assert pairer.add_left((2, 0), "image2") == ("image2", "dets2")
    for sec in range(3, 7):  # the detector skipped these images
        pairer.add_left((sec, 0), f"image{sec}")
    assert evicted == ["left", "left"]  # capacity 2: images 3 and 4 fell out
    assert pairer.add_right((3, 0), "late") is None
    assert pairer.add_right((6, 0), "dets6") == ("image6", "dets6")
