"""An authority's logo: a PNG or JPEG checked by its content, size and dimensions, set by its approvers only."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageFile

from assessments import services
from assessments.models import Authority
from assessments.uploads import LOGO_MAX_BYTES
from tests.factories import UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _truncated_images_load(monkeypatch):
    """As in every process that has imported WeasyPrint, which makes Pillow load cut-off images without a word."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (120, 60), colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + image_bytes()[33:]  # the rest of a real PNG: its data and end chunks
    )


def upload(content: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def post_logo(client, city, content: bytes, name: str = "logo.png"):
    client.force_login(city.approver)
    return client.post(reverse("authority_logo", args=[city.authority.slug]), {"logo": upload(content, name)})


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "name", "extension"), [("PNG", "Our Logo.PNG", ".png"), ("JPEG", "logo.jpeg", ".jpg")])
def test_an_approver_uploads_a_png_or_jpeg_and_it_is_stored_under_a_generated_name(
    client, catalogue, media, fmt, name, extension
):
    city = make_city("quito")

    response = post_logo(client, city, image_bytes(fmt), name)

    assert response.status_code == 302
    logo = Authority.objects.get(pk=city.authority.pk).logo
    assert logo.name.startswith(f"logos/{city.authority.pk}/") and logo.name.endswith(extension)
    assert "Our Logo" not in logo.name and "logo.jpeg" not in logo.name
    assert (media / logo.name).read_bytes() == image_bytes(fmt)


def test_the_content_decides_the_stored_type_not_the_name(client, catalogue, media):
    city = make_city("quito")

    post_logo(client, city, image_bytes("JPEG"), "actually-a-jpeg.png")

    assert Authority.objects.get(pk=city.authority.pk).logo.name.endswith(".jpg")


def test_a_logo_of_exactly_the_size_limit_is_accepted(client, catalogue, media):
    city = make_city("quito")
    content = image_bytes()
    content += b"\0" * (LOGO_MAX_BYTES - len(content))  # padding after the end chunk, as some editors leave

    assert post_logo(client, city, content).status_code == 302
    assert Authority.objects.get(pk=city.authority.pk).logo


def test_the_logo_page_shows_the_current_logo_and_replacing_it_deletes_the_old_file(
    client, catalogue, media, django_capture_on_commit_callbacks
):
    city = make_city("quito")
    post_logo(client, city, image_bytes(colour="red"))
    first = Authority.objects.get(pk=city.authority.pk).logo.name

    page = client.get(reverse("authority_logo", args=[city.authority.slug])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        post_logo(client, city, image_bytes(colour="blue"))

    assert 'src="data:image/png;base64,' in page and "Remove the logo" in page
    second = Authority.objects.get(pk=city.authority.pk).logo.name
    assert second != first
    assert stored_files(media) == [media / second]


def test_an_approver_removes_the_logo_and_its_file_goes(client, catalogue, media, django_capture_on_commit_callbacks):
    city = make_city("quito")
    post_logo(client, city, image_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("authority_logo", args=[city.authority.slug]), {"remove": "1"})

    assert response.status_code == 302
    assert not Authority.objects.get(pk=city.authority.pk).logo
    assert stored_files(media) == []
    assert "No logo yet" in client.get(response["Location"]).content.decode()


# --- refused ------------------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UNREADABLE = "This file is not a PNG or JPEG image that can be read whole."


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        pytest.param(SVG, "logo.svg", UNREADABLE, id="an SVG"),
        pytest.param(SVG, "logo.png", UNREADABLE, id="an SVG named .png"),
        pytest.param(image_bytes("GIF"), "logo.gif", UNREADABLE, id="a GIF"),
        pytest.param(image_bytes("WEBP"), "logo.png", UNREADABLE, id="a WebP named .png"),
        pytest.param(PDF, "logo.png", UNREADABLE, id="a PDF renamed .png"),
        pytest.param(image_bytes()[:-40], "logo.png", UNREADABLE, id="a truncated PNG"),
        pytest.param(image_bytes("JPEG", (400, 400))[:-300], "logo.jpg", UNREADABLE, id="a truncated JPEG"),
        pytest.param(b"", "logo.png", "The submitted file is empty.", id="an empty file"),
        pytest.param(
            image_bytes() + b"\0" * (LOGO_MAX_BYTES + 1 - len(image_bytes())),
            "logo.png",
            "The logo is 1.0\xa0MB; the limit is 1.0\xa0MB.",
            id="1 MB and one byte",
        ),
        pytest.param(
            image_bytes(size=(3000, 3000)),
            "logo.png",
            "The logo is 3000 × 3000 pixels; the limit is 2000 × 2000.",
            id="3000 x 3000 pixels",
        ),
        pytest.param(
            png_declaring(100_000, 100_000),
            "logo.png",
            "The image declares far too many pixels to be a logo.",
            id="a decompression bomb",
        ),
    ],
)
def test_a_refused_logo_is_a_form_error_that_says_why_and_nothing_is_written(
    client, catalogue, media, content, name, message
):
    city = make_city("quito")

    response = post_logo(client, city, content, name)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Authority.objects.get(pk=city.authority.pk).logo
    assert stored_files(media) == []


