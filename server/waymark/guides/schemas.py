"""msgspec schema of a guide file (`guides/*.yaml`), as written by hand."""

from __future__ import annotations

import difflib
import re
import types
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import msgspec
from msgspec import Meta, Struct, field

from waymark.wire import LINE_PATTERN

__all__ = [
    "INVALID",
    "SLUG_PATTERN",
    "Activation",
    "BannerStep",
    "Buttons",
    "FieldPath",
    "FollowUp",
    "Frequency",
    "Goal",
    "GuideFile",
    "Holdout",
    "LightboxStep",
    "Locales",
    "NpsStep",
    "PageRule",
    "PageRuleSpec",
    "PolicyRules",
    "PollOption",
    "PollStep",
    "Schedule",
    "SchemaIssue",
    "Step",
    "SurveyRules",
    "Targeting",
    "Text",
    "TooltipStep",
    "check_guide_data",
    "guide_json_schema",
]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

Slug = Annotated[
    str,
    Meta(
        pattern=SLUG_PATTERN,
        description="a slug: lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters",
    ),
]
Locale = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
        description="a locale tag such as `en` or `fr-CA`",
    ),
]
Selector = Annotated[str, Meta(min_length=1, max_length=500)]
PositiveInt = Annotated[int, Meta(ge=1)]

Text = str | dict[str, str]
"""A string, or a map locale → string (`{en: "Hi", fr: "Salut"}`)."""


class PageRule(Struct, kw_only=True, forbid_unknown_fields=True):
    """A page a guide or step applies to; every given part must match."""

    path: str | None = None
    """Glob on the URL path: `*` any chars except '/', `**` any chars, `?` one char. None = any path."""
    host: str | None = None
    """Glob on the host name (with `:port` only if the glob has one)."""
    query: dict[str, str] = field(default_factory=dict)
    """Each key must equal its value; the value "*" means the key is present."""


PageRuleSpec = str | PageRule
"""A page rule: a bare string is a path glob."""


class Activation(Struct, kw_only=True, forbid_unknown_fields=True):
    """How a guide starts."""

    mode: Literal["automatic", "click", "api"] = "automatic"
    selector: Selector | None = None
    """Required iff mode == click: clicking a matching element starts the guide."""


class Frequency(Struct, kw_only=True, forbid_unknown_fields=True):
    """How often a guide starts by itself."""

    mode: Literal["once", "until_completed", "every"] = "once"
    days: PositiveInt | None = None
    """Required iff mode == every."""


class Locales(Struct, kw_only=True, forbid_unknown_fields=True):
    """Content fallback locale and optional audience restriction."""

    default: Locale = "en"
    only: list[Locale] | None = None
    """Show only to visitors with one of these locales (a language matches its regional variants)."""


class Buttons(Struct, kw_only=True, forbid_unknown_fields=True):
    """Optional relabelling of the widget's buttons."""

    next: Text | None = None
    back: Text | None = None
    done: Text | None = None
    snooze: Text | None = None


class Schedule(Struct, kw_only=True, forbid_unknown_fields=True):
    """Window in which a guide is shown; either bound may be absent (timezone-aware)."""

    start: Annotated[datetime, Meta(tz=True)] | None = None
    end: Annotated[datetime, Meta(tz=True)] | None = None


class Targeting(Struct, kw_only=True, forbid_unknown_fields=True):
    """Who sees a guide, where and when."""

    pages: list[PageRuleSpec] | None = None
    """Any matching rule matches; None = every page."""
    segment: dict[str, Any] | None = None
    """A Rule, validated by `waymark.guides.targeting.compile_rule`."""
    schedule: Schedule | None = None


