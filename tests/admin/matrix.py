"""The isolation matrix's table: for every admin and API route, who may call it, and what each other caller gets.

Each route of ``create_app()`` under ``/admin``, ``/api/`` and ``/v1/`` needs an entry here (the matrix test
fails on a route without one). An entry names the route's kind (an admin page behind a session, an open
admin page, a secret-key or a public-key API route), the least action that lets a person through, and
whether a tenant admin may reach it (a page under ``/tenants/{tenant_id}/``). What each caller should get
then follows from :func:`expect`, written from the roles of the issue, not from the product's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from waymark.access.principal import Action

__all__ = [
    "FRESH", "MATRIX", "PEOPLE", "Entry", "Expect", "Target", "Who", "app_of", "expect", "open_page", "page",
    "public_api", "secret_api",
]

Kind = Literal["page", "open", "secret", "public"]


class Who(StrEnum):
    OWNER = "owner"
    AUTHOR = "author"
    ANALYST = "analyst"
    TENANT_ADMIN = "tenant_admin"
    """Tenant admin of app A's tenant "own"."""
    NOBODY = "nobody"
    """No session, no key."""
    SECRET_OWN = "secret_own"
    """App A's secret key."""
    SECRET_FOREIGN = "secret_foreign"
    """App B's secret key."""
    PUBLIC_OWN = "public_own"
    PUBLIC_FOREIGN = "public_foreign"


PEOPLE = (Who.OWNER, Who.AUTHOR, Who.ANALYST, Who.TENANT_ADMIN)


class Target(StrEnum):
    OWN = "own"
    """App A, its tenant "own" and that tenant's visitor: what the tenant admin may read."""
    FOREIGN_TENANT = "foreign_tenant"
    """App A, its other tenant and that tenant's visitor."""
    FOREIGN_APP = "foreign_app"
    """App B, one of its tenants and visitors."""


FRESH = ("secret_key", "identity_secret", "visitor", "guide", "guide_v2", "page", "feature", "person", "cohort",
         "alert_rule", "webhook_endpoint", "milestone", "new_id")
"""What ``Entry.fresh`` can make: a live secret key, an identity secret, a visitor with an event in the target's
tenant, a guide (guide_v2: with two versions), a page or feature definition, an analyst, a cohort, an alert rule, a
webhook endpoint, a milestone, or an id nothing has."""


class Expect(StrEnum):
    ALLOW = "allow"
    """2xx or 3xx (not to the login page); for an unsafe method also a 4xx that judges the body, never 401/403/404."""
    NOT_FOUND = "not_found"
    """404: a signed-in person (or key) without the grant learns nothing, not even that the page exists."""
    LOGIN = "login"
    """303 to /admin/login: nobody is signed in."""
    UNAUTHENTICATED = "unauthenticated"
    """401: no key."""
    WRONG_KEY = "wrong_key"
    """403: a key of the wrong kind."""
    REFUSED = "refused"
    """403 or 404: an action no grant of the caller allows, on no particular app (creating an app)."""
    OWN_DATA_ONLY = "own_data_only"
    """A key asking about another app's ids: 2xx with nothing of that app (an empty list), or 404/400."""
    ANY = "any"
    """Open pages (login, assets): any answer but a 5xx; never anybody's data."""


@dataclass(frozen=True)
class Entry:
    kind: Kind
    action: Action | None = None
    """The least action a person needs (``page`` only)."""
    tenant_scoped: bool = False
    """Under ``/tenants/{tenant_id}/``: a tenant admin reads it for their own tenant."""
    report: bool = False
    """A report page: also requested with ``?format=json`` and ``?format=csv``."""
    chart: bool = True
    """A report page that draws its data (not an export list, a form or the live event list): the e2e test
    looks for a chart and a table on it."""
    body: dict[str, Any] | None = None
    """JSON body for an unsafe API call; the form for an unsafe admin call (the CSRF token is added)."""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameter → the target's value to put there, when it is not the parameter of the same name."""
    query: dict[str, str] = field(default_factory=dict)
    """Query parameters the route needs (``{name}`` is replaced by the target's value)."""
    shows: tuple[str, ...] = ()
    """Marker kinds of the target that an allowed owner must see on the OWN target (proves the data is there)."""
    spends_session: bool = False
    """The call ends the caller's session (logout): it gets a fresh one."""
    fresh: str | None = None
    """The call uses up what it acts on (a key it revokes, a visitor it erases): a new one of this kind is made
    in the target's app before each call and is ``{fresh}`` in ``params`` and ``body`` (see ``FRESH``)."""
    people_only: bool = False
    """A page of one's own account: a key is nobody there (sign in first)."""
    any_key: bool = False
    """A public route that also takes the app's secret key (Segment's server-side sources)."""


