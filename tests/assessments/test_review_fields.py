"""The review page writes its decision fields as plain HTML (ReviewDecisionForm.controls): the same markup as the
fields' Django widgets — names, ids, attributes, aria on errors, values, chosen option, ticked box — and the same
labels and errors, in every state a reviewer meets."""

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.html import parse_html
from django.utils import translation

from assessments.forms import ReviewDecisionForm

# What _review_field.html wrote through the fields' widgets (the template form renderer) before it wrote them plain.
WIDGETS = Template(
    """{% load i18n %}<div class="{% if check %}form-check{% else %}mb-2{% endif %}">
  {% if check %}{{ field.as_widget }}{% endif %}
  <label class="{% if check %}form-check-label{% else %}form-label small{% endif %}" for="{{ field.auto_id }}">"""
    """{{ field.label }}<span class="visually-hidden"> ({{ indicator.code }})</span></label>
  {% if not check %}{{ field.as_widget }}{% endif %}
  {% if field.errors %}<div class="text-danger small" id="{{ field.auto_id }}_error">{% with named=indicator.code|add:": " %}"""
    """{% for error in field.errors %}{{ named }}{{ error|cut:named }}{% if not forloop.last %} {% endif %}{% endfor %}"""
    """{% endwith %}</div>{% endif %}
</div>"""
)


class _Indicator:
    code = "HC01"


def _forms():
    initial = {"validated_level": 2, "na_accepted": "yes", "comment": 'Seen <b>"minutes"</b> & more'}
    yield "unbound, nothing decided", ReviewDecisionForm(prefix="HC01")
    yield "unbound, earlier decisions", ReviewDecisionForm(initial=initial, prefix="HC01")
    yield "unbound, level 0", ReviewDecisionForm(initial={"validated_level": 0, "na_accepted": "no"}, prefix="HC01")
    posted = {"HC01-validated_level": "3", "HC01-na_accepted": "no", "HC01-comment": "Fine", "HC01-send_back": "on"}
    yield "posted, valid", ReviewDecisionForm(posted, initial=initial, prefix="HC01")
    wrong = {"HC01-validated_level": "9", "HC01-na_accepted": "maybe", "HC01-comment": "x" * 5001}
    yield "posted, every field wrong", ReviewDecisionForm(wrong, prefix="HC01")
    returned = {"HC01-validated_level": "", "HC01-send_back": "on"}
    yield "returned without a comment", ReviewDecisionForm(returned, prefix="HC01", returning=True)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", ["validated_level", "na_accepted", "comment", "send_back"])
def test_each_field_is_written_as_its_widget_would(name, language):
    with translation.override(language):
        for case, form in _forms():
            form.is_bound and form.is_valid()
            check = name == "send_back"
            widgets = WIDGETS.render(Context({"field": form[name], "check": check, "indicator": _Indicator}))
            plain = render_to_string(
                "assessments/_review_field.html",
                {"control": form.controls[name], "check": check, "indicator": _Indicator},
            )
            assert parse_html(plain) == parse_html(widgets), case
            tag = "<input" if check else ("<textarea" if name == "comment" else "<select")
            opening = [html[html.index(tag) : html.index(">", html.index(tag)) + 1] for html in (plain, widgets)]
            assert opening[0] == opening[1], case  # attributes in the same order too


def test_the_cases_cover_errors_choices_and_ticks():
    forms = dict(_forms())
    wrong = forms["posted, every field wrong"]
    wrong.is_valid()
    assert set(wrong.errors) == {"validated_level", "na_accepted", "comment"}
    html = render_to_string(
        "assessments/_review_field.html", {"control": wrong.controls["comment"], "indicator": _Indicator}
    )
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_HC01-comment_error"' in html
    ticked = forms["posted, valid"].controls
    assert ticked["send_back"]["checked"] and ("3", "3 · Operational", True) in [
        (value, str(label), selected) for value, label, selected in ticked["validated_level"]["options"]
    ]
