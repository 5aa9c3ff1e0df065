"""The role matrix, URL by URL: every pattern of the URLconf, for every role and for a visitor, by GET and
(for action URLs) by POST, answers as the matrix says.

`URLS` below is the policy written out a second time, independently of the views: which permission of
accounts.roles each page, action and API endpoint needs to read (GET) and to write (POST). A URL added
without an entry here fails `test_every_url_has_an_entry`; a view whose declared permissions differ from
its entry fails `test_each_view_declares_the_permissions_of_its_entry`; and the walk checks the answers:

- forbidden: a visitor is sent to sign in (the API answers 401, the admin sends to its own sign-in); a
  signed-in user without the permission gets 403 (the admin, again, sends to its sign-in);
- allowed: 200, 201, 202, 204, 302 or 400 (an empty form or body), 405 for a method the URL does not
  serve; never 403, never 404 (every path is filled with a row the user may see), never 5xx (the test
  client raises on a server error).

The API by session needs a staff user (the contract: "staff users may use the API with their session")
and the endpoint's permission; the admin site needs `administer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Perm, can

from .conftest import Book

pytestmark = pytest.mark.django_db

PUBLIC = "public"  # anyone, signed in or not
INFRA = "infrastructure"  # probes and scrapes: the same answer whoever asks (guarded by address, not by role)
ANY_STAFF = "any staff"  # the API by any staff session or platform key (ping)
SIGNED = "provider signature"  # a provider's callback: its HMAC signature, whoever is signed in (outreach.api)
V, W, OV, A, S, AU, AD, OP = (
    Perm.VIEW_CASES,
    Perm.WORK_CASE,
    Perm.OVERRIDE_BLOCK,
    Perm.APPROVE_PLANS,
    Perm.SUPERVISE,
    Perm.AUDIT,
    Perm.ADMINISTER,
    Perm.OPERATE,
)
ROLES = ["anonymous", "collector", "agency_collector", "supervisor", "compliance", "admin"]


@dataclass(frozen=True)
class Entry:
    read: Perm | str  # needed for GET
    write: Perm | str  # needed for POST
    methods: tuple[str, ...]  # what the URL serves, of GET and POST
    api: bool = False


def page(read, write=None, *methods: str) -> Entry:
    return Entry(read, write or read, methods or ("GET",))


def api(read, write, *methods: str) -> Entry:
    return Entry(read, write, methods, api=True)


URLS: dict[str, Entry] = {
    "healthz": page(PUBLIC),
    "readyz": page(INFRA),
    "metrics": page(INFRA),
    "favicon": page(PUBLIC),
    "login": page(PUBLIC, PUBLIC, "GET", "POST"),
    "logout": page(PUBLIC, PUBLIC, "POST"),
    "set-language": page(PUBLIC, PUBLIC, "POST"),
    "set_language": page(PUBLIC, PUBLIC, "GET", "POST"),  # Django's: redirects back whatever the method
    "schema": page(PUBLIC),
    "api-docs": page(PUBLIC),
    # the collector's pages
    "case-list": page(V),
    "home": page(V),
    "queue": page(V),
    "queue-next": page(V),
    "tasks": page(V),
    "task-done": page(W, W, "POST"),
    "task-cancel": page(W, W, "POST"),
    "task-reassign": page(S, S, "POST"),
    "alerts": page(S),
    "alert-acknowledge": page(S, S, "POST"),
    "case-search": page(V),
    "personal-settings": page(V, V, "GET", "POST"),
    "case-detail": page(V),
    # the case page's pause, write-off and legal path panel (workspace.legal): a supervisor's acts
    "case-pause": page(S, S, "POST"),
    "case-pause-end": page(S, S, "POST"),
    "case-write-off": page(S, S, "POST"),
    "case-legal-step": page(S, S, "POST"),
    "case-legal-outcome": page(S, S, "POST"),
    "case-lawyer-letter": page(S, S, "POST"),
    "case-lawyer-letter-page": page(V),
    "case-lawyer-letter-pdf": page(V),
    "case-call-start": page(W, W, "POST"),
    "case-inbound-call": page(W, W, "POST"),
    "case-note": page(W, W, "POST"),
    "case-contact-times": page(W, W, "POST"),
    "case-validation-verify": page(AU, AU, "POST"),
    "case-contact-outcome": page(W, W, "POST"),
    "case-message-send": page(W, W, "POST"),
    "case-message-preview": page(W),
    "case-letter": page(W, W, "POST"),
    "case-visit": page(W, W, "POST"),
    "case-promise": page(W, W, "POST"),
    "case-hold": page(W, W, "POST"),
    "case-opt-out": page(W, W, "POST"),
    "case-override": page(OV, OV, "POST"),
    # plans
    "plan-new": page(W, W, "GET", "POST"),
    "plan-approvals": page(A),
    "plan-detail": page(V),
    "plan-approve": page(A, A, "POST"),
    "plan-reject": page(A, A, "POST"),
    "plan-cancel": page(W, W, "POST"),
    "plan-agreement": page(V),
    "plan-agreement-pdf": page(V),
    "plan-agreement-send": page(W, W, "POST"),
    # supervision
    "webhook-event-list": page(S),
    "webhook-event-replay": page(S, S, "POST"),
    "supervision:dashboard": page(S),
    "supervision:kpi-cases": page(S),
    "supervision:audit": page(AU),
    "supervision:audit-contact": page(AU),
    "supervision:audit-decision": page(AU),
    "supervision:evidence": page(AU, AU, "GET", "POST"),
    "supervision:quality": page(S, S, "GET", "POST"),
    "supervision:quality-review": page(S, S, "GET", "POST"),
    "supervision:agencies": page(S, S, "GET", "POST"),
    "supervision:approvals": page(A),
    "supervision:approvals-decide": page(A, A, "POST"),
    "supervision:assignment": page(S, S, "GET", "POST"),
    "supervision:experiment-promote": page(S, S, "POST"),
    "supervision:experiments": page(S, S, "GET", "POST"),
    "supervision:experiment-stop": page(S, S, "POST"),
    # operations
    "operations:page": page(OP),
    "operations:reminders-requeue": page(OP, OP, "POST"),
    "operations:webhooks-retry": page(OP, OP, "POST"),
    # the platform API, by session (a platform key passes every permission, and sees its own rows)
    "api-ping": api(ANY_STAFF, ANY_STAFF, "GET", "POST"),
    "api-borrower-list": api(V, AD, "GET", "POST"),
    "api-borrower-bulk": api(V, AD, "POST"),
    "api-borrower-detail": api(V, AD, "GET"),
    "api-borrower-holds": api(V, W, "GET", "POST"),
    "api-borrower-opt-outs": api(V, W, "GET", "POST"),
    "api-hold-detail": api(V, AD, "GET"),
    "api-loan-pauses": api(V, S, "GET", "POST"),
    "api-pause-detail": api(V, S, "GET"),
    "api-loan-write-off": api(V, S, "GET", "POST"),
    "api-case-legal-proceedings": api(V, S, "GET", "POST"),
    "api-legal-proceeding-detail": api(V, S, "GET"),
    "api-loan-list": api(V, AD, "GET", "POST"),
    "api-loan-bulk": api(V, AD, "POST"),
    "api-loan-detail": api(V, W, "GET"),
    "api-payment-create": api(V, AD, "POST"),
    "api-payment-bulk": api(V, AD, "POST"),
    "api-case-list": api(V, W, "GET"),
    "api-case-detail": api(V, W, "GET"),
    "api-compliance-check": api(V, W, "POST"),
    "api-compliance-decision": api(V, W, "GET"),
    "api-contacts": api(V, W, "GET", "POST"),
    "api-contact-outcome": api(V, W, "POST"),
    "api-contact-detail": api(V, W, "GET"),
    "api-case-promises": api(V, W, "GET", "POST"),
    "api-case-plans": api(V, W, "GET", "POST"),
    "api-plan-detail": api(V, W, "GET"),
    "api-plan-approve": api(V, A, "POST"),
    "api-plan-reject": api(V, A, "POST"),
    "api-plan-cancel": api(V, W, "POST"),
    "api-case-portal-links": api(V, W, "POST"),
    "api-webhook-event-list": api(S, S, "GET"),
    "api-webhook-event-detail": api(S, S, "GET"),
    "api-webhook-event-replay": api(S, S, "POST"),
    # providers' callbacks: their own signature, no role or key (every unsigned request is a 401)
    "api-provider-receipts": api(SIGNED, SIGNED, "POST"),
    "api-provider-replies": api(SIGNED, SIGNED, "POST"),
}
# The borrower portal: public pages behind the link and its second factor (a walk with a fresh link: the
# entry page answers, the rest send back to it), whoever is signed in as staff.
URLS.update(
    {
        "portal-entry": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-home": page(PUBLIC),
        "portal-pay": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-plans": page(PUBLIC),
        "portal-plan-accept": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-more-help": page(PUBLIC, PUBLIC, "POST"),
        "portal-promise": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-preferences": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-contact-times": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-dispute": page(PUBLIC, PUBLIC, "GET", "POST"),
        "portal-hardship": page(PUBLIC, PUBLIC, "GET", "POST"),
    }
)
# Every URL of the admin site (Django's views, one per registered model and action): `administer`.
ADMIN = page(AD, AD, "GET", "POST")


def _walk(patterns, namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else f"{namespace}<unnamed {p.pattern}>"), p


PATTERNS = list(_walk(get_resolver().url_patterns))
OWN = sorted({name for name, _p in PATTERNS if not name.startswith("admin:")})
ADMIN_PATTERNS = [(name, p) for name, p in PATTERNS if name.startswith("admin:")]


def test_every_url_has_an_entry():
    assert [name for name in OWN if name not in URLS] == []
    assert [name for name in URLS if name not in OWN] == []  # no stale entry either
    assert ADMIN_PATTERNS, "the admin site is mounted"


def _declared(callback) -> tuple:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if hasattr(callback, "required_permissions"):
        return tuple(callback.required_permissions)
    if view_class is not None and hasattr(view_class, "permission_classes"):
        read = getattr(view_class, "read_permission", V)
        write = getattr(view_class, "write_permission", W)
        return (ANY_STAFF if read is None else read, ANY_STAFF if write is None else write)
    return (PUBLIC, PUBLIC)


@pytest.mark.parametrize("name", OWN)
def test_each_view_declares_the_permissions_of_its_entry(name):
    """Pages carry `permission_required`'s (read, write); API views their read/write permissions."""
    callback = dict(PATTERNS)[name].callback
    entry = URLS[name]
    if name in ("schema", "api-docs"):
        return  # drf-spectacular's views: public, like the sign-in page
    public = {INFRA: PUBLIC}  # probes carry no role check at all
    assert _declared(callback) == (public.get(entry.read, entry.read), public.get(entry.write, entry.write))


