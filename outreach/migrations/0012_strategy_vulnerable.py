"""Strategy.vulnerable: humane variants for vulnerable borrowers, part of the active slice's key."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0011_strategy_arms"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="strategy",
            name="uniq_active_strategy_slice",
        ),
        migrations.AddField(
            model_name="historicalstrategy",
            name="vulnerable",
            field=models.BooleanField(
                default=False,
                help_text="Only for vulnerable borrowers, and preferred for them over any other match.",
                verbose_name="for vulnerable borrowers",
            ),
        ),
        migrations.AddField(
            model_name="strategy",
            name="vulnerable",
            field=models.BooleanField(
                default=False,
                help_text="Only for vulnerable borrowers, and preferred for them over any other match.",
                verbose_name="for vulnerable borrowers",
            ),
        ),
        migrations.AddConstraint(
            model_name="strategy",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("kind", "platform", "product", "risk_segment", "vulnerable"),
                name="uniq_active_strategy_slice",
                nulls_distinct=False,
            ),
        ),
    ]
