"""Branding and customer email (ADR 0036) against the deployed template in moto: branding routes,
template overrides and previews, order emails sent once per dedup key, opt-out, bounces and
complaints through the feedback consumer, and tenant isolation."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import boto3
import pytest

from infra.local import mailbox
from tests.component.apiclient import ApiClient
from tests.component.helpers import order_body, sqs_records


def _inbox(stack: Any, to: str) -> list[dict[str, Any]]:
    return [m for m in mailbox.messages(stack.account_id, stack.region)["messages"] if to in m["to"]]


def _order(admin: ApiClient, email: str) -> str:
    reply = admin.post("/orders", order_body(customer_email=email, customer_name="Ann <Tester>"))
    assert reply.status == 201, reply
    return str(reply.body["id"])


def _put(client: ApiClient, url: str, body: Any) -> Any:
    return client.call("PUT", url, body)


def _address() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def send() -> Any:
    from oms.services.emails import send_order_email

    return send_order_email


# ------------------------------------------------------------------ branding
def test_branding_is_validated_stored_and_public_by_slug(
    admin: ApiClient, user: ApiClient, anon: ApiClient
) -> None:
    bad = _put(
        admin,
        "/branding",
        {
            "shop_name": "Demo",
            "logo_url": "http://x.test/l.png",
            "primary_color": "red",
            "support_email": "nope",
        },
    )
    assert bad.status == 422, bad
    fields = {d["loc"][-1] for d in bad.body["error"]["details"]}
    assert {"logo_url", "primary_color", "support_email"} <= fields
    good = {
        "shop_name": "Demo Outfitters",
        "logo_url": "https://cdn.example.com/logo.png",
        "primary_color": "#112233",
        "accent_color": "#FFAA00",
        "email_sender_name": "Demo Outfitters Team",
        "support_email": "help@demo.example.com",
    }
    saved = _put(admin, "/branding", good)
    assert saved.status == 200, saved
    assert saved.body["accent_color"] == "#ffaa00" and saved.body["updated_by"] == "user:admin@example.com"
    assert user.get("/branding").body["shop_name"] == "Demo Outfitters"
    public = anon.get("/branding/demo")
    assert public.status == 200, public
    assert public.body == {
        "slug": "demo",
        "shop_name": "Demo Outfitters",
        "logo_url": "https://cdn.example.com/logo.png",
        "primary_color": "#112233",
        "accent_color": "#ffaa00",
    }
    missing = anon.get("/branding/no-such-shop")
    assert missing.status == 404 and missing.body["error"]["code"] == "tenant_not_found"


def test_branding_of_one_tenant_is_not_another_s(admin: ApiClient, other_tenant: ApiClient) -> None:
    _put(admin, "/branding", {"shop_name": "Demo Only"})
    assert other_tenant.get("/branding").body["shop_name"] != "Demo Only"
    _put(other_tenant, "/branding", {"shop_name": "Acme Shop"})
    assert admin.get("/branding").body["shop_name"] == "Demo Only"


# ------------------------------------------------------------------ templates
def test_a_broken_or_escaping_template_is_refused_naming_the_line(admin: ApiClient) -> None:
    syntax = _put(
        admin,
        "/email/templates/order_shipped",
        {"subject": "Shipped", "html": "<p>ok</p>\n<p>{% if order.number %}</p>", "text": "t"},
    )
    assert syntax.status == 422 and syntax.body["error"]["code"] == "invalid_template", syntax
    assert syntax.body["error"]["details"][0]["part"] == "html"
    assert syntax.body["error"]["details"][0]["line"] == 2
    for attack in (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order.number.format_map({}) }}",
        "{{ 'x' * 100000000 }}",
        "{% for a in range(9) %}{% for b in range(9) %}{% for c in range(9) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% include '/etc/passwd' %}",
        "{{ nonexistent_variable }}",
    ):
        reply = _put(
            admin, "/email/templates/order_shipped", {"subject": "s", "html": "<p>ok</p>", "text": attack}
        )
        assert reply.status == 422 and reply.body["error"]["code"] == "invalid_template", (attack, reply)
    unknown = admin.get("/email/templates/not_a_template")
    assert unknown.status == 404 and unknown.body["error"]["code"] == "template_not_found"


def test_override_preview_and_reset(admin: ApiClient, other_tenant: ApiClient) -> None:
    template = {
        "subject": "{{ shop.name }}: {{ order.number }} is on its way",
        "html": '{% extends "_layout.html" %}{% block content %}<p>Via {{ shipment.carrier }}: '
        "{{ shipment.tracking_number }} {{ order.customer_name }}</p>{% endblock %}",
        "text": "Via {{ shipment.carrier }}: {{ shipment.tracking_number }}",
    }
    saved = _put(admin, "/email/templates/order_shipped", template)
    assert saved.status == 200, saved
    listed = {t["name"]: t["customized"] for t in admin.get("/email/templates").body["items"]}
    assert listed["order_shipped"] is True and listed["order_confirmation"] is False
    preview = admin.post("/email/templates/order_shipped/preview", {})
    assert preview.status == 200, preview
    assert preview.body["subject"].endswith("ORD-SAMPLE-0001 is on its way")
    assert "Via UPS: 1Z999AA10123456784" in preview.body["text"]
    draft = admin.post("/email/templates/order_shipped/preview", {"text": "Hi <{{ order.customer_name }}>"})
    assert draft.body["text"] == "Hi <Sam Sample>"
    assert other_tenant.get("/email/templates/order_shipped").body["customized"] is False
    assert admin.delete("/email/templates/order_shipped").status == 204
    assert admin.get("/email/templates/order_shipped").body["customized"] is False


# ------------------------------------------------------------------ sending
def test_an_order_email_is_sent_once_per_dedup_key_branded_and_logged(
    stack: Any, admin: ApiClient, other_tenant: ApiClient, send: Any
) -> None:
    _put(
        admin,
        "/branding",
        {
            "shop_name": "Demo Outfitters",
            "email_sender_name": "Outfitters",
            "support_email": "help@demo.example.com",
        },
    )
    to = _address()
    order_id = _order(admin, to)
    key = f"demo:{order_id}:1:email-confirm"
    assert send("demo", order_id, "order_confirmation", key) == "SENT"
    assert send("demo", order_id, "order_confirmation", key) == "DUPLICATE"  # the redelivered action
    (message,) = _inbox(stack, to)
    assert message["from"] == '"Outfitters" <no-reply@example.com>' or "Outfitters" in message["from"]
    assert "Demo Outfitters" in message["subject"]
    assert "Ann &lt;Tester&gt;" in message["html"] and "Ann <Tester>" in message["text"]
    assert "/portal/demo/unsubscribe?token=" in message["text"]  # the portal's page of the shop
    log = admin.get(f"/orders/{order_id}/emails")
    assert log.status == 200, log
    (entry,) = log.body["items"]
    assert entry["template"] == "order_confirmation" and entry["to"] == to and entry["status"] == "SENT"
    assert entry["message_id"] == message["id"] and entry["subject"] == message["subject"]
    assert other_tenant.get(f"/orders/{order_id}/emails").status == 404


def test_unsubscribe_link_and_customer_preferences_stop_order_emails(
    stack: Any, admin: ApiClient, anon: ApiClient, send: Any
) -> None:
    to = _address()
    order_id = _order(admin, to)
    assert send("demo", order_id, "order_confirmation", f"{order_id}:a") == "SENT"
    (message,) = _inbox(stack, to)
    token = re.search(r"token=([A-Za-z0-9_\-.]+)", message["text"]).group(1)  # type: ignore[union-attr]
    assert anon.post("/email/unsubscribe", {"token": token[:-3] + "AAA"}).status == 400
    done = anon.post("/email/unsubscribe", {"token": token})
    assert done.status == 200 and done.body["order_emails"] is False
    assert send("demo", order_id, "order_shipped", f"{order_id}:b") == "OPTED_OUT"
    assert len(_inbox(stack, to)) == 1
    statuses = [e["status"] for e in admin.get(f"/orders/{order_id}/emails").body["items"]]
    assert sorted(statuses) == ["OPTED_OUT", "SENT"]


def test_a_customer_opts_out_of_order_emails(
    stack: Any, anon: ApiClient, admin: ApiClient, send: Any
) -> None:
    customer = anon.with_token(
        anon.post("/auth/login", {"email": "customer@example.com", "password": "customer123"}).body[
            "access_token"
        ]
    )
    assert customer.get("/me/email-preferences").body == {
        "email": "customer@example.com",
        "order_emails": True,
    }
    assert _put(customer, "/me/email-preferences", {"order_emails": False}).body["order_emails"] is False
    order_id = _order(admin, "customer@example.com")
    assert send("demo", order_id, "order_confirmation", f"{order_id}:c") == "OPTED_OUT"
    assert _put(customer, "/me/email-preferences", {"order_emails": True}).status == 200
    assert send("demo", order_id, "order_confirmation", f"{order_id}:d") == "SENT"


def _feedback(stack: Any, invoke: Any, event: dict[str, Any]) -> None:
    """Publish an SES event to the topic (as the configuration set would) and run the consumer
    on what reached EmailFeedbackQueue through the subscription."""
    boto3.client("sns").publish(TopicArn=stack["EmailFeedbackTopic"], Message=json.dumps(event))
    sqs = boto3.client("sqs")
    received = sqs.receive_message(
        QueueUrl=stack["EmailFeedbackQueue"], MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    assert received, "the topic's subscription delivers to the queue"
    result = invoke("EmailFeedbackFunction", {"Records": sqs_records(stack, "EmailFeedbackQueue", received)})
    assert result == {"batchItemFailures": []}, result
    for m in received:
        sqs.delete_message(QueueUrl=stack["EmailFeedbackQueue"], ReceiptHandle=m["ReceiptHandle"])


def _ses_event(kind: str, to: str, tags: dict[str, str], **detail: Any) -> dict[str, Any]:
    mail = {"messageId": str(uuid.uuid4()), "timestamp": "2026-01-01T00:00:00.000Z", "destination": [to],
            "tags": {k: [v] for k, v in tags.items()}}  # fmt: skip
    return {"eventType": kind, "mail": mail, kind.lower(): detail}


def test_a_hard_bounce_suppresses_the_address_and_is_logged(
    stack: Any, admin: ApiClient, other_tenant: ApiClient, invoke: Any, send: Any
) -> None:
    to = _address()
    order_id = _order(admin, to)
    assert send("demo", order_id, "order_confirmation", f"{order_id}:1") == "SENT"
    (entry,) = admin.get(f"/orders/{order_id}/emails").body["items"]
    tags = {"tenant": "demo", "order": order_id, "template": "order_confirmation", "email": entry["id"]}
    bounce = _ses_event(
        "Bounce", to, tags, bounceType="Permanent", bouncedRecipients=[{"emailAddress": to}],
        timestamp="2026-01-01T00:00:05.000Z",
    )  # fmt: skip
    _feedback(stack, invoke, bounce)
    _feedback(stack, invoke, bounce)  # a redelivery changes nothing more
    (entry,) = admin.get(f"/orders/{order_id}/emails").body["items"]
    assert entry["status"] == "BOUNCED"
    suppressed = {s["email"]: s for s in admin.get("/email/suppressions").body["items"]}
    assert suppressed[to]["reason"] == "HARD_BOUNCE"
    assert to not in {s["email"] for s in other_tenant.get("/email/suppressions").body["items"]}
    assert send("demo", order_id, "order_shipped", f"{order_id}:2") == "SUPPRESSED"
    assert len(_inbox(stack, to)) == 1
    assert other_tenant.delete(f"/email/suppressions/{to}").status == 404
    assert admin.delete(f"/email/suppressions/{to}").status == 204
    assert send("demo", order_id, "order_shipped", f"{order_id}:3") == "SENT"


def test_a_complaint_suppresses_and_a_soft_bounce_does_not(
    stack: Any, admin: ApiClient, invoke: Any, send: Any
) -> None:
    soft, angry = _address(), _address()
    tags = {"tenant": "demo"}
    _feedback(stack, invoke, _ses_event("Bounce", soft, tags, bounceType="Transient",
                                        bouncedRecipients=[{"emailAddress": soft}]))  # fmt: skip
    _feedback(
        stack, invoke, _ses_event("Complaint", angry, tags, complainedRecipients=[{"emailAddress": angry}])
    )
    suppressed = {s["email"]: s["reason"] for s in admin.get("/email/suppressions?limit=200").body["items"]}
    assert suppressed.get(angry) == "COMPLAINT" and soft not in suppressed


def test_a_claim_held_by_a_live_sender_waits_and_a_dead_sender_s_claim_is_taken_over(
    stack: Any, admin: ApiClient, frozen_clock: Any, send: Any
) -> None:
    from oms.domain.emails import dedup_digest
    from oms.domain.errors import TransientStoreError
    from oms.services.emails import CLAIM_LEASE_SECONDS, emails

    to = _address()
    order_id = _order(admin, to)
    key = f"{order_id}:lease"
    # another worker claimed it and has not finished: a redelivery now is retried later
    assert emails.claim("demo", order_id, dedup_digest(key), {"status": "SENDING"}, CLAIM_LEASE_SECONDS)
    with pytest.raises(TransientStoreError):
        send("demo", order_id, "order_confirmation", key)
    assert _inbox(stack, to) == []
    # that worker died: once its lease ran out, the email is sent (once)
    frozen_clock.shift(CLAIM_LEASE_SECONDS + 1)
    assert send("demo", order_id, "order_confirmation", key) == "SENT"
    assert send("demo", order_id, "order_confirmation", key) == "DUPLICATE"
    assert len(_inbox(stack, to)) == 1


def test_a_failed_send_gives_its_claim_back_so_the_retry_sends(
    stack: Any, admin: ApiClient, send: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.adapters import ses
    from oms.domain.errors import TransientStoreError

    to = _address()
    order_id = _order(admin, to)

    def throttled(mail: Any) -> str:
        raise TransientStoreError("email service unavailable (TooManyRequestsException); retry")

    with monkeypatch.context() as patched:
        patched.setattr(ses, "send", throttled)
        with pytest.raises(TransientStoreError):
            send("demo", order_id, "order_delivered", f"{order_id}:retry")
    assert admin.get(f"/orders/{order_id}/emails").body["items"] == []
    assert send("demo", order_id, "order_delivered", f"{order_id}:retry") == "SENT"
    assert len(_inbox(stack, to)) == 1


def test_an_email_action_redelivered_to_the_worker_function_sends_once(
    stack: Any, admin: ApiClient, invoke: Any
) -> None:
    """The ActionsQueue worker (ADR 0035) runs an `email` action through send_order_email; the
    same message delivered twice (SQS at-least-once) sends one email, through the function's own
    role (the component tier enforces its grants)."""
    to = _address()
    order_id = _order(admin, to)
    message = json.dumps(
        {"tenant_id": "demo", "order_id": order_id, "seq": 1, "status_code": "SOURCING",
         "action_id": "email-confirmation", "type": "email", "config": {"template": "order_confirmation"}}
    )  # fmt: skip
    for _ in range(2):
        result = invoke("ActionsFunction", {"Records": sqs_records(stack, "ActionsQueue", [message])})
        assert result == {"batchItemFailures": []}, result
    (mail,) = _inbox(stack, to)
    assert "confirmed" in mail["subject"]
    (entry,) = admin.get(f"/orders/{order_id}/emails").body["items"]
    assert entry["status"] == "SENT" and entry["message_id"] == mail["id"]


def test_a_suspended_tenant_s_branding_is_not_public(anon: ApiClient, owner: ApiClient) -> None:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    created = owner.post(
        "/tenants", {"name": "Brand Test", "slug": slug, "admin_email": f"admin@{slug}.example.com"}
    )
    assert created.status == 201, created
    public = anon.get(f"/branding/{slug}")
    assert public.status == 200 and public.body["slug"] == slug and public.body["shop_name"]
    assert "support_email" not in public.body and "email_sender_name" not in public.body
    suspended = owner.patch(f"/tenants/{created.body['id']}", {"status": "SUSPENDED"})
    assert suspended.status == 200, suspended
    gone = anon.get(f"/branding/{slug}")
    assert gone.status == 404 and gone.body["error"]["code"] == "tenant_not_found"


def test_account_emails_are_branded_and_never_sent_to_a_suppressed_address(
    stack: Any, admin: ApiClient
) -> None:
    from oms.services.emails import send_account_email, suppress

    to = _address()
    _put(admin, "/branding", {"shop_name": "Demo Outfitters"})
    link = "https://shop.example.com/portal/demo/accept?token=abc"
    sent = send_account_email(
        "demo", "invitation", to, name="Ann", action_url=link, expires_at="2026-01-08T00:00:00Z"
    )
    assert sent == "SENT"
    (mail,) = _inbox(stack, to)
    assert mail["subject"] == "You are invited to Demo Outfitters" and link in mail["text"]
    assert "Unsubscribe" not in mail["text"]  # an account email is not an order email
    suppress("demo", to, "COMPLAINT")
    again = send_account_email("demo", "password_reset", to, name="Ann", action_url=link, expires_at="soon")
    assert again == "SUPPRESSED" and len(_inbox(stack, to)) == 1


# ------------------------------------------------------------------ invitations and resets
def _link(mail: dict[str, Any], page: str) -> str:
    found = re.search(rf"\S*{re.escape(page)}\?token=([A-Za-z0-9_\-.%]+)", mail["text"])
    assert found is not None, mail["text"]
    return found.group(1)


def test_inviting_and_resetting_email_the_person_their_link(stack: Any, admin: ApiClient) -> None:
    _put(admin, "/branding", {"shop_name": "Demo Outfitters", "email_sender_name": "Outfitters"})
    to = _address()
    made = admin.post("/users", {"email": to, "name": "Ann Staff", "role": "USER"})
    assert made.status == 201 and made.body["invitation_email"] == "SENT", made
    (invite,) = _inbox(stack, to)
    assert invite["subject"] == "You are invited to Demo Outfitters" and "Outfitters" in invite["from"]
    assert _link(invite, "/app/accept-invitation") == made.body["invitation_token"]
    reset = admin.post(f"/users/{made.body['id']}/reset-password", {})
    assert reset.status == 201 and reset.body["reset_email"] == "SENT", reset
    both = _inbox(stack, to)
    assert len(both) == 2, both
    (mail,) = [m for m in both if m["id"] != invite["id"]]
    assert mail["subject"] != invite["subject"] and "Outfitters" in mail["from"]
    assert _link(mail, "/app/reset-password") == reset.body["reset_token"]
    shopper = _address()
    customer = admin.post("/users", {"email": shopper, "name": "Ann Shopper", "role": "CUSTOMER"})
    assert customer.status == 201 and customer.body["invitation_email"] == "SENT", customer
    (welcome,) = _inbox(stack, shopper)
    assert _link(welcome, "/portal/demo/accept") == customer.body["invitation_token"]


def test_a_new_tenant_s_first_admin_is_emailed_the_invitation(stack: Any, owner: ApiClient) -> None:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    to = f"admin@{slug}.example.com"
    created = owner.post("/tenants", {"name": "Mail Test", "slug": slug, "admin_email": to})
    assert created.status == 201 and created.body["invitation_email"] == "SENT", created
    (mail,) = _inbox(stack, to)
    assert "Mail Test" in mail["subject"]
    assert _link(mail, "/app/accept-invitation") == created.body["invitation_token"]


def test_a_failed_account_email_still_answers_with_the_token(
    stack: Any, admin: ApiClient, anon: ApiClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from oms.adapters import ses
    from oms.domain.errors import TransientStoreError

    def down(mail: Any) -> str:
        raise TransientStoreError("email service unavailable (ServiceUnavailable); retry")

    monkeypatch.setattr(ses, "send", down)
    to = _address()
    made = admin.post("/users", {"email": to, "name": "Ann Offline", "role": "USER"})
    assert made.status == 201 and made.body["invitation_email"] == "FAILED", made
    reset = admin.post(f"/users/{made.body['id']}/reset-password", {})
    assert reset.status == 201 and reset.body["reset_email"] == "FAILED", reset
    assert _inbox(stack, to) == []
    assert any("invitation email" in r.getMessage() for r in caplog.records)
    accepted = anon.post(
        "/auth/reset-password", {"token": reset.body["reset_token"], "password": "Correct-Horse-9-Battery"}
    )
    assert accepted.status == 200, accepted
