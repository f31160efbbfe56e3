from datetime import timedelta

import pytest

from members.models import ChurnScore, MemberFeatures, MemberModelVersion, Segment, SegmentSnapshot
from members.segments.rules import (
    SegmentRuleError,
    segment_rule_describe,
    segment_rule_features,
    segment_rule_validate,
)
from members.segments.selectors import segment_members_queryset
from members.segments.services.segments_rules import segment_rule_save
from tests.members.segments.conftest import AS_OF, GROUP_SIZE, make_population

pytestmark = pytest.mark.django_db


def _rule(*groups, match="all"):
    return {"match": match, "groups": [{"match": m, "conditions": list(c)} for m, c in groups]}


def _ids(definition, as_of=AS_OF):
    clean = segment_rule_validate(definition)
    return set(segment_rule_features(definition=clean, as_of=as_of).values_list("member_id", flat=True))


def test_conditions_in_a_group_combine_with_and(population):
    rule = _rule(
        (
            "all",
            [
                {"field": "monetary_365", "op": "gte", "value": 500},
                {"field": "tier", "op": "eq", "value": "gold"},
            ],
        )
    )
    assert _ids(rule) == set(population["loyal"])
    rule = _rule(
        (
            "all",
            [
                {"field": "monetary_365", "op": "gte", "value": 500},
                {"field": "tier", "op": "eq", "value": "basic"},
            ],
        )
    )
    assert _ids(rule) == set()


def test_groups_and_conditions_combine_with_or(population):
    either = _rule(
        ("any", [{"field": "tier", "op": "eq", "value": "gold"}, {"field": "recency_days", "op": "empty"}])
    )
    assert _ids(either) == set(population["loyal"]) | set(population["new"])
    two_groups = _rule(
        ("all", [{"field": "category_share", "category": "Tops", "op": "gte", "value": 0.5}]),
        ("all", [{"field": "tenure_days", "op": "lt", "value": 31}]),
        match="any",
    )
    assert _ids(two_groups) == set(population["lapsed"]) | set(population["new"])


def test_category_share_treats_a_missing_category_as_zero(population):
    rule = _rule(("all", [{"field": "category_share", "category": "Dresses", "op": "lt", "value": 0.1}]))
    assert _ids(rule) == set(population["lapsed"]) | set(population["new"])


def test_a_category_name_cannot_inject_sql(population):
    rule = _rule(
        ("all", [{"field": "category_share", "category": "x') OR 1=1 --", "op": "gte", "value": 0.1}])
    )
    assert _ids(rule) == set()


def test_churn_risk_uses_the_latest_scores(population):
    version = MemberModelVersion.objects.create(kind="churn", version=1, as_of=AS_OF, artifact_path="x")
    risky = population["lapsed"][:5]
    ChurnScore.objects.bulk_create(
        [
            ChurnScore(
                member_id=m,
                as_of=AS_OF,
                probability=0.9 if m in risky else 0.1,
                model_version=version,
                scored_at=version.created_at,
            )
            for ids in population.values()
            for m in ids
        ]
    )
    assert _ids(_rule(("all", [{"field": "churn_risk", "op": "gte", "value": 0.6}]))) == set(risky)


def test_a_country_list_and_negation(population):
    assert _ids(_rule(("all", [{"field": "country", "op": "in", "value": ["France", "Spain"]}]))) == set(
        population["loyal"]
    )
    assert len(_ids(_rule(("all", [{"field": "country", "op": "ne", "value": "France"}])))) == 2 * GROUP_SIZE


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "password", "op": "eq", "value": "x"}, "unknown field 'password'"),
        ({"field": "monetary_365", "op": "like", "value": 1}, "cannot use the operator 'like'"),
        ({"field": "monetary_365", "op": "gte", "value": "lots"}, "needs a number"),
        ({"field": "monetary_365", "op": "gte", "value": True}, "needs a number"),
        ({"field": "churn_risk", "op": "gte", "value": 7}, "between 0 and 1"),
        ({"field": "tier", "op": "eq", "value": "platinum-plus"}, "unknown tier platinum-plus"),
        ({"field": "category_share", "op": "gte", "value": 0.2}, "name the category"),
        ({"field": "country", "op": "gte", "value": "France"}, "cannot use the operator 'gte'"),
    ],
)
def test_invalid_conditions_are_refused_with_the_reason(db, condition, message):
    with pytest.raises(SegmentRuleError) as exc:
        segment_rule_validate(_rule(("all", [condition])))
    assert exc.value.errors[0].startswith("group 1, condition 1:") and message in exc.value.errors[0]


def test_a_bad_match_and_empty_groups_are_refused(db):
    with pytest.raises(SegmentRuleError) as exc:
        segment_rule_validate({"match": "xor", "groups": [{"match": "all", "conditions": []}]})
    assert (
        "match must be one of all, any" in exc.value.errors[0]
        and "group 1: add at least one" in exc.value.errors[1]
    )
    with pytest.raises(SegmentRuleError):
        segment_rule_validate({"groups": []})


def test_saving_a_rule_segment_stores_it_with_todays_size(population):
    rule = _rule(("all", [{"field": "frequency_365", "op": "gte", "value": "5"}]))
    segment = segment_rule_save(definition=rule, name="Frequent buyers")
    assert segment.kind == Segment.Kind.RULE and segment.rule["groups"][0]["conditions"][0]["value"] == 5.0
    snapshot = SegmentSnapshot.objects.get(segment=segment)
    assert snapshot.as_of == AS_OF and snapshot.size == GROUP_SIZE
    assert set(segment_members_queryset(segment=segment).values_list("id", flat=True)) == set(
        population["loyal"]
    )


def test_a_rule_segment_counts_on_the_latest_snapshot(population):
    later = AS_OF + timedelta(days=1)
    make_population(as_of=later, groups=("loyal",), members=population)
    segment = segment_rule_save(
        definition=_rule(("all", [{"field": "tenure_days", "op": "gte", "value": 0}])),
        name="Everyone with a snapshot",
    )
    assert segment_members_queryset(segment=segment).count() == GROUP_SIZE  # only the latest day counts
    assert MemberFeatures.objects.count() == 4 * GROUP_SIZE


def test_a_definition_reads_as_words(db):
    rule = segment_rule_validate(
        _rule(
            (
                "all",
                [
                    {"field": "monetary_365", "op": "gte", "value": 500},
                    {"field": "tier", "op": "in", "value": ["gold", "silver"]},
                ],
            ),
            ("all", [{"field": "recency_days", "op": "empty"}]),
            match="any",
        )
    )
    assert segment_rule_describe(rule) == (
        "(Spend, last 365 days at least 500 and Tier is one of gold, silver) or Days since last order is empty"
    )


def test_churn_risk_in_an_or_keeps_members_without_a_score(population):
    version = MemberModelVersion.objects.create(kind="churn", version=1, as_of=AS_OF, artifact_path="x")
    risky = population["lapsed"][:3]
    ChurnScore.objects.bulk_create(
        [
            ChurnScore(
                member_id=m, as_of=AS_OF, probability=0.8, model_version=version, scored_at=version.created_at
            )
            for m in risky
        ]
    )
    rule = _rule(
        (
            "any",
            [
                {"field": "churn_risk", "op": "gte", "value": 0.6},
                {"field": "tier", "op": "eq", "value": "gold"},
            ],
        )
    )
    assert _ids(rule) == set(risky) | set(population["loyal"])
    assert (
        segment_rule_features(definition=segment_rule_validate(rule), as_of=AS_OF).count() == GROUP_SIZE + 3
    )