class _StepBase(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type"):
    page: PageRuleSpec | None = None
    """The step is shown only on such a page; a walkthrough waits for the visitor to reach it. In a walkthrough a
    step without one is on the previous step's page (the first step's: the guide's `targeting.pages`)."""
    next_url: Annotated[str, Meta(
        max_length=2000, pattern=r"^(/(?!/)|https?://)[^\x00-\x20\x7f]*$",
        description="a path (`/invoices/1001`) or an http(s) URL",
    )] | None = None
    """Next takes the visitor there when the next step is on another page (else the widget says where it goes on)."""
    title: Text | None = None
    """Plain text."""
    body: Text | None = None
    """Markdown subset or HTML, sanitised."""


class TooltipStep(_StepBase, tag="tooltip", kw_only=True):
    """A bubble pointing at an element of the page."""

    anchor: Selector | None = None
    """CSS selector; required (checked by the loader, for a clearer message)."""
    placement: Literal["top", "bottom", "left", "right", "auto"] = "auto"
    wait_ms: Annotated[int, Meta(ge=0, le=30000)] = 3000
    """How long to wait for the anchor to appear."""


class LightboxStep(_StepBase, tag="lightbox", kw_only=True):
    """A centred dialog over a dimmed page."""


class BannerStep(_StepBase, tag="banner", kw_only=True):
    """A strip across the top or bottom of the page."""

    position: Literal["top", "bottom"] = "top"


# --- surveys (waymark.surveys): an NPS step and poll steps; the question is the step's title ---


class FollowUp(Struct, kw_only=True, forbid_unknown_fields=True):
    """The question asked after the score; each category falls back to `default`."""

    default: Text | None = None
    promoter: Text | None = None
    """For scores 9–10."""
    passive: Text | None = None
    """For scores 7–8."""
    detractor: Text | None = None
    """For scores 0–6."""


class NpsStep(_StepBase, tag="nps", kw_only=True):
    """A 0–10 scale (the title is the question; a default one is asked without it), then an optional follow-up."""

    low_label: Text | None = None
    """Label of 0 (default "Not at all likely")."""
    high_label: Text | None = None
    """Label of 10 (default "Extremely likely")."""
    follow_up: FollowUp | None = None
    max_length: Annotated[int, Meta(ge=1, le=2000)] = 1000
    """Longest comment accepted."""


class PollOption(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, Meta(pattern=SLUG_PATTERN)]
    label: Text


class PollStep(_StepBase, tag="poll", kw_only=True):
    """One question (the title), answered as a `poll_response` event."""

    question: Annotated[str, Meta(pattern=SLUG_PATTERN)]
    """The question's id, unique in the guide: results are reported under it."""
    input: Literal["single", "multiple", "rating", "text"]
    options: list[PollOption] | None = None
    """Required for single and multiple choice (2 to 20 options), refused otherwise."""
    max_length: Annotated[int, Meta(ge=1, le=2000)] = 500
    """Longest free-text answer accepted."""


class SurveyRules(Struct, kw_only=True, forbid_unknown_fields=True):
    """Who an NPS survey asks, beyond its targeting, and how often."""

    sample: Annotated[float, Meta(ge=0, le=1)] = 1.0
    """Share of eligible visitors asked; the same visitors every time (a hash, not a draw per page view)."""
    resurvey_days: Annotated[int, Meta(ge=1, le=3650)] = 90
    """Days after an answer before the visitor is asked again."""
    spread_days: Annotated[int, Meta(ge=1, le=365)] | None = None
    """Spread first asks over this many days from `targeting.schedule.start`, so one day does not get them all."""


Step = TooltipStep | LightboxStep | BannerStep | NpsStep | PollStep


class PolicyRules(Struct, kw_only=True, forbid_unknown_fields=True):
    """Only for kind policy (waymark.policies): the guide's one lightbox step is the policy's text."""

    version: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    """Changing the text needs a new version number; a new version asks every visitor again."""
    tenant: Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)] | None = None
    """Only this tenant's visitors are asked (a customer's own policy); the whole app's when absent."""
    allow_decline: bool = False
    """Offer Decline beside Accept."""
    respect_budget: bool = False
    """Wait for the attention budget like other automatic guides (by default a policy ignores it)."""


class Holdout(Struct, kw_only=True, forbid_unknown_fields=True):
    """A share of eligible visitors (or tenants) who never get the guide, to measure what it changes."""

    share: Annotated[float, Meta(gt=0, le=0.9)]
    """Between 0 and 0.9: the held-out share, stable per visitor or tenant."""
    unit: Literal["visitor", "tenant"] = "visitor"


