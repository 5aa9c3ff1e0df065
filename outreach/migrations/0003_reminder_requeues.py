from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0002_strategy_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminderjob",
            name="requeues",
            field=models.PositiveIntegerField(default=0, verbose_name="requeues"),
        ),
    ]
