# Issue 17, item 3: the push channel (app push through the platform's webhook).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0006_task_callback"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalmessagetemplate",
            name="channel",
            field=models.CharField(
                choices=[
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("call", "Robot call"),
                    ("letter", "Letter"),
                    ("task", "Collector call task"),
                    ("placement", "Legal referral / agency placement"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="historicalstrategystep",
            name="channel",
            field=models.CharField(
                choices=[
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("call", "Robot call"),
                    ("letter", "Letter"),
                    ("task", "Collector call task"),
                    ("placement", "Legal referral / agency placement"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="messagetemplate",
            name="channel",
            field=models.CharField(
                choices=[
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("call", "Robot call"),
                    ("letter", "Letter"),
                    ("task", "Collector call task"),
                    ("placement", "Legal referral / agency placement"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="channel",
            field=models.CharField(
                choices=[
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("call", "Robot call"),
                    ("letter", "Letter"),
                    ("task", "Collector call task"),
                    ("placement", "Legal referral / agency placement"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="strategystep",
            name="channel",
            field=models.CharField(
                choices=[
                    ("sms", "SMS"),
                    ("email", "Email"),
                    ("call", "Robot call"),
                    ("letter", "Letter"),
                    ("task", "Collector call task"),
                    ("placement", "Legal referral / agency placement"),
                    ("push", "App push"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
    ]
