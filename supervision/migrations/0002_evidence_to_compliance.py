# The evidence chain moved to compliance, which writes it: the tables are renamed here and the models
# created (in state only) by compliance.0003_evidence_from_supervision.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="evidencelink", table="compliance_evidencelink"),
                migrations.AlterModelTable(name="evidencehead", table="compliance_evidencehead"),
                migrations.AlterModelTable(name="verificationrun", table="compliance_verificationrun"),
            ],
            state_operations=[
                migrations.DeleteModel(name="EvidenceLink"),
                migrations.DeleteModel(name="EvidenceHead"),
                migrations.DeleteModel(name="VerificationRun"),
            ],
        ),
    ]
