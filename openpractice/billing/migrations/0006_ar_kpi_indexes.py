"""The clean claim rate's read: submissions and rejections by date, a partial index over those two statuses only
(selectors/receivables.py, benchmarks/bench_ar.py). Scrubbing writes ready/held history rows, which it skips."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0005_ledger_append_only"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claimstatuschange",
            index=models.Index(condition=models.Q(("to_status__in", ["submitted", "rejected"])),
                               fields=["at", "claim", "to_status"], name="claim_change_sent_at_idx"),
        ),
    ]
