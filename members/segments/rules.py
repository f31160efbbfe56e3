"""The rule language of rule segments (read side; saving and archiving: services/segments_rules.py): a definition of AND/OR groups of conditions over whitelisted fields, validated
and compiled to a Django Q over MemberFeatures (the snapshot of one as-of date). Users never
write SQL: fields, operators and value types come from RULE_FIELDS, values become parameters.

Definition (stored in Segment.rule):
    {"match": "all" | "any",                 # how the groups combine
     "groups": [{"match": "all" | "any",     # how a group's conditions combine
                 "conditions": [{"field": "monetary_365", "op": "gte", "value": 500},
                                {"field": "category_share", "category": "Dresses", "op": "gte", "value": 0.3},
                                {"field": "tier", "op": "in", "value": ["gold", "silver"]}]}]}

Sizes are counted on the latest snapshot: SELECT count(*) FROM members_memberfeatures WHERE as_of = D
AND <conditions> (joined to the member by primary key when a condition reads the member; tier
codes are mapped to ids first; churn risk is a LEFT JOIN to that day's churn scores, at most one per member).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import FilteredRelation, FloatField, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils.translation import gettext_noop

from members.models import ChurnScore, MemberFeatures, MemberStatus, Tier

MAX_GROUPS = 10
MAX_CONDITIONS = 20  # per group
MATCHES = ("all", "any")
NUMBER_OPS = {
    "gte": gettext_noop("at least"),
    "lte": gettext_noop("at most"),
    "gt": gettext_noop("more than"),
    "lt": gettext_noop("less than"),
    "eq": gettext_noop("exactly"),
}
CHOICE_OPS = {"eq": gettext_noop("is"), "ne": gettext_noop("is not"), "in": gettext_noop("is one of")}
EMPTY_OPS = {"empty": gettext_noop("is empty"), "not_empty": gettext_noop("is not empty")}


@dataclass(frozen=True)
class RuleField:
    label: str  # English; marked for translation, translated where a page shows it
    kind: str  # "number", "share" (0..1), "choice" (tier/status codes), "text"
    path: str  # lookup path on MemberFeatures, or a marker for the special fields
    nullable: bool = False


RULE_FIELDS: dict[str, RuleField] = {
    "tier": RuleField(gettext_noop("Tier"), "choice", "member__tier_id"),
    "status": RuleField(gettext_noop("Member status"), "choice", "member__status"),
    "country": RuleField(gettext_noop("Country"), "text", "member__country"),
    "recency_days": RuleField(gettext_noop("Days since last order"), "number", "recency_days", nullable=True),
    "frequency_90": RuleField(gettext_noop("Orders, last 90 days"), "number", "frequency_90"),
    "frequency_365": RuleField(gettext_noop("Orders, last 365 days"), "number", "frequency_365"),
    "monetary_90": RuleField(gettext_noop("Spend, last 90 days"), "number", "monetary_90"),
    "monetary_365": RuleField(gettext_noop("Spend, last 365 days"), "number", "monetary_365"),
    "avg_order_value": RuleField(
        gettext_noop("Average order value"), "number", "avg_order_value", nullable=True
    ),
    "tenure_days": RuleField(gettext_noop("Days since joining"), "number", "tenure_days"),
    "return_cancel_rate": RuleField(
        gettext_noop("Returned/cancelled share"), "share", "return_cancel_rate", nullable=True
    ),
    "review_count": RuleField(gettext_noop("Reviews written"), "number", "review_count"),
    "avg_rating": RuleField(gettext_noop("Average rating"), "number", "avg_rating", nullable=True),
    "negative_review_share": RuleField(
        gettext_noop("Negative review share"), "share", "negative_review_share", nullable=True
    ),
    "churn_risk": RuleField(gettext_noop("Churn risk"), "share", "@churn"),
    "category_share": RuleField(gettext_noop("Category share of spend"), "share", "@category"),
}


class SegmentRuleError(ValueError):
    """An invalid definition; `errors` lists every problem in words ("group 1, condition 2: ...")."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def rule_ops(field_name: str) -> dict[str, str]:
    spec = RULE_FIELDS[field_name]
    ops = dict(CHOICE_OPS if spec.kind in ("choice", "text") else NUMBER_OPS)
    if spec.nullable:
        ops.update(EMPTY_OPS)
    return ops


def _choices(field_name: str) -> set[str] | None:
    if field_name == "tier":
        return set(Tier.objects.values_list("code", flat=True))
    if field_name == "status":
        return set(MemberStatus.values)
    return None


