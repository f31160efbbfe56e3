"""Segments pages: the list (sizes, trend, stats, samples), one segment's detail, inline rename,
the rule-segment builder (HTMX: add/remove conditions and groups, a live size preview) for new and
existing rule segments, and archiving a rule segment (learned segments are only renamed)."""

import contextlib
import copy
import re
import time

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from members.models import Segment
from members.segments.rules import (
    MAX_CONDITIONS,
    MAX_GROUPS,
    RULE_FIELDS,
    SegmentRuleError,
    rule_ops,
    segment_rule_count,
    segment_rule_describe,
    segment_rule_validate,
)
from members.segments.selectors import segment_card, segment_cards, segment_get, segment_rule_get
from members.segments.services.segments import segment_rename
from members.segments.services.segments_rules import segment_rule_archive, segment_rule_save
from members.web.access import web_app_view
from members.web.permissions import web_action_view
from members.web.rendering import render_htmx

DETAIL_SAMPLE_MEMBERS = 20
NAME_TEMPLATE = "web/segments_name.html"
BUILDER_TEMPLATE = "web/segments_rule_builder.html"
PREVIEW_TEMPLATE = "web/segments_rule_preview.html"
NEW_PAGE_TEMPLATE = "web/segments_rule_new.html"
EDIT_PAGE_TEMPLATE = "web/segments_rule_edit.html"
ARCHIVE_PAGE_TEMPLATE = "web/segments_rule_archive.html"
_KEY = re.compile(r"^g(\d+)-c(\d+)-(field|op|value|category)$")


@web_app_view
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/segments.html", {"cards": segment_cards(), "page_title": _("Segments")})


def _segment_or_404(segment_id: int) -> Segment:
    try:
        return segment_get(segment_id=segment_id)
    except Segment.DoesNotExist:
        raise Http404("No such segment.") from None


def _rule_segment_or_404(segment_id: int) -> Segment:
    """Learned, archived and unknown segments alike are a 404: only rule segments have a definition."""
    try:
        return segment_rule_get(segment_id=segment_id)
    except Segment.DoesNotExist:
        raise Http404("No such rule segment.") from None


@web_app_view
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    card = segment_card(segment=_segment_or_404(segment_id), sample_size=DETAIL_SAMPLE_MEMBERS)
    return render(request, "web/segment_detail.html", {"card": card, "page_title": card.segment.name})


@web_action_view("segment_change")
@require_http_methods(["GET", "POST"])
def segment_rename_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """GET: the inline edit form; POST: rename and answer with the name block (or the form and its
    error). Without htmx a POST redirects back to the segment."""
    segment = _segment_or_404(segment_id)
    if request.method == "GET":
        context = {"segment": segment, "editing": request.GET.get("cancel") is None}
        return render_htmx(
            request, partial_template=NAME_TEMPLATE, context=context, page_title=_("Rename %(name)s") % {"name": segment.name}
        )
    try:
        segment = segment_rename(
            segment_id=segment.pk,
            name=request.POST.get("name", ""),
            description=request.POST.get("description"),
        )
    except ValueError as exc:
        return render(
            request,
            NAME_TEMPLATE,
            {
                "segment": segment,
                "editing": True,
                "error": str(exc),
                "typed_name": request.POST.get("name", ""),
            },
            status=422,
        )
    if not request.htmx:
        return redirect("web:segment-detail", segment_id=segment.pk)
    return render(request, NAME_TEMPLATE, {"segment": segment, "editing": False})


# ---- rule builder ---------------------------------------------------------------------------------


def rule_from_post(data) -> dict:
    """The builder's fields (match, g0-match, g0-c0-field/op/value/category ...) as a definition,
    in form order; conditions without a field are dropped. Not validated."""
    groups: dict[int, dict[int, dict]] = {}
    for key in data:
        if m := _KEY.match(key):
            g, c, part = int(m[1]), int(m[2]), m[3]
            groups.setdefault(g, {}).setdefault(c, {})[part] = data.get(key, "").strip()
    definition = {"match": data.get("match", "all"), "groups": []}
    for g in sorted(groups)[:MAX_GROUPS]:
        conditions = []
        for c in sorted(groups[g])[:MAX_CONDITIONS]:
            row = groups[g][c]
            if not row.get("field"):
                continue
            cond = {"field": row["field"], "op": row.get("op", "")}
            if row["field"] == "category_share":
                cond["category"] = row.get("category", "")
            if cond["op"] not in ("empty", "not_empty"):
                cond["value"] = row.get("value", "")
                if cond["op"] == "in":
                    cond["value"] = [v.strip() for v in cond["value"].split(",") if v.strip()]
            conditions.append(cond)
        definition["groups"].append({"match": data.get(f"g{g}-match", "all"), "conditions": conditions})
    return definition


def _has_any_value(definition: dict) -> bool:
    """Whether a person has typed or chosen anything that a condition compares with."""
    return any(
        cond.get("op") in ("empty", "not_empty") or cond.get("value") not in (None, "", [])
        for group in definition["groups"] for cond in group["conditions"]
    )


_ADD_CONDITION = re.compile(r"add_condition:(\d{1,3})")
_REMOVE = re.compile(r"remove:(\d{1,3}):(\d{1,3})")


def _apply_action(definition: dict, action: str) -> dict:
    """add_group / add_condition:<g> / remove:<g>:<c> edit the (unvalidated) definition; an action
    that is none of these (a hand-made request) changes nothing."""
    groups = definition["groups"]
    if action == "add_group" and len(groups) < MAX_GROUPS:
        groups.append({"match": "all", "conditions": [{"field": "monetary_365", "op": "gte", "value": ""}]})
    elif m := _ADD_CONDITION.fullmatch(action):
        g = int(m[1])
        if g < len(groups) and len(groups[g]["conditions"]) < MAX_CONDITIONS:
            groups[g]["conditions"].append({"field": "monetary_365", "op": "gte", "value": ""})
    elif m := _REMOVE.fullmatch(action):
        g, c = int(m[1]), int(m[2])
        if g < len(groups) and c < len(groups[g]["conditions"]):
            del groups[g]["conditions"][c]
            if not groups[g]["conditions"]:
                del groups[g]
    return definition


