"""Row-level security on every tenant-owned relation (DESIGN.md tenancy rule 8, cs_platform/db/rls.py),
the owner's partition functions, and this month's and the next two months' event partitions."""

from django.db import migrations

from cs_platform.db.rls import ProtectTenantTables


def create_current_partitions(apps, schema_editor):
    from health.usage.services.partitions import ensure_partitions_ahead

    ensure_partitions_ahead(connection=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("support", "0008_report_covering_indexes"),
        ("health", "0006_ingest_speed"),
    ]

    operations = [
        ProtectTenantTables(),
        migrations.RunPython(create_current_partitions, migrations.RunPython.noop),
    ]
