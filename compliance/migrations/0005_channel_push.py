# Issue 17, item 3: the push channel (app push through the platform's webhook).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_records_lifecycle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="channel",
            field=models.CharField(
                choices=[
                    ("call", "Call"),
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("letter", "Letter"),
                    ("visit", "Field visit"),
                    ("push", "App push"),
                ],
                max_length=10,
            ),
        ),
    ]
