# The evidence chain moved here from supervision (which renamed its tables in
# supervision.0002_evidence_to_compliance): the models are created in state only.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_seed_rule_packs"),
        ("borrowers", "0002_initial"),
        ("supervision", "0002_evidence_to_compliance"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EvidenceHead',
                    fields=[
                        ('borrower', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='evidence_head', serialize=False, to='borrowers.borrower')),
                        ('seq', models.PositiveIntegerField(default=0)),
                        ('chain_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                        ('updated_at', models.DateTimeField(auto_now=True, db_index=True)),
                    ],
                    options={
                        'verbose_name': 'evidence chain head',
                        'verbose_name_plural': 'evidence chain heads',
                    },
                ),
                migrations.CreateModel(
                    name='VerificationRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('scope', models.CharField(max_length=100, verbose_name='scope')),
                        ('borrowers_checked', models.PositiveIntegerField(default=0)),
                        ('links_checked', models.PositiveIntegerField(default=0)),
                        ('ok', models.BooleanField(default=True)),
                        ('failures', models.JSONField(default=list)),
                        ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'evidence verification',
                        'verbose_name_plural': 'evidence verifications',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='EvidenceLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveIntegerField()),
                        ('kind', models.CharField(choices=[('decision', 'Compliance decision'), ('contact', 'Contact'), ('contact_outcome', 'Contact outcome')], max_length=20)),
                        ('object_id', models.BigIntegerField()),
                        ('content_hash', models.CharField(max_length=64)),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('chain_hash', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('borrower', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='borrowers.borrower')),
                    ],
                    options={
                        'verbose_name': 'evidence link',
                        'verbose_name_plural': 'evidence links',
                        'ordering': ['borrower', 'seq'],
                        'indexes': [models.Index(fields=['kind', 'object_id'], name='evidence_object')],
                        'constraints': [models.UniqueConstraint(fields=('borrower', 'seq'), name='uniq_evidence_seq')],
                    },
                ),
            ],
        ),
    ]
