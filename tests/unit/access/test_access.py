"""The access file: parsing, every validation message (file, grant, field), the no-admin refusal; who matches
which grant (verified email in any case, domain only when verified, groups as a list or a comma string, never a
display name), the highest role with the union of scopes, the default role; the store's round trip."""

import pytest

from analysis.access.model import AccessError, parse_access
from analysis.access.roles import OPERATOR, Access, Identity, identity_from_claims, resolve
from analysis.access.store import AccessStore
from analysis.store.workspace import WorkspaceConflict

ADMIN_GRANT = "  - who: {group: finops-admins}\n    role: admin\n"
FILE = """default_role: none
groups_claim: roles
grants:
  - who: {group: finops-admins}
    role: admin
  - who: {email: Bob@Example.com}
    role: editor
    scope: {ServiceCategory: Compute}
  - who: {domain: example.com}
    role: viewer
    scope: {"alloc:Team": payments}
  - who: {group: storage-team}
    role: viewer
    scope: {ServiceCategory: [Storage, Databases]}
"""
PAYMENTS = (("alloc:Team", ("payments",)),)
COMPUTE = (("ServiceCategory", ("Compute",)),)
STORAGE = (("ServiceCategory", ("Storage", "Databases")),)


def person(email: str | None = None, verified: bool = True, groups: tuple[str, ...] = (), name: str = "") -> Identity:
    return Identity(email=email, email_verified=verified, groups=groups, name=name)


def test_the_file_of_the_issue_reads_as_written():
    access = parse_access(FILE)
    assert access is not None
    assert (access.default_role, access.default_scope, access.groups_claim) == ("none", None, "roles")
    assert [(str(g.who), g.role, g.scope) for g in access.grants] == [
        ("group=finops-admins", "admin", ()), ("email=bob@example.com", "editor", COMPUTE),
        ("domain=example.com", "viewer", PAYMENTS), ("group=storage-team", "viewer", STORAGE)]
    assert parse_access("grants:\n" + ADMIN_GRANT).groups_claim == "groups"


@pytest.mark.parametrize("text", ["", "  \n", "# nobody configured access yet\n"])
def test_an_empty_file_means_no_access_control(text):
    assert parse_access(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("default_role: viewer\ngrants:\n" + ADMIN_GRANT,
     "access.yaml, field default_scope: required when default_role is viewer"),
    ("default_role: viewer\ndefault_scope:\ngrants:\n" + ADMIN_GRANT,
     "access.yaml, field default_scope: required when default_role is viewer"),
    ("default_scope: {}\ngrants:\n" + ADMIN_GRANT,
     "access.yaml, field default_scope: only used when default_role is viewer"),
    ("default_role: editor\ngrants:\n" + ADMIN_GRANT,
     "access.yaml, field default_role: Input should be 'none' or 'viewer'"),
    ("groups_claim: ''\ngrants:\n" + ADMIN_GRANT, "access.yaml, field groups_claim: String should have at least 1"),
    ("owner: me\ngrants:\n" + ADMIN_GRANT, "access.yaml, field owner: Extra inputs are not permitted"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {email: bob@example.com}\n    role: owner\n",
     "access.yaml, grant #2 (who: email=bob@example.com), field role: Input should be 'viewer', 'editor' or 'admin'"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {email: bob@example.com}\n",
     "access.yaml, grant #2 (who: email=bob@example.com), field role: Field required"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {domain: example.com}\n    role: viewer\n    colour: red\n",
     "access.yaml, grant #2 (who: domain=example.com), field colour: Extra inputs are not permitted"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {domain: example.com}\n    role: viewer\n    scope: {ServiceCategory: []}\n",
     "access.yaml, grant #2 (who: domain=example.com), field scope: dimension 'ServiceCategory' needs one value"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {email: bob}\n    role: viewer\n",
     "access.yaml, grant #2, field who.email: 'bob' is not an email address"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {domain: example}\n    role: viewer\n",
     "access.yaml, grant #2, field who.domain: 'example' is not a domain"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {group: '  '}\n    role: viewer\n",
     "access.yaml, grant #2, field who.group: the group name is empty"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {email: bob@example.com, group: finance}\n    role: viewer\n",
     "access.yaml, grant #2, field who: give exactly one of email, domain or group"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {name: Bob Smith}\n    role: admin\n",
     "access.yaml, grant #2, field who.name: Extra inputs are not permitted"),
    ("grants:\n" + ADMIN_GRANT + "  - who: {group: finance}\n    role: admin\n    scope: {ServiceCategory: Compute}\n",
     "access.yaml, grant #2 (who: group=finance), field scope: an admin sees the whole bill"),
    ("grants:\n" + ADMIN_GRANT + "  - viewer\n", "access.yaml, grant #2: expected a mapping with who, role and scope"),
    ("grants: []\n", "access.yaml, field grants: expected a list of grants, with at least one admin"),
    ("default_role: none\n", "access.yaml, field grants: expected a list of grants, with at least one admin"),
    ("[admins]\n", "access.yaml: expected a mapping with default_role, default_scope, groups_claim and grants"),
    ("grants: [\n", "access.yaml: YAML syntax error at line 2, column 1"),
])
def test_every_invalid_file_is_refused_naming_the_grant_and_field(text, message):
    with pytest.raises(AccessError) as raised:
        parse_access(text)
    assert str(raised.value).startswith(message), str(raised.value)


def test_a_file_that_leaves_no_admin_is_refused():
    text = FILE.replace("role: admin", "role: editor")
    with pytest.raises(AccessError, match=r"^access\.yaml, field grants: no grant gives the admin role"):
        parse_access(text)