def page(action: Action, tenant: bool = False, report: bool = False, **more: Any) -> Entry:
    return Entry("page", action, tenant, report, **more)


def open_page(**more: Any) -> Entry:
    return Entry("open", **more)


def secret_api(**more: Any) -> Entry:
    return Entry("secret", **more)


def public_api(**more: Any) -> Entry:
    return Entry("public", **more)


_ROLES: dict[Who, frozenset[Action]] = {
    Who.OWNER: frozenset(Action),
    Who.SECRET_OWN: frozenset(Action),  # a secret key acts as its app's owner
    Who.SECRET_FOREIGN: frozenset(Action),
    Who.AUTHOR: frozenset({Action.READ_TENANT, Action.READ_APP, Action.AUTHOR}),
    Who.ANALYST: frozenset({Action.READ_TENANT, Action.READ_APP}),
    Who.TENANT_ADMIN: frozenset({Action.READ_TENANT}),
}


def app_of(who: Who) -> str | None:
    """The app a caller belongs to: "A", "B", or None for nobody."""
    if who in (Who.SECRET_FOREIGN, Who.PUBLIC_FOREIGN):
        return "B"
    return None if who is Who.NOBODY else "A"


def _target_app(target: Target) -> str:
    return "B" if target is Target.FOREIGN_APP else "A"


def expect(entry: Entry, who: Who, target: Target, app_scoped: bool = True) -> Expect:
    """What ``who`` should get from a route of ``entry`` about ``target``: the rule of the issue, per kind.

    ``app_scoped``: the path names the app (``/admin/apps/{app_id}/…``); a page that does not (the home
    page, the account) is every signed-in person's own.
    """
    if entry.kind == "open":
        return Expect.ANY
    if entry.kind == "page":
        if who not in _ROLES or (entry.people_only and who not in PEOPLE):  # no session (a key is no sign-in)
            return Expect.LOGIN
        assert entry.action is not None
        if not app_scoped:  # the person's own pages (home, apps, account): creating an app is for owners only
            mine = entry.action is not Action.MANAGE or (who is Who.OWNER)
            return Expect.ALLOW if mine else Expect.REFUSED
        if app_of(who) != _target_app(target) or entry.action not in _ROLES[who]:
            return Expect.NOT_FOUND
        if who is Who.TENANT_ADMIN and (not entry.tenant_scoped or target is not Target.OWN):
            return Expect.NOT_FOUND
        return Expect.ALLOW
    wanted = (Who.SECRET_OWN, Who.SECRET_FOREIGN) if entry.kind == "secret" else (Who.PUBLIC_OWN, Who.PUBLIC_FOREIGN)
    other = (Who.PUBLIC_OWN, Who.PUBLIC_FOREIGN) if entry.kind == "secret" else (Who.SECRET_OWN, Who.SECRET_FOREIGN)
    if who in other and not entry.any_key:
        return Expect.WRONG_KEY
    if who not in wanted + (other if entry.any_key else ()):  # nobody, and people (the cookie's Path is /admin)
        return Expect.UNAUTHENTICATED
    return Expect.ALLOW if app_of(who) == _target_app(target) else Expect.OWN_DATA_ONLY


_READ_APP, _READ_TENANT, _AUTHOR, _MANAGE = Action.READ_APP, Action.READ_TENANT, Action.AUTHOR, Action.MANAGE
_TRENDS = {"events": "page:home,feature:button", "breakdown": "tenant.plan", "measure": "unique", "formula": "A / B"}
_MILESTONE = {"kind": "visitors_did", "name": "Matrix", "ref": "page:home", "at_least": 1, "within_days": 30}
_MILESTONE_FORM = {"id": "matrix", "name": "Matrix", "kind": "visitors_did", "ref": "page:home", "at_least": "1",
                   "within_days": "30"}
