"""The import of authorities and people: dry run, every problem with its row, confirmation in one transaction."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.access import AccessDenied
from assessments.models import Authority, Membership, Preference
from assessments.services import WorkflowError
from outbox.models import Mail
from programme import imports, invitations
from programme.models import ImportBatch, Invitation
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "authority,country,kind,e-mail,name,role,language"
GOOD_ROWS = [
    "Cuenca,Ecuador,municipality,ana@cuenca.example,Ana Pérez,approver,es",
    "Cuenca,Ecuador,municipality,luis@cuenca.example,Luis Mora,editor,es",
    "Lyon,France,municipality,claire@lyon.example,Claire Martin,approver,fr",
]


@pytest.fixture
def coordinator(db):
    user = UserFactory(username="cora-coordinator")
    user.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    return user


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


def _csv(*rows: str, header: str = HEADER, name: str = "people.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\r\n".join([header, *rows]).encode(encoding), content_type="text/csv")


def _xlsx(rows: list[list], name: str = "people.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Authority.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Preference.objects.count(),
        ImportBatch.objects.count(),
    )


def _upload(client, upload):
    return client.post(reverse("import_new"), {"file": upload})


# --- the good files ------------------------------------------------------------------------------------------


def test_the_upload_page_shows_the_columns_an_example_and_the_template(signed_in):
    response = signed_in.get(reverse("import_new"))
    html = response.content.decode()
    assert 'type="file"' in html and 'accept=".csv,.xlsx,text/csv"' in html
    assert re.search(r'<label\s+for="id_file"[^>]*>\s*File \(CSV or XLSX\)', html)
    for header in imports.HEADERS:
        assert f'<th scope="col">{header}</th>' in html
    assert reverse("import_template") in html
    template = signed_in.get(reverse("import_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().splitlines()[0] == HEADER


def test_the_template_itself_passes_the_check(coordinator):
    check = imports.import_check(SimpleUploadedFile("t.csv", imports.template_csv().encode()), coordinator)
    assert check.ok and len(check.rows) == len(imports.EXAMPLE_ROWS)


def test_a_good_csv_dry_run_lists_every_row_and_writes_only_a_pending_batch(signed_in, coordinator):
    before = _counts()
    response = _upload(signed_in, _csv(*GOOD_ROWS))
    assert response.status_code == 200
    html = response.content.decode()
    for number, email in [(2, "ana@cuenca.example"), (3, "luis@cuenca.example"), (4, "claire@lyon.example")]:
        assert f'id="row-{number}"' in html and email in html
    check = response.context["check"]
    assert check.ok and check.authorities_to_create == 2 and check.people_to_create == 3
    assert [row.new_authority for row in check.rows] == [True, True, True]
    assert _counts()[:4] == before[:4]
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PENDING and batch.uploaded_by == coordinator
    assert [row["email"] for row in batch.rows] == ["ana@cuenca.example", "luis@cuenca.example", "claire@lyon.example"]
    assert reverse("import_confirm", args=[batch.pk]) in html


def test_confirming_writes_authorities_people_memberships_languages_and_queues_invitations(signed_in, coordinator):
    _upload(signed_in, _csv(*GOOD_ROWS))
    batch = ImportBatch.objects.get()
    response = signed_in.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    text = response.content.decode()
    assert "2 authorities created; 3 people created; 3 invitations sent." in text
    cuenca = Authority.objects.get(name="Cuenca")
    assert (cuenca.country, cuenca.kind, cuenca.slug) == ("Ecuador", "municipality", "cuenca")
    ana = User.objects.get(username="ana@cuenca.example")
    assert ana.email == "ana@cuenca.example" and ana.first_name == "Ana Pérez" and not ana.has_usable_password()
    assert Membership.objects.get(user=ana).authority == cuenca
    assert Membership.objects.get(user__username="luis@cuenca.example").role == Membership.Role.EDITOR
    assert Preference.objects.get(user__username="claire@lyon.example").language == "fr"
    assert Invitation.objects.filter(invited_by=coordinator).count() == 3
    assert sorted(Mail.objects.values_list("to", flat=True)) == [
        "ana@cuenca.example",
        "claire@lyon.example",
        "luis@cuenca.example",
    ]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED and batch.applied_at is not None
    # The same batch cannot be applied twice.
    again = signed_in.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "already confirmed or cancelled" in again.content.decode()
    assert User.objects.filter(username__endswith=".example").count() == 3


def test_a_good_xlsx_is_checked_and_applied_like_a_csv(signed_in, coordinator):
    rows = [line.split(",") for line in GOOD_ROWS]
    response = _upload(signed_in, _xlsx(rows))
    assert response.status_code == 200
    assert 'id="row-4"' in response.content.decode() and "claire@lyon.example" in response.content.decode()
    check = response.context["check"]
    assert check.ok and [row.number for row in check.rows] == [2, 3, 4]
    assert not Authority.objects.filter(name__in=["Cuenca", "Lyon"]).exists()
    result = imports.import_apply(check.batch, coordinator)
    assert (result.authorities, result.people, result.invitations) == (2, 3, 3)
    assert Membership.objects.filter(authority__name="Cuenca").count() == 2


def test_semicolons_a_bom_any_header_case_and_labels_are_accepted(coordinator):
    upload = _csv(
        "Cuenca;Ecuador;Municipality;ANA@Cuenca.example;Ana;Approver;ES",
        header="Authority;COUNTRY;Kind;Email;Name;Role;Language",
        encoding="utf-8-sig",
    )
    check = imports.import_check(upload, coordinator)
    assert check.ok, [row.errors for row in check.rows]
    assert check.batch.rows == [
        {
            "authority": "Cuenca",
            "slug": "cuenca",
            "country": "Ecuador",
            "kind": "municipality",
            "email": "ana@cuenca.example",
            "name": "Ana",
            "role": "approver",
            "language": "es",
        }
    ]


def test_an_existing_authority_is_used_and_a_new_one_gets_a_free_slug(coordinator, quito):
    AuthorityFactory(name="Other Cuenca", slug="cuenca", country="Chile", kind="municipality")
    quito.authority.refresh_from_db()
    row_quito = (
        f"{quito.authority.name},{quito.authority.country},{quito.authority.kind},new@quito.example,New,editor,en"
    )
    check = imports.import_check(_csv(row_quito, GOOD_ROWS[0]), coordinator)
    assert check.ok, [row.errors for row in check.rows]
    assert [row.new_authority for row in check.rows] == [False, True]
    imports.import_apply(check.batch, coordinator)
    assert Membership.objects.get(user__username="new@quito.example").authority == quito.authority
    assert Authority.objects.get(name="Cuenca").slug == "cuenca-2"


def test_a_person_already_there_with_that_role_is_nothing_to_do(coordinator, quito):
    quito.approver.email = "approver@quito.example"
    quito.approver.save()
    a = quito.authority
    there = f"{a.name},{a.country},{a.kind},approver@quito.example,Approver,approver,es"
    check = imports.import_check(_csv(there, GOOD_ROWS[0]), coordinator)
    assert check.ok and check.rows[0].already_there and check.people_to_create == 1
    assert [row["email"] for row in check.batch.rows] == ["ana@cuenca.example"]


# --- bad input: every problem with its row, nothing written --------------------------------------------------


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "Cuenca,Ecuador,municipality,not-an-address,Ana,approver,es",
            "“not-an-address” is not a valid e-mail address.",
        ),
        ("Cuenca,Ecuador,city,ana@cuenca.example,Ana,approver,es", "Unknown kind “city”"),
        ("Cuenca,Ecuador,municipality,ana@cuenca.example,Ana,mayor,es", "Unknown role “mayor”"),
        ("Cuenca,Ecuador,municipality,ana@cuenca.example,Ana,approver,de", "Unknown language “de”"),
        ("Cuenca,,municipality,ana@cuenca.example,Ana,approver,es", "Missing value: country."),
        ("Cuenca,Ecuador,municipality,,Ana,approver,es", "Missing value: e-mail."),
    ],
)
def test_a_bad_value_is_listed_with_its_row_and_nothing_is_written(signed_in, row, error):
    before = _counts()
    response = _upload(signed_in, _csv(GOOD_ROWS[2], row))
    assert response.status_code == 422
    check = response.context["check"]
    assert check.rows[0].ok
    assert check.rows[1].number == 3 and any(error in e for e in check.rows[1].errors), check.rows[1].errors
    assert error.split("“")[0] in response.content.decode()
    assert "Confirm the import" not in response.content.decode()
    assert _counts() == before


def test_every_problem_of_every_row_is_listed(coordinator):
    check = imports.import_check(
        _csv(
            "Cuenca,Ecuador,city,bad,Ana,mayor,de",
            GOOD_ROWS[0],
            "Cuenca,Peru,municipality,ana@cuenca.example,Ana again,editor,es",
        ),
        coordinator,
    )
    assert len(check.rows[0].errors) == 4 and check.rows[1].ok
    assert any("has another country or kind on row 3" in e for e in check.rows[2].errors)
    assert any("already on row 3" in e for e in check.rows[2].errors)
    assert check.error_count == 6 and check.batch is None


def test_the_same_person_twice_in_the_file_is_an_error_on_the_second_row(signed_in):
    before = _counts()
    response = _upload(signed_in, _csv(GOOD_ROWS[0], GOOD_ROWS[0].replace("ana@", "ANA@")))
    check = response.context["check"]
    assert check.rows[0].ok
    assert check.rows[1].errors == ["The e-mail ana@cuenca.example is already on row 2."]
    assert _counts() == before


def test_an_existing_person_elsewhere_or_with_another_role_is_an_error(signed_in, quito):
    quito.editor.email = "editor@quito.example"
    quito.editor.save()
    a = quito.authority
    before = _counts()
    response = _upload(
        signed_in,
        _csv(
            f"{a.name},{a.country},{a.kind},editor@quito.example,Ed,approver,es",
            "Cuenca,Ecuador,municipality,EDITOR@quito.example,Ed,editor,es",
        ),
    )
    check = response.context["check"]
    assert "editor@quito.example already has an account" in check.rows[0].errors[0]
    assert any("already has an account" in e for e in check.rows[1].errors)
    assert _counts() == before


def test_an_authority_that_exists_with_another_country_or_kind_is_a_conflict(signed_in, quito):
    a = quito.authority
    before = _counts()
    response = _upload(signed_in, _csv(f"{a.name},Narnia,{a.kind},x@quito.example,X,editor,es"))
    check = response.context["check"]
    assert check.rows[0].errors == [
        f"The authority “{a.name}” already exists in {a.country} as a {a.get_kind_display()}: "
        "the country or kind of this row differs."
    ]
    assert _counts() == before


def test_a_missing_column_is_named(signed_in):
    before = _counts()
    response = _upload(signed_in, _csv("Cuenca,Ecuador,ana@cuenca.example,Ana", header="authority,country,email,name"))
    assert response.status_code == 422
    assert "Missing columns: kind, role, language." in response.content.decode()
    assert _counts() == before


def test_more_than_10000_rows_are_refused_whole(signed_in):
    before = _counts()
    rows = [f"City {n},Ecuador,municipality,p{n}@example.org,P {n},editor,es" for n in range(10_001)]
    response = _upload(signed_in, _csv(*rows))
    assert response.status_code == 422
    assert "The file has more than 10,000 rows" in response.content.decode()
    assert _counts() == before


def test_10000_rows_are_checked(coordinator):
    rows = [f"City {n},Ecuador,municipality,p{n}@example.org,P {n},editor,es" for n in range(10_000)]
    check = imports.import_check(_csv(*rows), coordinator)
    assert check.ok and len(check.batch.rows) == 10_000


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("scan.pdf", b"%PDF-1.4\n%...", "not a CSV or XLSX spreadsheet"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CSV or XLSX spreadsheet"),
        ("people.csv", b"   \n", "The file is empty."),
        ("people.csv", "authority,country\né".encode("latin-1"), "not UTF-8 text"),
        ("people.csv", HEADER.encode(), "no rows under its header"),
    ],
)
def test_a_wrong_file_type_is_refused_clearly(signed_in, name, content, error):
    before = _counts()
    response = _upload(signed_in, SimpleUploadedFile(name, content))
    assert response.status_code == 422
    assert error in response.content.decode()
    assert _counts() == before


def test_row_numbers_are_those_of_the_file_blank_lines_included(coordinator):
    upload = SimpleUploadedFile("p.csv", f"\r\n{HEADER}\r\n{GOOD_ROWS[0]}\r\n,,,,,,\r\n{GOOD_ROWS[1]}x,\r\n".encode())
    check = imports.import_check(upload, coordinator)
    assert [row.number for row in check.rows] == [3, 5]
    assert check.rows[1].errors == ["Unknown language “esx”: use one of en, fr, es, ar."]


def test_a_csv_that_cannot_be_parsed_is_refused_clearly(coordinator):
    upload = _csv('Cuenca,Ecuador,municipality,a@b.example,"' + "x" * 200_000 + '",editor,es')
    check = imports.import_check(upload, coordinator)
    assert "cannot be read as CSV" in check.file_error
    assert not ImportBatch.objects.exists()


def test_an_empty_upload_is_a_form_error(signed_in):
    response = _upload(signed_in, SimpleUploadedFile("empty.csv", b""))
    assert response.status_code == 422
    assert response.context["form"].errors["file"]


def test_a_workbook_with_a_formula_or_macros_is_refused(coordinator):
    check = imports.import_check(
        _xlsx([["Cuenca", "Ecuador", "municipality", "=A1", "Ana", "editor", "es"]]), coordinator
    )
    assert "Cell D2 holds a formula" in check.file_error
    import zipfile

    data = io.BytesIO(_xlsx([GOOD_ROWS[0].split(",")]).read())
    with zipfile.ZipFile(data, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    check = imports.import_check(SimpleUploadedFile("people.xlsx", data.getvalue()), coordinator)
    assert "contains macros" in check.file_error
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_limit_is_refused(coordinator, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    check = imports.import_check(_csv(*GOOD_ROWS), coordinator)
    assert "the limit is 100" in check.file_error
    assert not ImportBatch.objects.exists()


# --- who may import ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "approver"])
def test_people_without_the_coordinator_permission_get_a_404(client, coordinator, quito, reviewer, who):
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    client.force_login(reviewer if who == "reviewer" else quito.approver)
    assert client.get(reverse("import_new")).status_code == 404
    assert client.get(reverse("import_template")).status_code == 404
    assert _upload(client, _csv(*GOOD_ROWS)).status_code == 404
    assert client.post(reverse("import_confirm", args=[batch.pk])).status_code == 404
    assert client.post(reverse("import_cancel", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING
    assert not Authority.objects.filter(name="Cuenca").exists()


def test_another_coordinator_cannot_apply_or_cancel_the_batch(client, coordinator):
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    other = UserFactory(username="other-coordinator")
    other.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    with pytest.raises(AccessDenied):
        imports.import_apply(batch, other)
    client.force_login(other)
    assert client.post(reverse("import_confirm", args=[batch.pk])).status_code == 404
    assert client.post(reverse("import_cancel", args=[batch.pk])).status_code == 404
    assert not Authority.objects.filter(name="Cuenca").exists()


def test_cancelling_discards_the_batch_and_writes_nothing(signed_in):
    _upload(signed_in, _csv(*GOOD_ROWS))
    batch = ImportBatch.objects.get()
    response = signed_in.post(reverse("import_cancel", args=[batch.pk]), follow=True)
    assert "Import cancelled: nothing was written." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DISCARDED
    assert not Authority.objects.filter(name="Cuenca").exists()
    with pytest.raises(WorkflowError):
        imports.import_apply(batch, batch.uploaded_by)


def test_a_batch_older_than_a_day_is_refused(signed_in, coordinator):
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    ImportBatch.objects.filter(pk=batch.pk).update(uploaded_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    response = signed_in.post(reverse("import_confirm", args=[batch.pk]), follow=True)
    assert "more than a day old" in response.content.decode()
    assert not Authority.objects.filter(name="Cuenca").exists()


def test_a_person_who_got_an_account_since_the_check_stops_the_whole_import(coordinator):
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    UserFactory(username="luis", email="Luis@cuenca.example")
    with pytest.raises(WorkflowError):
        imports.import_apply(batch, coordinator)
    assert not Authority.objects.filter(name__in=["Cuenca", "Lyon"]).exists()
    assert not User.objects.filter(username="ana@cuenca.example").exists()


def test_a_failure_mid_apply_leaves_nothing(coordinator, monkeypatch):
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    rendered = []
    render = invitations._render

    def render_then_fail(*args, **kwargs):
        if rendered:
            raise RuntimeError("template on fire")
        rendered.append(args)
        return render(*args, **kwargs)

    monkeypatch.setattr(invitations, "_render", render_then_fail)
    before = _counts()
    with pytest.raises(RuntimeError):
        imports.import_apply(batch, coordinator)
    assert _counts() == before
    assert not User.objects.filter(username__endswith=".example").exists()
    assert not Authority.objects.filter(name__in=["Cuenca", "Lyon"]).exists()
    assert not Mail.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING


def test_the_dry_run_cost_does_not_grow_with_the_rows(coordinator, django_assert_max_num_queries):
    rows = [f"City {n},Ecuador,municipality,p{n}@example.org,P {n},editor,es" for n in range(200)]
    with django_assert_max_num_queries(10):
        imports.import_check(_csv(*rows), coordinator)


def test_a_person_already_there_is_found_by_e_mail_whatever_its_case(quito):
    member = MembershipFactory(
        authority=quito.authority, user=UserFactory(username="m", email="Mixed@Quito.example"), role="approver"
    )
    a = quito.authority
    check = imports.import_check(
        _csv(f"{a.name},{a.country},{a.kind},mixed@quito.example,M,approver,en"),
        UserFactory(is_superuser=True, username="admin"),
    )
    assert check.ok and check.rows[0].already_there and check.batch is None
    assert member.user.email == "Mixed@Quito.example"


# --- hardening ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "name"),
    [
        ('"=HYPERLINK(""http://evil.example"",""click"")"', "Ana"),
        ("+Cuenca", "Ana"),
        ("-Cuenca", "Ana"),
        ("@SUM(A1)", "Ana"),
        ("Cuenca", "=1+1"),
        ("Cuenca", "@Ana"),
        ("Cuenca", '"Ana\tPérez"'),  # a leading tab is trimmed away; one inside is refused
        ("Cuenca", '"Ana\nPérez"'),
        ('"Cue\rnca"', "Ana"),
        ("Cuenca", "Ana\x07"),
    ],
)
def test_a_name_that_a_spreadsheet_would_run_or_a_control_character_is_a_row_error(coordinator, authority, name):
    check = imports.import_check(
        _csv(f"{authority},Ecuador,municipality,ana@cuenca.example,{name},editor,es"), coordinator
    )

    assert not check.ok and check.batch is None
    assert len(check.rows) == 1
    assert any("may not start with" in error for error in check.rows[0].errors)


def test_a_name_with_a_hyphen_or_apostrophe_inside_is_fine(coordinator):
    check = imports.import_check(
        _csv("Saint-Étienne,France,municipality,jo@se.example,Jean-Luc O'Neil,editor,fr"), coordinator
    )
    assert check.ok, check.rows[0].errors


def test_an_xlsx_that_expands_beyond_the_imports_own_limit_is_refused(coordinator, monkeypatch):
    upload = _xlsx([["Cuenca", "Ecuador", "municipality", "ana@cuenca.example", "Ana", "editor", "es"]])
    assert imports.MAX_EXPANDED_BYTES < 50 * imports.MAX_BYTES  # far under the evidence limit of ~500 MB
    assert imports.import_check(upload, coordinator).ok

    monkeypatch.setattr(imports, "MAX_EXPANDED_BYTES", 1000)  # a tiny workbook expands to a few kB
    upload.seek(0)
    check = imports.import_check(upload, coordinator)
    assert "expand far beyond" in check.file_error and check.batch is None


def test_two_confirmations_with_the_same_address_at_once_refuse_the_second_clearly(coordinator, monkeypatch):
    """The other import commits between this one's check of the addresses and its insert: a WorkflowError, no 500."""
    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    bulk_create = Authority.objects.bulk_create

    def the_other_import_wins(objs, *args, **kwargs):
        UserFactory(username="ana@cuenca.example", email="ana@cuenca.example")
        return bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Authority.objects, "bulk_create", the_other_import_wins)
    with pytest.raises(WorkflowError, match="have an account since the check"):
        imports.import_apply(batch, coordinator)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING
    assert not Invitation.objects.exists() and not Mail.objects.exists()


