"""Version 1 of every rule pack: the parameters of RULES.md, frozen here as they were when seeded
(later changes to compliance.packs.DEFAULT_PACKS do not rewrite history; edit packs in the admin)."""

from django.db import migrations

PACKS_V1 = {'COMMON': {'vulnerable_limit': {'max_calls_per_day': 1, 'visits_allowed': False},
            'non_overridable_holds': ['cease', 'attorney', 'bankruptcy', 'deceased', 'breathing_space'],
            'history_days': 31},
 'CN': {'quiet_hours': {'start': '08:00', 'end': '22:00', 'exempt_channels': ['letter']},
        'daily_answered_cap': {'max_answered_calls': 3},
        'daily_unanswered_cap': {'max_unanswered_per_number': 6},
        'third_party_borrower_reachable': {'unanswered_attempts': 6, 'no_conversation_days': 3},
        'visit_requires_two_collectors': {'min_collectors': 2}},
 'US': {'quiet_hours': {'start': '08:00', 'end': '21:00', 'exempt_channels': ['letter']},
        'call_frequency_7in7': {'max_attempts': 7, 'window_days': 7, 'consent_valid_days': 7},
        'conversation_cooldown': {'days': 7},
        'missing_opt_out': {'sms': ['STOP'], 'email': ['unsubscribe']},
        'third_party_repeat': {'max_contacts': 1}},
 'US-MA': {'state_frequency_cap': {'personal_phone_max': 2,
                                   'personal_phone_days': 7,
                                   'other_phone_max': 2,
                                   'other_phone_days': 30,
                                   'visit_max': 1,
                                   'visit_days': 30}},
 'US-WA': {'state_frequency_cap': {'max': 3, 'days': 7, 'work_max': 1, 'work_days': 7}},
 'UK': {'quiet_hours': {'start': '08:00', 'end': '21:00', 'exempt_channels': ['letter']},
        'call_frequency_cap': {'max_per_day': 3, 'max_per_window': 10, 'window_days': 7}}}


def seed(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    for code, params in PACKS_V1.items():
        if not RulePack.objects.filter(code=code).exists():
            RulePack.objects.create(code=code, version=1, params=params, note="RULES.md defaults")


def unseed(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    # The model's immutability guard is not in the historical model, so this plain delete works.
    RulePack.objects.filter(version=1, note="RULES.md defaults").delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