class Goal(Struct, kw_only=True, forbid_unknown_fields=True):
    """What the guide is for: exactly one of a page, a feature or a track event, reached within `days`."""

    page: Slug | None = None
    """A page definition id (guides/analytics)."""
    feature: Slug | None = None
    """A feature definition id."""
    event: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    """A track event name."""
    days: Annotated[int, Meta(ge=1, le=365)] = 7
    """Counted when reached within this many days of first seeing the guide (or being held out)."""


class GuideFile(Struct, kw_only=True, forbid_unknown_fields=True):
    """One guide, as written in `guides/<id>.yaml`."""

    id: Slug
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: Literal["walkthrough", "tooltip", "announcement", "nps", "policy"] = "walkthrough"
    priority: int = 0
    """Higher wins."""
    activation: Activation = field(default_factory=Activation)
    frequency: Frequency = field(default_factory=Frequency)
    snooze_days: PositiveInt | None = None
    """Offers "Remind me later" for that many days."""
    ignore_throttle: bool = False
    """Neither counted by nor blocked by the global throttle."""
    throttle_seconds: Annotated[int, Meta(ge=0, le=31_536_000)] | None = None
    """Replaces the app's interval for this guide: it may start this long after the last automatic guide."""
    hold_out: Holdout | None = None
    goal: Goal | None = None
    locales: Locales | None = None
    buttons: Buttons | None = None
    targeting: Targeting = field(default_factory=Targeting)
    survey: SurveyRules | None = None
    """Only for kind nps: sample share, re-survey interval and spread."""
    policy: PolicyRules | None = None
    """Only for kind policy: version, tenant, whether Decline is offered."""
    steps: Annotated[list[Step], Meta(min_length=1)]


def guide_json_schema() -> dict[str, Any]:
    """JSON Schema of a guide file (for editors and `waymark guides schema`)."""
    return msgspec.json.schema(GuideFile)


# --- every structural problem, not just the first --------------------------

FieldPath = tuple[str | int, ...]
INVALID: Any = object()
"""Stands for a value that did not validate."""
_MSGSPEC_AT = re.compile(r"^(.*) - at `\$(.*)`$", re.S)
_JSON_WORDS = re.compile(r"\b(object|array)\b(?=[^`]*`)")
_YAML_WORDS = {"object": "mapping", "array": "list"}
_MSGSPEC_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


class SchemaIssue(NamedTuple):
    """A structural problem at `path`; `at_key` when the key itself is wrong (unknown field)."""

    path: FieldPath
    message: str
    at_key: bool = False


def _members(tp: Any) -> tuple[Any, ...]:
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    return get_args(base) if get_origin(base) in (Union, types.UnionType) else (base,)