def test_email_matches_in_any_case_only_when_verified():
    access = parse_access(FILE)
    bob = resolve(access, person("BOB@example.COM"))
    assert bob == Access("bob@example.com", "editor", (COMPUTE, PAYMENTS))  # his grant and his domain's
    unverified = resolve(access, person("bob@example.com", verified=False))
    assert unverified == Access("bob@example.com (unverified)", "none", ())


def test_a_domain_grant_matches_verified_addresses_of_that_domain_only():
    access = parse_access(FILE)
    assert resolve(access, person("carol@example.com")).scopes == (PAYMENTS,)
    assert resolve(access, person("carol@example.com", verified=False)).role == "none"
    for other in ("carol@sub.example.com", "carol@notexample.com", "example.com@evil.org"):
        assert resolve(access, person(other)).role == "none", other


@pytest.mark.parametrize("groups", [["storage-team", "other"], "other, storage-team", "storage-team"])
def test_the_groups_claim_is_read_as_a_list_or_a_comma_string(groups):
    identity = identity_from_claims({"email": "dan@elsewhere.org", "email_verified": True, "roles": groups,
                                     "name": "Dan"}, "roles")
    assert "storage-team" in identity.groups and identity.name == "Dan"
    assert resolve(parse_access(FILE), identity) == Access("dan@elsewhere.org", "viewer", (STORAGE,))


def test_claims_read_conservatively():
    assert identity_from_claims({"email": "a@b.org"}) == Identity("a@b.org", False, ())  # no claim: unverified
    assert identity_from_claims({"email": "a@b.org", "email_verified": "true"}).email_verified
    assert not identity_from_claims({"email": "a@b.org", "email_verified": "false"}).email_verified
    assert not identity_from_claims({"email": "a@b.org", "email_verified": 1}).email_verified
    assert identity_from_claims({"groups": [" x ", "", "x", "y"]}).groups == ("x", "y")
    assert identity_from_claims({"groups": "finops-admins"}, "roles").groups == ()  # another claim is not read
    assert identity_from_claims({"email": "  "}).email is None


def test_several_grants_give_the_highest_role_and_the_union_of_scopes():
    access = parse_access(FILE)
    carol = person("carol@example.com", groups=("storage-team",))
    assert resolve(access, carol) == Access("carol@example.com", "viewer", (PAYMENTS, STORAGE))
    admin = resolve(access, person("carol@example.com", groups=("storage-team", "finops-admins")))
    assert admin.role == "admin" and admin.scopes == ((),) and admin.whole_bill


def test_a_grant_on_the_whole_bill_makes_the_union_the_whole_bill():
    access = parse_access(FILE + "  - who: {group: finance}\n    role: viewer\n")
    carol = resolve(access, person("carol@example.com", groups=("finance",)))
    assert carol == Access("carol@example.com", "viewer", ((),)) and carol.whole_bill


def test_a_display_name_never_matches():
    access = parse_access(FILE)
    impostor = person(name="bob@example.com", groups=("finops-admins-not",))
    assert resolve(access, impostor) == Access("bob@example.com (no email)", "none", ())
    assert resolve(access, person("eve@evil.org", name="finops-admins")).role == "none"


def test_a_user_matching_no_grant_gets_the_default_role():
    refused = resolve(parse_access(FILE), person("eve@evil.org"))
    assert refused == Access("eve@evil.org", "none", ()) and not refused.may("view")
    viewer = parse_access("default_role: viewer\ndefault_scope: {ServiceCategory: Compute}\ngrants:\n" + ADMIN_GRANT)
    assert resolve(viewer, person("eve@evil.org")) == Access("eve@evil.org", "viewer", (COMPUTE,))
    whole = parse_access("default_role: viewer\ndefault_scope: {}\ngrants:\n" + ADMIN_GRANT)
    assert resolve(whole, person(None, groups=("x",), name="Eve")) == Access("Eve (no email)", "viewer", ((),))


def test_what_each_role_may_do():
    allowed = {role: [a for a in ("view", "download", "edit", "load", "access")
                      if Access("x@example.com", role, ((),)).may(a)]
               for role in ("none", "viewer", "editor", "admin")}
    assert allowed == {"none": [], "viewer": ["view", "download"], "editor": ["view", "download", "edit"],
                       "admin": ["view", "download", "edit", "load", "access"]}
    assert OPERATOR == Access("operator", "admin", ((),)) and OPERATOR.whole_bill
    assert not Access("x@example.com", "viewer", (COMPUTE,)).whole_bill
    with pytest.raises(ValueError, match="unknown action 'delete'"):
        OPERATOR.may("delete")  # type: ignore[arg-type]


def test_the_store_round_trips_refuses_conflicts_and_invalid_files(tmp_path):
    store = AccessStore(tmp_path)
    assert store.access() == (None, store.read()[1]) and not store.path.exists()
    first = store.save(FILE, store.read()[1])
    assert store.access() == (parse_access(FILE), first)
    second = store.save(FILE.replace("role: editor", "role: viewer"), first)
    with pytest.raises(WorkspaceConflict, match="access.yaml was changed by someone else"):
        store.save(FILE, first)
    for text, message in [(FILE.replace("role: admin", "role: editor"), "no grant gives the admin role"),
                          ("", "an empty access file would turn access control off")]:
        with pytest.raises(AccessError, match=message):
            store.save(text, second)
    assert store.access()[1] == second and [v.token for v in store.versions()] == [second, first]
    store.restore(store.versions()[1].name, second)
    assert store.access() == (parse_access(FILE), first)
