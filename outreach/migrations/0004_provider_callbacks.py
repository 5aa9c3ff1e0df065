# Issue 17: provider callbacks (delivery receipts, bounces, replies) and the reply task.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0003_reminder_requeues"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="receipt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="receipt at"),
        ),
        migrations.AlterField(
            model_name="historicaltask",
            name="kind",
            field=models.CharField(
                choices=[
                    ("call", "Call the borrower"),
                    ("placement", "Legal referral or agency placement"),
                    ("reply", "Answer the borrower's reply"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="provider_id",
            field=models.CharField(blank=True, db_index=True, max_length=200, verbose_name="provider id"),
        ),
        migrations.AlterField(
            model_name="task",
            name="kind",
            field=models.CharField(
                choices=[
                    ("call", "Call the borrower"),
                    ("placement", "Legal referral or agency placement"),
                    ("reply", "Answer the borrower's reply"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="ProviderCallback",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider", models.CharField(max_length=30, verbose_name="provider")),
                (
                    "kind",
                    models.CharField(
                        choices=[("receipt", "Delivery receipt"), ("reply", "Inbound reply")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("external_id", models.CharField(max_length=250, verbose_name="provider's event id")),
                ("event", models.CharField(max_length=20, verbose_name="event")),
                ("result", models.CharField(blank=True, max_length=200, verbose_name="result")),
                ("payload", models.JSONField(blank=True, default=dict)),
                ("received_at", models.DateTimeField(auto_now_add=True)),
                (
                    "message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="callbacks",
                        to="outreach.outboundmessage",
                    ),
                ),
            ],
            options={
                "verbose_name": "provider callback",
                "verbose_name_plural": "provider callbacks",
                "ordering": ["-received_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("provider", "kind", "external_id"), name="uniq_provider_callback")
                ],
            },
        ),
    ]
