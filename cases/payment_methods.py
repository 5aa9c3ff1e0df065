"""A payment's method as a reader of the page's language names it. Platforms send their own codes
(`bank_transfer`, `wechat_pay`, ...): the common ones have a translated label; any other is shown as sent."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

PAYMENT_METHOD_LABELS: dict[str, str | Promise] = {
    "bank_transfer": pgettext_lazy("payment method", "Bank transfer"),
    "card": pgettext_lazy("payment method", "Card"),
    "wallet": pgettext_lazy("payment method", "E-wallet"),
    "alipay": pgettext_lazy("payment method", "Alipay"),
    "wechat_pay": pgettext_lazy("payment method", "WeChat Pay"),
    "cash": pgettext_lazy("payment method", "Cash"),
    "direct_debit": pgettext_lazy("payment method", "Direct debit"),
}


def payment_method_label(code: str) -> str:
    return str(PAYMENT_METHOD_LABELS.get(code, code))