def allowed(entry: Entry, method: str, user) -> bool:
    perm = entry.read if method == "GET" else entry.write
    if perm == PUBLIC:
        return True
    if user is None:
        return False
    if entry.api and not user.is_staff:
        return False
    return perm == ANY_STAFF or can(user, perm)


OK = {200, 201, 202, 204, 302, 400}


def _request(client: Client, method: str, url: str, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.post(url, data={}, content_type="application/json")
    return client.post(url, data={})


def _as(client: Client, user, send):
    """Send a request as `user` (None: nobody), signing in again only when a request signed out."""
    if user is None:
        client.logout()
    elif client.session.get("_auth_user_id") != str(user.pk):
        client.force_login(user)
    return send()


def _check(response, *, entry: Entry, method: str, user, url: str, admin: bool = False) -> None:
    status = response.status_code
    where = f"{method} {url} as {getattr(user, 'username', 'anonymous')}: {status}"
    if entry.read == SIGNED:
        assert status == 401, where  # no session or role stands in for the provider's signature
        return
    location = response.get("Location", "")
    if allowed(entry, method, user):
        if method not in entry.methods:
            assert status == 405, where
        elif admin:
            # Django's own answers inside the admin: a read-only model refuses to add (403), a missing
            # object redirects or is 404; what matters is that the site let the administrator in.
            assert status < 500 and not location.startswith("/admin/login/"), where
        else:
            assert status in OK, where
            if status == 302:
                assert not location.startswith(("/?next=", "/admin/login/")), where
    elif admin:
        assert status == 302 and location.startswith("/admin/login/"), where
    elif user is None:
        if entry.api:
            assert status == 401, where
        else:
            assert status == 302 and location.startswith("/?next="), where
    else:
        assert status == 403, where


@pytest.mark.parametrize("name", OWN)
def test_every_url_answers_every_role_as_the_matrix_says(client, book: Book, name):
    entry = URLS[name]
    answers = set()
    for role in ROLES:
        user = book.users[role]
        url = reverse(name, kwargs=book.rows_for(role).kwargs(name))
        for method in ("GET", "POST") if "POST" in entry.methods else ("GET",):
            response = _as(client, user, lambda method=method, url=url: _request(client, method, url, api=entry.api))
            if entry.read == INFRA:
                answers.add((method, response.status_code, response.get("Location", "")))
            else:
                _check(response, entry=entry, method=method, user=user, url=url)
    if entry.read == INFRA:
        assert len(answers) == 1, answers  # nobody's role changes the answer


def _admin_url(name: str, pattern: URLPattern) -> str:
    if "<unnamed" in name:
        return "/admin/no-such-page/"  # the admin's catch-all
    regex = pattern.pattern.regex
    kwargs: dict = {}
    for key in regex.groupindex:
        if key == "app_label":
            kwargs[key] = "accounts"
        elif key == "content_type_id":
            kwargs[key] = 1
        else:
            kwargs[key] = "999999"  # no such object
    if regex.groups and not regex.groupindex:  # positional groups (simple_history's record pages)
        return reverse(name, args=["999999"] * regex.groups)
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_site_is_for_administrators_only(client, book: Book, role):
    user = book.users[role]
    for name, pattern in ADMIN_PATTERNS:
        if name in ("admin:login", "admin:logout"):
            continue  # the admin's own sign-in and sign-out: public
        url = _admin_url(name, pattern)
        for method in ("GET", "POST"):
            response = _as(client, user, lambda method=method, url=url: _request(client, method, url, api=False))
            _check(response, entry=ADMIN, method=method, user=user, url=url, admin=True)
