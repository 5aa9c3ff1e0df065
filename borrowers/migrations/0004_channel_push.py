# Issue 17, item 3: the push channel (app push through the platform's webhook).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0003_search_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicaloptout",
            name="channel",
            field=models.CharField(
                choices=[
                    ("call", "Call"),
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("letter", "Letter"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="optout",
            name="channel",
            field=models.CharField(
                choices=[
                    ("call", "Call"),
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("letter", "Letter"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
    ]