def _value_text(value) -> str:
    """A condition's value as the builder's text box shows it: stored numbers are floats, but
    500.0 reads as 500; lists are comma-separated."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _builder_context(
    definition: dict, *, name: str = "", description: str = "", errors=(), segment: Segment | None = None
) -> dict:
    """The builder's context; `segment` is the rule segment being edited (None: a new one)."""
    if not definition.get("groups"):
        definition["groups"] = [
            {"match": "all", "conditions": [{"field": "monetary_365", "op": "gte", "value": ""}]}
        ]
    definition.setdefault("match", "all")
    for group in definition["groups"]:
        for cond in group["conditions"]:
            field = cond.get("field") if cond.get("field") in RULE_FIELDS else "monetary_365"
            cond["field"] = field
            cond["ops"] = [(op, _(label)) for op, label in rule_ops(field).items()]
            if cond.get("op") not in rule_ops(field):
                cond["op"] = cond["ops"][0][0]
            cond["value_text"] = _value_text(cond.get("value", ""))
    fields = [(key, _(spec.label)) for key, spec in RULE_FIELDS.items()]
    if segment is None:
        builder_url, page_title = reverse("web:segment-rule-new"), _("New rule segment")
    else:
        builder_url = reverse("web:segment-rule-edit", kwargs={"segment_id": segment.pk})
        page_title = _("Edit %(name)s") % {"name": segment.name}
    return {
        "definition": definition,
        "fields": fields,
        "name": name,
        "description": description,
        "errors": list(errors),
        "segment": segment,
        "builder_url": builder_url,
        "page_title": page_title,
    }


def _rule_builder(request: HttpRequest, *, segment: Segment | None) -> HttpResponse:
    """The builder for a new rule segment (`segment` None) or an existing one. GET: the page, prefilled
    with the segment's definition. POST with action=save: validate and save (redirect to the segment,
    or the builder again with the errors and the segment unchanged); any other action edits the rows
    and re-renders the builder."""
    page_template = NEW_PAGE_TEMPLATE if segment is None else EDIT_PAGE_TEMPLATE
    if request.method == "GET":
        if segment is None:
            context = _builder_context({"match": "all", "groups": []})
        else:
            context = _builder_context(
                copy.deepcopy(segment.rule) or {"match": "all", "groups": []},
                name=segment.name,
                description=segment.description,
                segment=segment,
            )
        return render(request, page_template, context)
    definition = rule_from_post(request.POST)
    name, description = request.POST.get("name", ""), request.POST.get("description", "")
    action = request.POST.get("action", "")
    errors: list[str] = []
    if action == "save":
        try:
            saved = segment_rule_save(
                definition=definition,
                name=name,
                description=description,
                segment_id=None if segment is None else segment.pk,
            )
        except SegmentRuleError as exc:
            errors = exc.errors
        except Segment.DoesNotExist:  # archived while it was being edited
            raise Http404("No such rule segment.") from None
        else:
            url = reverse("web:segment-detail", kwargs={"segment_id": saved.pk})
            if request.htmx:
                response = HttpResponse("")
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    else:
        definition = _apply_action(definition, action)
    context = _builder_context(definition, name=name, description=description, errors=errors, segment=segment)
    return render_htmx(
        request,
        partial_template=BUILDER_TEMPLATE,
        page_template=page_template,
        context=context,
        page_title=context["page_title"],
    )


@web_action_view("segment_create")
@require_http_methods(["GET", "POST"])
def segment_rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_builder(request, segment=None)


@web_action_view("segment_change")
@require_http_methods(["GET", "POST"])
def segment_rule_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    """The builder prefilled with a rule segment's conditions; saving replaces them and recounts it."""
    return _rule_builder(request, segment=_rule_segment_or_404(segment_id))


@web_action_view("segment_change")
@require_http_methods(["GET", "POST"])
def segment_rule_archive_view(request: HttpRequest, segment_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: archive the rule segment and go to the segments list."""
    segment = _rule_segment_or_404(segment_id)
    if request.method == "GET":
        context = {
            "segment": segment,
            "rule_text": segment_rule_describe(segment.rule) if segment.rule else "",
            "page_title": _("Archive %(name)s") % {"name": segment.name},
        }
        return render(request, ARCHIVE_PAGE_TEMPLATE, context)
    with contextlib.suppress(Segment.DoesNotExist):  # archived by someone else meanwhile: same outcome
        segment_rule_archive(segment_id=segment.pk)
    url = reverse("web:segments")
    if request.htmx:
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@web_app_view
@require_POST
def segment_rule_preview(request: HttpRequest) -> HttpResponse:
    """The live size of the definition being edited, on the latest feature snapshot (or its errors).
    Before any value is typed there is nothing to validate yet: a hint, not a list of errors."""
    raw = rule_from_post(request.POST)
    if not _has_any_value(raw):
        return render(request, PREVIEW_TEMPLATE, {"hint": True})
    try:
        definition = segment_rule_validate(raw)
    except SegmentRuleError as exc:
        return render(request, PREVIEW_TEMPLATE, {"errors": exc.errors})
    started = time.perf_counter()
    size = segment_rule_count(definition=definition)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render(request, PREVIEW_TEMPLATE, {"size": size, "elapsed_ms": elapsed_ms})