class _Walker:
    """Converts like msgspec.convert, but goes on after a problem to report them all.

    msgspec stops at the first error; here each struct field, list item and
    dict entry is converted on its own, and msgspec converts the leaves.
    """

    def __init__(self) -> None:
        self.issues: list[SchemaIssue] = []

    def walk(self, value: Any, tp: Any, path: FieldPath) -> Any:
        members = _members(tp)
        if isinstance(value, dict):
            structs = [m for m in members if isinstance(m, type) and issubclass(m, Struct)]
            if len(structs) > 1:
                return self.tagged(value, structs, path)
            if structs:
                kwargs, ok = self.fields(value, structs[0], path)
                return structs[0](**kwargs) if ok else INVALID
            mapping = next((m for m in members if get_origin(m) is dict), None)
            if mapping is not None:
                key_tp, value_tp = get_args(mapping)
                out = {
                    self.leaf(k, key_tp, (*path, k), at_key=True): self.walk(v, value_tp, (*path, k))
                    for k, v in value.items()
                }
                return INVALID if INVALID in out or INVALID in out.values() else out
        if isinstance(value, list):
            sequence = next((m for m in members if get_origin(m) is list), None)
            if sequence is not None:
                metas = get_args(tp)[1:] if get_origin(tp) is Annotated else ()
                least = max([m.min_length or 0 for m in metas if isinstance(m, Meta)], default=0)
                if len(value) < least:
                    self.issues.append(SchemaIssue(path, f"needs at least {least} item(s)", True))
                items = [self.walk(v, get_args(sequence)[0], (*path, i)) for i, v in enumerate(value)]
                return INVALID if len(value) < least or INVALID in items else items
        return self.leaf(value, tp, path)

    def tagged(self, value: dict[str, Any], classes: list[Any], path: FieldPath) -> Any:
        tag_field = classes[0].__struct_config__.tag_field
        by_tag = {c.__struct_config__.tag: c for c in classes}
        tag = value.get(tag_field)
        if tag not in by_tag:
            got = "missing" if tag is None else f"got {tag!r}"
            self.issues.append(SchemaIssue((*path, tag_field), f"must be one of {', '.join(by_tag)} ({got})"))
            return INVALID
        kwargs, ok = self.fields(value, by_tag[tag], path)
        return by_tag[tag](**kwargs) if ok else INVALID

    def fields(self, value: dict[Any, Any], cls: Any, path: FieldPath, skip: str = "") -> tuple[dict[str, Any], bool]:
        """The fields of a Struct that converted, and whether all did; `skip` is left alone."""
        infos = [f for f in msgspec.structs.fields(cls) if f.encode_name != skip]
        names = {f.encode_name for f in infos}
        ok = True
        for key in value:
            if key not in names and key not in (cls.__struct_config__.tag_field, skip):
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.issues.append(SchemaIssue((*path, key), "unknown field" + hint, True))
                ok = False
        kwargs: dict[str, Any] = {}
        for info in infos:
            if info.encode_name in value:
                converted = self.walk(value[info.encode_name], info.type, (*path, info.encode_name))
                ok = ok and converted is not INVALID
                if converted is not INVALID:
                    kwargs[info.name] = converted
            elif info.required:
                self.issues.append(SchemaIssue((*path, info.encode_name), "missing required field"))
                ok = False
        return kwargs, ok

    def leaf(self, value: Any, tp: Any, path: FieldPath, at_key: bool = False) -> Any:
        try:
            return msgspec.convert(value, tp)
        except msgspec.ValidationError as exc:
            message, sub = str(exc), ""
            found = _MSGSPEC_AT.match(message)
            if found:
                message, sub = found.groups()
            inner = tuple(int(i) if i else k for k, i in _MSGSPEC_PART.findall(sub))
            self.issues.append(SchemaIssue((*path, *inner), _friendly(message, tp, value), at_key))
            return INVALID


def _friendly(message: str, tp: Any, value: Any) -> str:
    options = [a for m in _members(tp) if get_origin(m) is Literal for a in get_args(m)]
    if options and isinstance(value, str):
        return f"must be one of {', '.join(options)} (got {value!r})"
    if "matching regex" in message and get_origin(tp) is Annotated:
        described = [m.description for m in get_args(tp)[1:] if getattr(m, "description", None)]
        if described:
            return f"must be {described[0]} (got {value!r})"
    message = message.replace(" | null`", "`")  # leaving an optional field out is the way to say null
    message = _JSON_WORDS.sub(lambda m: _YAML_WORDS[m.group(0)], message)
    return message[:1].lower() + message[1:]


def check_guide_data(data: dict[str, Any]) -> tuple[dict[str, Any], list[Any], list[SchemaIssue]]:
    """Check plain data against GuideFile, finding every problem.

    Returns the top-level fields that converted (by name; absent ones left
    out), each step converted or INVALID, and the issues. Steps are checked
    one by one so that a bad step hides neither the others nor later checks;
    a bad `targeting` still yields its good parts (they are independent).
    """
    walker = _Walker()
    parts, _ = walker.fields(data, GuideFile, (), skip="steps")
    if "targeting" not in parts and isinstance(data.get("targeting"), dict):
        good, _ = _Walker().fields(data["targeting"], Targeting, ("targeting",))
        parts["targeting"] = Targeting(**good)
    steps: list[Any] = []
    raw_steps = data.get("steps", INVALID)
    if raw_steps is INVALID:
        walker.issues.append(SchemaIssue(("steps",), "missing required field"))
    elif isinstance(raw_steps, list) and raw_steps:
        steps = [walker.walk(item, Step, ("steps", i)) for i, item in enumerate(raw_steps)]
    else:
        walker.walk(
            raw_steps,
            next(f.type for f in msgspec.structs.fields(GuideFile) if f.name == "steps"),
            ("steps",),
        )
    return parts, steps, walker.issues
