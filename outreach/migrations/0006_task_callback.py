# Issue 15, item 5: a callback the borrower asked for is a task of its own kind (outreach.callback_requests).

from django.db import migrations, models


def kind() -> models.CharField:
    return models.CharField(
        choices=[
            ("call", "Call the borrower"),
            ("placement", "Legal referral or agency placement"),
            ("reply", "Answer the borrower's reply"),
            ("callback", "Call back at the borrower's request"),
        ],
        max_length=20,
        verbose_name="kind",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0005_task_closed_by_alert_acknowledged_by"),
    ]

    operations = [
        migrations.AlterField(model_name="historicaltask", name="kind", field=kind()),
        migrations.AlterField(model_name="task", name="kind", field=kind()),
    ]