def segment_rule_validate(definition) -> dict:
    """The definition normalised (numbers as floats, lists for "in"), or SegmentRuleError."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise SegmentRuleError(['The definition must be an object with "match" and "groups".'])
    match = definition.get("match", "all")
    if match not in MATCHES:
        errors.append(f"match must be one of {', '.join(MATCHES)}, not {match!r}.")
    groups = definition.get("groups")
    if not isinstance(groups, list) or not groups:
        raise SegmentRuleError([*errors, "Add at least one group of conditions."])
    if len(groups) > MAX_GROUPS:
        errors.append(f"At most {MAX_GROUPS} groups.")
    choice_cache: dict[str, set[str] | None] = {}
    clean_groups = []
    for gi, group in enumerate(groups[:MAX_GROUPS], start=1):
        if (
            not isinstance(group, dict)
            or not isinstance(group.get("conditions"), list)
            or not group["conditions"]
        ):
            errors.append(f"group {gi}: add at least one condition.")
            continue
        gmatch = group.get("match", "all")
        if gmatch not in MATCHES:
            errors.append(f"group {gi}: match must be one of {', '.join(MATCHES)}, not {gmatch!r}.")
        if len(group["conditions"]) > MAX_CONDITIONS:
            errors.append(f"group {gi}: at most {MAX_CONDITIONS} conditions.")
        clean = []
        for ci, cond in enumerate(group["conditions"][:MAX_CONDITIONS], start=1):
            where = f"group {gi}, condition {ci}"
            try:
                clean.append(_validate_condition(cond, choice_cache))
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
        clean_groups.append({"match": gmatch, "conditions": clean})
    if errors:
        raise SegmentRuleError(errors)
    return {"match": match, "groups": clean_groups}


def _validate_condition(cond, choice_cache: dict) -> dict:
    if not isinstance(cond, dict):
        # ValueError, not TypeError: every problem with user input is collected as a message.
        raise ValueError("a condition is an object with field, op and value.")  # noqa: TRY004
    name = cond.get("field")
    if name not in RULE_FIELDS:
        raise ValueError(f"unknown field {name!r}.")
    spec, op = RULE_FIELDS[name], cond.get("op")
    ops = rule_ops(name)
    if op not in ops:
        raise ValueError(f"{spec.label} cannot use the operator {op!r} (use one of {', '.join(ops)}).")
    out = {"field": name, "op": op}
    if name == "category_share":
        category = cond.get("category")
        if not isinstance(category, str) or not category.strip() or len(category) > 100:
            raise ValueError("name the category (up to 100 characters).")
        out["category"] = category.strip()
    if op in EMPTY_OPS:
        return out
    value = cond.get("value")
    if spec.kind in ("number", "share"):
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError(f"{spec.label} needs a number, not {value!r}.") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{spec.label} needs a number.")
        if spec.kind == "share" and not 0 <= value <= 1:
            raise ValueError(f"{spec.label} is a share between 0 and 1.")
        out["value"] = float(value)
        return out
    values = value if isinstance(value, list) else [value] if op == "in" and isinstance(value, str) else None
    if op == "in":
        if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
            values = [v.strip() for v in values[0].split(",")]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise ValueError(f"{spec.label} needs a list of values.")
        values = [v.strip() for v in values]
    else:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{spec.label} needs a value.")
        values = [value.strip()]
    if name not in choice_cache:
        choice_cache[name] = _choices(name)
    allowed = choice_cache[name]
    if allowed is not None and (unknown := [v for v in values if v not in allowed]):
        raise ValueError(
            f"unknown {spec.label.lower()} {', '.join(unknown)} (known: {', '.join(sorted(allowed))})."
        )
    out["value"] = values if op == "in" else values[0]
    return out


_NUMBER_LOOKUPS = {"gte": GreaterThanOrEqual, "lte": LessThanOrEqual, "gt": GreaterThan, "lt": LessThan}


def _condition_q(cond: dict, *, churn_as_of: date | None, tier_ids: dict[str, int]) -> Q:
    name, op = cond["field"], cond["op"]
    spec = RULE_FIELDS[name]
    if name == "churn_risk":
        if churn_as_of is None:
            return Q(pk__in=[])
        # Reads the `churn` FilteredRelation segment_rule_features adds: one LEFT JOIN to that day's
        # scores (hash join), not a probe per member (EXISTS) nor IN (subquery), which Postgres can
        # only hash inside an OR when it fits work_mem (at 1M members it does not: minutes).
        lookup = "churn__probability" if op == "eq" else f"churn__probability__{op}"
        return Q(**{lookup: cond["value"]})
    if name == "tier":
        # Tier codes become ids here so the count filters members.tier_id without joining tiers.
        ids = [tier_ids[code] for code in (cond["value"] if op == "in" else [cond["value"]])]
        q = Q(member__tier_id__in=ids)
        return ~q if op == "ne" else q
    if name == "category_share":
        # Missing category = share 0; the key is a query parameter, never part of the SQL text.
        share = Coalesce(
            Cast(KeyTextTransform(cond["category"], "category_shares"), FloatField()), Value(0.0)
        )
        if op == "eq":
            return Q(GreaterThanOrEqual(share, Value(cond["value"]))) & Q(
                LessThanOrEqual(share, Value(cond["value"]))
            )
        return Q(_NUMBER_LOOKUPS[op](share, Value(cond["value"])))
    if op == "empty":
        return Q(**{f"{spec.path}__isnull": True})
    if op == "not_empty":
        return Q(**{f"{spec.path}__isnull": False})
    if op == "ne":
        return ~Q(**{spec.path: cond["value"]})
    if op == "in":
        return Q(**{f"{spec.path}__in": cond["value"]})
    if op == "eq":
        return Q(**{spec.path: cond["value"]})
    return Q(**{f"{spec.path}__{op}": cond["value"]})


def _combine(parts: list[Q], match: str) -> Q:
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if match == "all" else combined | part
    return combined


def segment_rule_q(definition: dict, *, churn_as_of: date | None) -> Q:
    """Q over MemberFeatures for a definition that passed segment_rule_validate (one query to map
    tier codes to ids when the definition names tiers)."""
    uses_tier = any(c["field"] == "tier" for g in definition["groups"] for c in g["conditions"])
    tier_ids = dict(Tier.objects.values_list("code", "id")) if uses_tier else {}
    groups = [
        _combine(
            [_condition_q(c, churn_as_of=churn_as_of, tier_ids=tier_ids) for c in g["conditions"]], g["match"]
        )
        for g in definition["groups"]
    ]
    return _combine(groups, definition["match"])


def latest_features_as_of() -> date | None:
    """The newest MemberFeatures as-of date (index memberfeatures_as_of: one index probe)."""
    return MemberFeatures.objects.order_by("-as_of").values_list("as_of", flat=True).first()


def latest_churn_as_of(*, on_or_before: date | None = None) -> date | None:
    scores = ChurnScore.objects.order_by("-as_of")
    if on_or_before is not None:
        scores = scores.filter(as_of__lte=on_or_before)
    return scores.values_list("as_of", flat=True).first()


def segment_rule_features(*, definition: dict, as_of: date | None = None) -> QuerySet[MemberFeatures]:
    """The feature rows of `as_of` (default: the latest snapshot) that match a stored (validated)
    definition; .count() is the segment's size and values("member_id") its members."""
    as_of = as_of or latest_features_as_of()
    if as_of is None or not definition:
        return MemberFeatures.objects.none()
    churn_as_of = latest_churn_as_of(on_or_before=as_of)
    q = segment_rule_q(definition, churn_as_of=churn_as_of)
    features = MemberFeatures.objects.filter(as_of=as_of)
    if churn_as_of and any(c["field"] == "churn_risk" for g in definition["groups"] for c in g["conditions"]):
        churn = FilteredRelation("member__churn_scores", condition=Q(member__churn_scores__as_of=churn_as_of))
        features = features.annotate(churn=churn)
    return features.filter(q)


def segment_rule_count(*, definition: dict, as_of: date | None = None) -> int:
    """The size of a validated definition on the snapshot of `as_of` (default: the latest). JIT is
    off for this statement: compiling it costs more (about 0.5 s) than the count itself saves."""
    features = segment_rule_features(definition=definition, as_of=as_of)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return features.count()


def segment_rule_describe(definition: dict) -> str:
    """The definition in words: "(Spend, last 365 days at least 500 and Tier is gold) or (...)"."""
    groups = []
    for group in definition.get("groups", []):
        words = []
        for c in group["conditions"]:
            spec = RULE_FIELDS[c["field"]]
            label = f"{c['category']} share of spend" if c["field"] == "category_share" else spec.label
            value = ", ".join(c["value"]) if isinstance(c.get("value"), list) else c.get("value", "")
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            words.append(f"{label} {rule_ops(c['field'])[c['op']]} {value}".strip())
        joiner = " and " if group["match"] == "all" else " or "
        groups.append(f"({joiner.join(words)})" if len(words) > 1 else words[0])
    return (" and " if definition.get("match") == "all" else " or ").join(groups)