def test_a_refused_logo_keeps_the_one_before(client, catalogue, media):
    city = make_city("quito")
    post_logo(client, city, image_bytes())
    before = Authority.objects.get(pk=city.authority.pk).logo.name

    response = post_logo(client, city, SVG, "logo.png")

    assert response.status_code == 422
    assert Authority.objects.get(pk=city.authority.pk).logo.name == before
    assert stored_files(media) == [media / before]


def test_the_service_refuses_an_unchecked_file_too(catalogue, media):
    """The form checks first; the service checks again, so that no other caller can store an SVG."""
    city = make_city("quito")

    with pytest.raises(services.WorkflowError, match="PNG or JPEG"):
        services.authority_logo_set(authority=city.authority, actor=city.approver, file=upload(SVG))

    assert stored_files(media) == []


# --- who may ------------------------------------------------------------------------------------


def test_an_editor_of_the_authority_gets_a_403_that_says_why_and_nothing_is_written(client, catalogue, media):
    city = make_city("quito")
    client.force_login(city.editor)
    url = reverse("authority_logo", args=[city.authority.slug])

    page = client.get(url)
    post = client.post(url, {"logo": upload(image_bytes())})

    assert page.status_code == post.status_code == 403
    assert "Only an approver of Quito can change its logo." in post.content.decode()
    assert not Authority.objects.get(pk=city.authority.pk).logo
    assert stored_files(media) == []


def test_another_citys_approver_gets_a_404(client, catalogue, media):
    city, other = make_city("quito"), make_city("accra")
    client.force_login(other.approver)
    url = reverse("authority_logo", args=[city.authority.slug])

    assert client.get(url).status_code == 404
    assert client.post(url, {"logo": upload(image_bytes())}).status_code == 404
    assert not Authority.objects.get(pk=city.authority.pk).logo


def test_an_administrator_may_set_any_authoritys_logo(client, catalogue, media):
    city = make_city("quito")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.post(reverse("authority_logo", args=[city.authority.slug]), {"logo": upload(image_bytes())})

    assert response.status_code == 302
    assert Authority.objects.get(pk=city.authority.pk).logo


def test_an_anonymous_visitor_is_sent_to_log_in(client, catalogue):
    city = make_city("quito")
    url = reverse("authority_logo", args=[city.authority.slug])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_round_page_links_the_logo_page_for_approvers_only(client, draft, quito):
    url = reverse("authority_logo", args=[quito.authority.slug])

    client.force_login(quito.approver)
    as_approver = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    client.force_login(quito.editor)
    as_editor = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert f'href="{url}"' in as_approver
    assert f'href="{url}"' not in as_editor
