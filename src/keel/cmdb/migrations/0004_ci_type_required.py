import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0003_seed_ci_types_and_service_cis")]

    operations = [
        migrations.RemoveField(model_name="configurationitem", name="kind"),
        migrations.RemoveField(model_name="configurationitem", name="service"),
        migrations.AlterField(
            model_name="configurationitem",
            name="ci_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cis",
                to="cmdb.citype",
                verbose_name="type",
            ),
        ),
    ]
