"""Segment names: plain first, more specific when taken, never "(2)"."""

from ml.member_models.segmentation import segment_name_candidates, segment_name_choose


def test_a_second_cluster_alike_in_its_top_two_traits_is_named_by_its_next_trait():
    first = {"frequency_365": 1.4, "monetary_365": 1.1, "tenure_days": 0.2}
    second = {"frequency_365": 1.3, "monetary_365": 1.0, "tenure_days": 0.9, "category:Dresses": 1.2}
    taken: set[str] = set()
    names = []
    for zscores in (first, second):
        name = segment_name_choose(segment_name_candidates(zscores=zscores), taken=taken)
        taken.add(name.lower())
        names.append(name)
    assert names[0] == "High-spending frequent buyers"
    assert names[1] == "High-spending frequent buyers, loyal"


def test_past_every_candidate_the_name_gets_the_smallest_free_group_number():
    taken = {"typical members", "typical members, group 2"}
    assert segment_name_choose(["Typical members"], taken=taken) == "Typical members, group 3"
