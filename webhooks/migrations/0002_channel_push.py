# Issue 17, item 3: the push channel (app push through the platform's webhook).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("case.opened", "Case opened"),
                    ("case.stage_changed", "Case stage changed"),
                    ("case.closed", "Case closed"),
                    ("promise.kept", "Promise kept"),
                    ("promise.broken", "Promise broken"),
                    ("plan.activated", "Plan activated"),
                    ("plan.broken", "Plan broken"),
                    ("push.message", "App push message"),
                ],
                max_length=40,
                verbose_name="type",
            ),
        ),
    ]
