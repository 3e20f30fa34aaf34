"""Email rendering in the sandbox, unsubscribe tokens, branding validation (ADR 0036)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oms.domain.email_render import TemplateProblem, render, render_part
from oms.domain.emails import (
    BrandingIn,
    TemplateIn,
    sample_context,
    sign_unsubscribe,
    verify_unsubscribe,
)
from oms.email_templates import default, layouts

SHOP = {
    "name": "Demo <Shop>",
    "logo_url": "https://cdn.example.com/logo.png",
    "primary_color": "#112233",
    "accent_color": "#445566",
    "support_email": "help@example.com",
    "sender_name": "Demo",
}
KEY = b"k" * 32


@pytest.mark.parametrize(
    "name",
    [
        "order_confirmation",
        "order_shipped",
        "order_delivered",
        "order_cancelled",
        "return_requested",
        "return_received",
        "order_refunded",
        "invitation",
        "password_reset",
    ],
)
def test_every_default_template_renders_branded_in_html_and_text(name: str) -> None:
    context = sample_context(SHOP)
    subject = render_part("subject", default(name)["subject"], context, layouts(), strict=True)
    out = render(default(name), {**context, "subject": subject}, layouts(), strict=True)
    assert "Demo <Shop>" in out.text and "Demo &lt;Shop&gt;" in out.html  # escaped in HTML only
    assert "#112233" in out.html and "https://cdn.example.com/logo.png" in out.html
    assert "help@example.com" in out.text
    assert out.subject and "\n" not in out.subject
    if name.startswith("order_"):
        assert "ORD-SAMPLE-0001" in out.text
        assert "portal/shop/unsubscribe?token=sample" in out.text and "Unsubscribe" in out.html
    if name == "order_shipped":
        assert "1Z999AA10123456784" in out.text and "https://www.ups.com/track" in out.html


def _text(source: str, strict: bool = True) -> str:
    return render_part("text", source, sample_context(SHOP), layouts(), strict=strict)


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order.__class__ }}{{ cycler.__init__.__globals__ }}",
        "{{ order.number.format_map({}) }}",
        "{{ '{0:>999999999}'.format(1) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ 'x' * 100000000 }}",
        "{{ [1] * 10000 * 10000 }}",
        "{{ 9 ** 999999 }}",
        "{{ range(100000000) | list }}",
        "{% for a in range(9) %}{% for b in range(9) %}{% for c in range(9) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% include '/etc/passwd' %}",
        "{% extends 'template.yaml' %}",
        "{% import 'os' as os %}",
        "{{ 'x' | center(100000000) }}",
        "{{ self.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{% for i in range(1000) %}{{ 'x' * 500 }}{% endfor %}",
    ],
)
def test_sandbox_escapes_and_resource_bombs_are_refused(attack: str) -> None:
    with pytest.raises(TemplateProblem):
        _text(attack)


def test_a_problem_names_its_part_and_line() -> None:
    with pytest.raises(TemplateProblem) as caught:
        render_part(
            "html", "line one\nline two\n{{ order.number | nosuchfilter }}", sample_context(SHOP), layouts()
        )
    assert caught.value.part == "html" and caught.value.line == 3


def test_strict_mode_catches_typos_lenient_mode_renders_blank() -> None:
    with pytest.raises(TemplateProblem):
        _text("{{ order.numbr.x }}")
    assert _text("[{{ order.numbr }}]", strict=False) == "[]"


def test_html_is_autoescaped_text_is_not() -> None:
    context = {
        **sample_context(SHOP),
        "order": {**sample_context(SHOP)["order"], "customer_name": "<script>"},
    }
    html = render_part("html", "{{ order.customer_name }}", context, layouts())
    text = render_part("text", "{{ order.customer_name }}", context, layouts())
    assert html == "&lt;script&gt;" and text == "<script>"


def test_unsubscribe_tokens_verify_only_unchanged_and_with_their_key() -> None:
    token = sign_unsubscribe(KEY, "demo", "Ann@Example.com")
    assert verify_unsubscribe(KEY, token) == ("demo", "ann@example.com")
    assert verify_unsubscribe(b"other" * 8, token) is None
    payload, mac = token.split(".")
    forged = sign_unsubscribe(KEY, "acme", "ann@example.com").split(".")[0]
    assert verify_unsubscribe(KEY, f"{forged}.{mac}") is None
    for broken in ("", "abc", f"{payload}.", f".{mac}", f"{payload}.!!!", token + "x"):
        assert verify_unsubscribe(KEY, broken) is None


def test_branding_validation() -> None:
    ok = BrandingIn(shop_name="Shop", logo_url="https://x.example.com/l.png", primary_color="#AABBCC")
    assert ok.primary_color == "#aabbcc"
    for bad in (
        {"logo_url": "http://x.example.com/l.png"},
        {"logo_url": "javascript:alert(1)"},
        {"logo_url": 'https://x.example.com/a"onload=1'},
        {"primary_color": "#abc"},
        {"accent_color": "red"},
        {"support_email": "not-an-email"},
        {"shop_name": ""},
        {"shop_name": "x" * 81},
        {"email_sender_name": 'Evil"\r\nBcc: x@y.z'},
        {"unknown": 1},
    ):
        with pytest.raises(ValidationError):
            BrandingIn.model_validate({"shop_name": "Shop", **bad})


def test_template_size_limits() -> None:
    with pytest.raises(ValidationError):
        TemplateIn(subject="s", html="x" * 100_001, text="t")
    with pytest.raises(ValidationError):
        TemplateIn(subject="s" * 201, html="h", text="t")