_RULE = {"name": "Matrix", "metric": "active_visitors", "period": "day", "condition": "below", "value": 3}

MATRIX: dict[tuple[str, str], Entry] = {
    # --- the widget's and Segment's public routes (public key; Segment's server-side sources send the secret key)
    ("GET", "/api/v1/guides"): public_api(query={"visitor": "{visitor_id}", "url": "https://h/"}),
    ("POST", "/api/v1/events"): public_api(body={"events": []}),
    ("POST", "/api/v1/policy-decisions"): public_api(body={
        "id": "{fresh}", "visitor": "{visitor_id}", "policy": "{policy_id}", "version": 1, "locale": "en",
        "decision": "accepted", "text_hash": "0" * 64}, fresh="new_id"),
    **{("POST", f"/v1/{call}"): public_api(any_key=True, body={"batch": []} if call == "batch" else {
        "userId": "{visitor_id}", "event": "Matrix", "name": "Matrix", "groupId": "{tenant_id}",
        "previousId": "matrix-previous", "traits": {}})
       for call in ("alias", "batch", "group", "identify", "page", "screen", "track")},
    # --- the secret-key API
    ("GET", "/api/v1/events/export"): secret_api(),
    ("GET", "/api/v1/guide-definitions"): secret_api(),
    ("POST", "/api/v1/guide-definitions/push"): secret_api(body={"files": []}),
    ("POST", "/api/v1/guide-definitions/{guide_id:str}/archive"): secret_api(params={"guide_id": "fresh"},
                                                                            fresh="guide"),
    ("POST", "/api/v1/guide-definitions/{guide_id:str}/rollback"): secret_api(params={"guide_id": "fresh"},
                                                                             fresh="guide_v2"),
    ("GET", "/api/v1/guide-definitions/{guide_id:str}/versions"): secret_api(),
    ("GET", "/api/v1/guides/{guide_id:str}/explain"): secret_api(query={"visitor": "{visitor_id}", "url": "https://h/"}),
    ("GET", "/api/v1/guides/{guide_id:str}/lift"): secret_api(params={"guide_id": "held_guide_id"}),
    ("GET", "/api/v1/identity"): secret_api(),
    ("PUT", "/api/v1/identity"): secret_api(body={"required": False}),
    ("POST", "/api/v1/identity/secrets"): secret_api(),
    ("DELETE", "/api/v1/identity/secrets/{secret_id:int}"): secret_api(params={"secret_id": "fresh"},
                                                                      fresh="identity_secret"),
    ("GET", "/api/v1/settings"): secret_api(),
    ("PUT", "/api/v1/settings"): secret_api(body={"honor_dnt": False, "retention_days": None}),
    ("GET", "/api/v1/tenants/{tenant_id:str}/privacy"): secret_api(),
    ("PUT", "/api/v1/tenants/{tenant_id:str}/privacy"): secret_api(body={"opted_out": False, "drop_fields": []}),
    ("GET", "/api/v1/visitors/{visitor_id:str}/export"): secret_api(shows=("visitor", "email")),
    ("DELETE", "/api/v1/visitors/{visitor_id:str}"): secret_api(params={"visitor_id": "fresh"}, fresh="visitor"),
    ("GET", "/api/v1/erasures"): secret_api(),
    ("POST", "/api/v1/retention/purge"): secret_api(body={"dry_run": True}),
    ("GET", "/api/v1/policies"): secret_api(),
    ("PUT", "/api/v1/policies/{policy_id:str}"): secret_api(params={"policy_id": "fresh"}, fresh="new_id", body={
        "version": 1, "title": {"en": "Spare"}, "body": {"en": "Spare."}}),
    ("POST", "/api/v1/policies/{policy_id:str}/decisions"): secret_api(fresh="new_id", body={
        "id": "{fresh}", "visitor": "{visitor_id}", "version": 1, "decision": "accepted"}),
    ("GET", "/api/v1/policies/{policy_id:str}/status"): secret_api(query={"visitor": "{visitor_id}"}),
    ("GET", "/api/v1/policies/{policy_id:str}/evidence"): secret_api(shows=("visitor",)),
    ("GET", "/api/v1/policies/verify"): secret_api(),
    ("GET", "/api/v1/reports/policies"): secret_api(),
    ("GET", "/api/v1/pages"): secret_api(),
    ("GET", "/api/v1/pages/{page_id:str}"): secret_api(),
    ("PUT", "/api/v1/pages/{page_id:str}"): secret_api(params={"page_id": "fresh"}, fresh="new_id",
                                                       body={"name": "Spare", "rule": "/spare"}),
    ("DELETE", "/api/v1/pages/{page_id:str}"): secret_api(params={"page_id": "fresh"}, fresh="page"),
    ("GET", "/api/v1/features"): secret_api(),
    ("GET", "/api/v1/features/{feature_id:str}"): secret_api(),
    ("PUT", "/api/v1/features/{feature_id:str}"): secret_api(params={"feature_id": "fresh"}, fresh="new_id",
                                                             body={"name": "Spare", "selector": "#spare"}),
    ("DELETE", "/api/v1/features/{feature_id:str}"): secret_api(params={"feature_id": "fresh"}, fresh="feature"),
    ("GET", "/api/v1/features/untagged"): secret_api(),
    ("GET", "/api/v1/cohorts"): secret_api(),
    ("GET", "/api/v1/cohorts/{cohort_id:str}"): secret_api(),
    ("GET", "/api/v1/cohorts/{cohort_id:str}/members"): secret_api(),
    ("PUT", "/api/v1/cohorts/{cohort_id:str}"): secret_api(params={"cohort_id": "fresh"}, fresh="new_id",
                                                        body={"name": "Fresh", "rule": {"first_seen_within": 7}}),
    ("DELETE", "/api/v1/cohorts/{cohort_id:str}"): secret_api(params={"cohort_id": "fresh"}, fresh="cohort"),
    ("GET", "/api/v1/reports/usage"): secret_api(query={"tenant": "{tenant_id}"}),
    ("GET", "/api/v1/reports/nps"): secret_api(query={"guide": "{guide_id}"}),
    ("GET", "/api/v1/reports/nps/comments"): secret_api(query={"guide": "{guide_id}"}, shows=("comment",)),
    ("GET", "/api/v1/reports/polls"): secret_api(query={"guide": "{poll_guide_id}"}),
    ("GET", "/api/v1/reports/benchmarks"): secret_api(query={"tenant": "{tenant_id}", "metric": "stickiness"}),
    ("GET", "/api/v1/lexicon/events"): secret_api(shows=("event",)),
    ("PATCH", "/api/v1/lexicon/events/{name:str}"): secret_api(params={"name": "event_name"},
                                                               body={"description": "Matrix"}),
    ("GET", "/api/v1/reports/trends"): secret_api(query={"events": "page:home", "breakdown": "tenant.plan",
                                                         "measure": "unique", "count": "tenants"}, shows=("plan",)),
    ("GET", "/api/v1/reports/retention"): secret_api(query={"tenant": "{tenant_id}", "count": "tenants"}),
    ("GET", "/api/v1/reports/funnel"): secret_api(query={"steps": "page:{page_id},event:Matrix",
                                                          "tenant": "{tenant_id}"}),
    ("GET", "/api/v1/reports/paths"): secret_api(query={"to_step": "exit", "tenant": "{tenant_id}"}),
    ("GET", "/api/v1/alerts"): secret_api(),
    ("POST", "/api/v1/alerts"): secret_api(body=_RULE),
    ("GET", "/api/v1/alerts/firings"): secret_api(),
    ("GET", "/api/v1/alerts/{rule_id:int}"): secret_api(params={"rule_id": "fresh"}, fresh="alert_rule"),
    ("PUT", "/api/v1/alerts/{rule_id:int}"): secret_api(params={"rule_id": "fresh"}, fresh="alert_rule", body=_RULE),
    ("DELETE", "/api/v1/alerts/{rule_id:int}"): secret_api(params={"rule_id": "fresh"}, fresh="alert_rule"),
    ("GET", "/api/v1/webhooks/deliveries"): secret_api(),
    ("GET", "/api/v1/reports/signal"): secret_api(query={"tenant": "{tenant_id}", "min_support": "1"}),
    ("GET", "/api/v1/reports/impact"): secret_api(query={"tenant": "{tenant_id}", "adoption": "feature:{feature_id}"}),
    ("GET", "/api/v1/people"): secret_api(),
    ("POST", "/api/v1/people/invitations"): secret_api(fresh="new_id", body={
        "email": "{fresh}@matrix.test", "role": "analyst"}),
    ("POST", "/api/v1/people/{email:str}/reset"): secret_api(params={"email": "person_email"}),
    ("GET", "/api/v1/apps"): secret_api(),
    ("POST", "/api/v1/apps"): secret_api(body={"name": "Matrix app"}),
    # --- the admin: signing in and out, assets
    ("GET", "/admin/static/{file:str}"): open_page(params={"file": "asset"}),
    ("GET", "/admin/login"): open_page(),
    ("POST", "/admin/login"): open_page(body={"email": "", "password": ""}),  # no failed login to throttle
    ("GET", "/admin/login/code"): open_page(),
    ("POST", "/admin/login/code"): open_page(body={"code": "000000"}),
    ("POST", "/admin/logout"): open_page(spends_session=True),
    # invitation and password-reset links (a token nobody was given: the page says the link is not valid)
    **{(method, f"/admin/{link}/{{token:str}}"): open_page(body={"password": "", "confirm": ""})
       for link in ("invite", "reset") for method in ("GET", "POST")},
    # --- the admin's pages
    ("GET", "/admin"): page(_READ_TENANT),
    # one's own account: TOTP (starting a setup changes nothing until a code confirms it; wrong codes change nothing)
    ("GET", "/admin/account"): page(_READ_TENANT, people_only=True),
    ("POST", "/admin/account/totp/start"): page(_READ_TENANT, people_only=True),
    **{("POST", f"/admin/account/{part}"): page(_READ_TENANT, people_only=True, body={"code": "000000"})
       for part in ("totp/confirm", "totp/off", "recovery-codes")},
    # an app's people and audit log (owner); people changed are made for the call
    ("GET", "/admin/apps/{app_id:str}/people"): page(_MANAGE),
    ("GET", "/admin/apps/{app_id:str}/audit"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/people/invite"): page(_MANAGE, fresh="new_id", body={
        "email": "{fresh}@matrix.test", "role": "analyst", "tenant": ""}),
    ("POST", "/admin/apps/{app_id:str}/people/second-factor"): page(_MANAGE, body={"require_totp": ""}),
    ("POST", "/admin/apps/{app_id:str}/people/{user_id:int}/role"): page(
        _MANAGE, params={"user_id": "fresh"}, fresh="person", body={"role": "author", "tenant": ""}),
    **{("POST", f"/admin/apps/{{app_id:str}}/people/{{user_id:int}}/{action}"): page(
        _MANAGE, params={"user_id": "fresh"}, fresh="person") for action in ("remove", "reset")},
    ("GET", "/admin/apps"): page(_READ_TENANT),
    ("POST", "/admin/apps"): page(_MANAGE, body={"name": "Made by the matrix"}),
    # an app's keys, settings, privacy actions (owner), its content (read; archive and roll back: authors)
    ("GET", "/admin/apps/{app_id:str}/keys"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/keys/secret-keys"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/keys/secret-keys/{key_id:int}/revoke"): page(
        _MANAGE, params={"key_id": "fresh"}, fresh="secret_key"),
    ("POST", "/admin/apps/{app_id:str}/keys/secret-keys/{key_id:int}/rotate"): page(
        _MANAGE, params={"key_id": "fresh"}, fresh="secret_key"),
    ("POST", "/admin/apps/{app_id:str}/keys/identity-secrets"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/keys/identity-secrets/{secret_id:int}/revoke"): page(
        _MANAGE, params={"secret_id": "fresh"}, fresh="identity_secret"),
    ("GET", "/admin/apps/{app_id:str}/settings"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/settings"): page(_MANAGE, body={
        "throttle_seconds": "86400", "max_auto_guides_per_day": "0", "retention_days": ""}),
    ("GET", "/admin/apps/{app_id:str}/privacy"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/privacy/tenant"): page(_MANAGE, body={"tenant_id": "{tenant_id}",
                                                                             "drop_fields": ""}),
    ("POST", "/admin/apps/{app_id:str}/privacy/export"): page(_MANAGE, body={"visitor_id": "{visitor_id}"},
                                                              shows=("visitor", "email")),
    ("POST", "/admin/apps/{app_id:str}/privacy/erase"): page(_MANAGE, body={"visitor_id": "{fresh}"},
                                                             fresh="visitor"),
    ("GET", "/admin/apps/{app_id:str}/content"): page(_READ_APP),
    ("POST", "/admin/apps/{app_id:str}/content/{guide_id:str}/archive"): page(
        _AUTHOR, params={"guide_id": "fresh"}, fresh="guide"),
    ("POST", "/admin/apps/{app_id:str}/content/{guide_id:str}/rollback"): page(
        _AUTHOR, params={"guide_id": "fresh"}, fresh="guide_v2"),
    # the overview of the app, its tenants (list and profile) and a visitor's profile
    ("GET", "/admin/apps/{app_id:str}"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/tenants"): page(_READ_APP, report=True, shows=("tenant",)),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}"): page(_READ_TENANT, tenant=True, report=True,
                                                                      shows=("plan",)),
    ("GET", "/admin/apps/{app_id:str}/visitors/{visitor_id:str}"): page(_READ_APP, report=True,
                                                                       shows=("email", "comment")),
    # cohorts (app-wide: read for readers; create, edit and delete for authors)
    ("GET", "/admin/apps/{app_id:str}/cohorts"): page(_READ_APP, report=True, chart=False),
    ("POST", "/admin/apps/{app_id:str}/cohorts"): page(_AUTHOR, fresh="new_id", body={
        "id": "{fresh}", "name": "Fresh", "description": "", "rule": "{first_seen_within: 7}"}),
    ("GET", "/admin/apps/{app_id:str}/cohorts/{cohort_id:str}"): page(_READ_APP, report=True, chart=False,
                                                                      shows=("visitor",)),
    ("POST", "/admin/apps/{app_id:str}/cohorts/{cohort_id:str}"): page(
        _AUTHOR, params={"cohort_id": "fresh"}, fresh="cohort", body={
            "name": "Edited", "description": "", "rule": "{first_seen_within: 7}"}),
    ("POST", "/admin/apps/{app_id:str}/cohorts/{cohort_id:str}/delete"): page(
        _AUTHOR, params={"cohort_id": "fresh"}, fresh="cohort"),
    # guides (app-wide)
    ("GET", "/admin/apps/{app_id:str}/guides"): page(_READ_APP, report=True),
    # funnels and paths (behavioural analytics)
    # (without steps the funnel page is its form alone: the e2e chart check opens pages without a query)
    ("GET", "/admin/apps/{app_id:str}/funnels"): page(_READ_APP, report=True, chart=False,
                                                      query={"steps": "page:{page_id},event:Matrix"}),
    ("GET", "/admin/apps/{app_id:str}/paths"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/guides/{guide_id:str}"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/guides/{guide_id:str}/explain"): page(
        _READ_APP, report=True, chart=False, query={"visitor": "{visitor_id}", "url": "https://app.example.test/demo/invoices"}),
    # the live view (app-wide); the stream looks once and ends (seconds=0), as a plain client reads it whole
    ("GET", "/admin/apps/{app_id:str}/live"): page(_READ_APP, report=True, chart=False),
    ("GET", "/admin/apps/{app_id:str}/live/stream"): page(_READ_APP, query={"seconds": "0"}),
    # NPS, polls, policies and evidence: app-wide, and one tenant's
    ("GET", "/admin/apps/{app_id:str}/nps"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/polls"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/policies"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/evidence"): page(_READ_APP, report=True, chart=False),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/nps"): page(_READ_TENANT, tenant=True, report=True),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/polls"): page(_READ_TENANT, tenant=True, report=True),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/policies"): page(
        _READ_TENANT, tenant=True, report=True, shows=("visitor",)),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/evidence"): page(
        _READ_TENANT, tenant=True, report=True, chart=False, shows=("visitor",)),
    # benchmarks: every group's distribution (product team), one tenant's position, the app's k (owner)
    ("GET", "/admin/apps/{app_id:str}/benchmarks"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/benchmarks"): page(
        _READ_TENANT, tenant=True, report=True),
    ("POST", "/admin/apps/{app_id:str}/benchmarks/settings"): page(_MANAGE, body={"k": "5"}),
    # the lexicon (data dictionary): read by the product team, edited by authors
    ("GET", "/admin/apps/{app_id:str}/lexicon"): page(_READ_APP, report=True, shows=("event",)),
    ("POST", "/admin/apps/{app_id:str}/lexicon"): page(_AUTHOR, body={
        "name": "{event_name}", "description": "Matrix", "status": "visible"}),
    # trends and retention: app-wide, and one tenant's (the breakdown names each tenant's plan)
    ("GET", "/admin/apps/{app_id:str}/trends"): page(_READ_APP, report=True, query=_TRENDS, shows=("plan",)),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/trends"): page(
        _READ_TENANT, tenant=True, report=True, query=_TRENDS, shows=("plan",)),
    ("GET", "/admin/apps/{app_id:str}/retention"): page(_READ_APP, report=True),
    ("GET", "/admin/apps/{app_id:str}/tenants/{tenant_id:str}/retention"): page(
        _READ_TENANT, tenant=True, report=True, query={"count": "tenants", "start_event": "page:home"}),
    # product-qualified tenants: milestones and every tenant's flags (product team), defining them (owner)
    ("GET", "/admin/apps/{app_id:str}/milestones"): page(_READ_APP, report=True, shows=("tenant",)),
    ("POST", "/admin/apps/{app_id:str}/milestones"): page(_MANAGE, body=_MILESTONE_FORM),
    ("POST", "/admin/apps/{app_id:str}/milestones/settings"): page(_MANAGE, body={"crm_field": "crm_id"}),
    ("POST", "/admin/apps/{app_id:str}/milestones/{milestone_id:str}/delete"): page(
        _MANAGE, params={"milestone_id": "fresh"}, fresh="milestone"),
    ("GET", "/api/v1/milestones"): secret_api(),
    ("GET", "/api/v1/milestones/flags"): secret_api(query={"format": "csv"}),
    ("GET", "/api/v1/milestones/{milestone_id:str}"): secret_api(),
    ("PUT", "/api/v1/milestones/{milestone_id:str}"): secret_api(params={"milestone_id": "fresh"}, fresh="new_id",
                                                                  body=_MILESTONE),
    ("DELETE", "/api/v1/milestones/{milestone_id:str}"): secret_api(params={"milestone_id": "fresh"},
                                                                     fresh="milestone"),
    # alerts (readers see rules and firings; owners edit), webhooks (owners)
    ("GET", "/admin/apps/{app_id:str}/alerts"): page(_READ_APP),
    ("POST", "/admin/apps/{app_id:str}/alerts"): page(_MANAGE, body={**_RULE, "value": "3", "enabled": "on"}),
    ("POST", "/admin/apps/{app_id:str}/alerts/{rule_id:int}/delete"): page(
        _MANAGE, params={"rule_id": "fresh"}, fresh="alert_rule"),
    ("GET", "/admin/apps/{app_id:str}/webhooks"): page(_MANAGE),
    ("POST", "/admin/apps/{app_id:str}/webhooks/endpoints"): page(_MANAGE, body={"url": "https://hooks.example.test/m"}),
    ("POST", "/admin/apps/{app_id:str}/webhooks/endpoints/{endpoint_id:int}/delete"): page(
        _MANAGE, params={"endpoint_id": "fresh"}, fresh="webhook_endpoint"),
    ("POST", "/admin/apps/{app_id:str}/webhooks/secret/rotate"): page(_MANAGE),
    # signal and impact (behavioural analytics): app-wide, every tenant's visitors
    ("GET", "/admin/apps/{app_id:str}/signal"): page(_READ_APP, report=True, query={"min_support": "1"}),
    ("GET", "/admin/apps/{app_id:str}/impact"): page(_READ_APP, report=True,
                                                     query={"adoption": "feature:{feature_id}"}),
}
