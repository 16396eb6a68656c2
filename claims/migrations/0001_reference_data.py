
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('ecosystems', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='BenefitRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('jkm_lump_sum', 'JKM lump sum'), ('jkm_periodic', 'JKM periodic benefit (24 months paid at once)'), ('jkm_funeral', 'JKM funeral costs'), ('jkm_early_death', 'JKM death in the first months of membership'), ('jkm_early_months', 'JKM early-death period (months of membership)'), ('jkm_school_months', 'JKM scholarship: months of membership required'), ('jkk_death_multiple', 'JKK death: multiple of the declared monthly income'), ('school_children', 'Scholarship: children at most'), ('school_cap', 'Scholarship: total at most'), ('jht_age_years', 'JHT: retirement age (years)')], max_length=20)),
                ('effective_from', models.DateField()),
                ('amount_idr', models.BigIntegerField(blank=True, null=True)),
                ('multiple', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                ('quantity', models.PositiveIntegerField(blank=True, help_text='Months, years or children', null=True)),
                ('provisional', models.BooleanField(default=False, help_text='Sources disagree (DOMAIN.md: open)')),
                ('source', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['kind', '-effective_from'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'effective_from'), name='benefit_rule_one_per_date'), models.CheckConstraint(condition=models.Q(models.Q(('amount_idr__gt', 0), ('kind__in', ['jkm_lump_sum', 'jkm_periodic', 'jkm_funeral', 'jkm_early_death', 'school_cap']), ('multiple__isnull', True), ('quantity__isnull', True)), models.Q(('amount_idr__isnull', True), ('kind__in', ['jkk_death_multiple']), ('multiple__gt', 0), ('quantity__isnull', True)), models.Q(('amount_idr__isnull', True), ('kind__in', ['jkm_early_months', 'jkm_school_months', 'school_children', 'jht_age_years']), ('multiple__isnull', True), ('quantity__gt', 0)), _connector='OR'), name='benefit_rule_value_fits_kind')],
            },
        ),
        migrations.CreateModel(
            name='Branch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=10, unique=True)),
                ('name', models.CharField(max_length=120)),
                ('is_default', models.BooleanField(default=False, help_text='Serves every regency that has no branch area')),
            ],
            options={
                'verbose_name_plural': 'branches',
                'ordering': ['code'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='branch_one_default')],
            },
        ),
        migrations.CreateModel(
            name='BranchArea',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('branch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='areas', to='claims.branch')),
                ('regency', models.OneToOneField(db_constraint=False, limit_choices_to={'level': 2}, on_delete=django.db.models.deletion.PROTECT, related_name='branch_area', to='ecosystems.region')),
            ],
            options={
                'ordering': ['regency_id'],
            },
        ),
        migrations.CreateModel(
            name='JhtReturnRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True)),
                ('percent', models.DecimalField(decimal_places=2, max_digits=5)),
                ('provisional', models.BooleanField(default=False)),
                ('source', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['-year'],
                'constraints': [models.CheckConstraint(condition=models.Q(('percent__gte', 0), ('percent__lt', 100)), name='jht_return_percent_range'), models.CheckConstraint(condition=models.Q(('year__gte', 1977), ('year__lte', 2200)), name='jht_return_year_range')],
            },
        ),
        migrations.CreateModel(
            name='ScholarshipLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('primary', 'Kindergarten and primary school'), ('junior_high', 'Junior high school'), ('senior_high', 'Senior high school'), ('university', 'University')], max_length=12)),
                ('effective_from', models.DateField()),
                ('position', models.PositiveSmallIntegerField()),
                ('yearly_idr', models.BigIntegerField()),
                ('years', models.PositiveSmallIntegerField()),
                ('source', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['-effective_from', 'position'],
                'constraints': [models.UniqueConstraint(fields=('level', 'effective_from'), name='scholarship_level_one_per_date'), models.UniqueConstraint(fields=('position', 'effective_from'), name='scholarship_position_one_per_date'), models.CheckConstraint(condition=models.Q(('yearly_idr__gt', 0)), name='scholarship_yearly_positive'), models.CheckConstraint(condition=models.Q(('years__gt', 0)), name='scholarship_years_positive')],
            },
        ),
    ]
