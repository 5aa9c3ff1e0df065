"""{{ payment.method|payment_method }}: a payment method's name in the page's language."""

from django import template

from cases.payment_methods import payment_method_label

register = template.Library()


@register.filter
def payment_method(code: str) -> str:
    return payment_method_label(code)