def _apply_queries(coordinator, n: int, prefix: str) -> int:
    languages = ["es", "fr", "en"]
    rows = [
        f"{prefix} {k % 5},Ecuador,municipality,{prefix}{k}@example.org,P {k},editor,{languages[k % 3]}"
        for k in range(n)
    ]
    batch = imports.import_check(_csv(*rows), coordinator).batch
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = imports.import_apply(batch, coordinator)
    assert result.people == result.invitations == n
    return len(queries)


def test_the_confirmation_cost_does_not_grow_with_the_rows(coordinator):
    assert _apply_queries(coordinator, 10, "small") == _apply_queries(coordinator, 40, "large")
    assert Invitation.objects.count() == Mail.objects.count() == 50


def test_each_imported_person_gets_their_own_link_in_their_own_language(coordinator):
    from django.utils import translation
    from django.utils.translation import gettext

    batch = imports.import_check(_csv(*GOOD_ROWS), coordinator).batch
    imports.import_apply(batch, coordinator)

    links = set()
    for email, language in [("ana@cuenca.example", "es"), ("luis@cuenca.example", "es"), ("claire@lyon.example", "fr")]:
        mail = Mail.objects.get(to=email)
        with translation.override(language):
            assert mail.subject == gettext("Coherence: you are invited to set your password")
        links.add(re.search(r"/programme/invitations/\S+/", mail.body).group(0))
        assert Invitation.objects.get(user__email=email).send_count == 1
    assert len(links) == 3
    assert "Lyon" in Mail.objects.get(to="claire@lyon.example").body


def test_the_campaign_export_writes_a_formula_as_plain_text():
    from programme import views

    lines = list(views._csv_lines(["authority", "n"], [['=HYPERLINK("http://evil.example")', -3], ["+1", "@x"]]))
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"))))
    assert rows[1:] == [['\'=HYPERLINK("http://evil.example")', "-3"], ["'+1", "'@x"]]
