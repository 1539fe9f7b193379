"""CSM notes and logged touches (accounts.timeline.models.AccountNote), under row-level security like every
tenant-owned table (cs_platform/db/rls.py)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models

from cs_platform.db.rls import ProtectTenantTables


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_held_row_base_manager'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccountNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('note', 'Note'), ('call', 'Call'), ('meeting', 'Meeting'), ('email', 'Email')], default='note', max_length=16)),
                ('subject', models.CharField(blank=True, max_length=200)),
                ('body', models.TextField()),
                ('happened_at', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.customeraccount')),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['tenant', 'account', 'happened_at', 'id'], name='account_note_timeline')],
                'constraints': [models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('body'), 10000), models.Q(('body', ''), _negated=True)), name='account_note_body_length')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('held_rows', django.db.models.manager.Manager()),
            ],
        ),
        ProtectTenantTables(),
    ]
