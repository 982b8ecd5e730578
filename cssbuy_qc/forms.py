from django.forms.renderers import TemplatesSetting


class SiteFormRenderer(TemplatesSetting):
    """Every form renders its fields through templates/components/field.html."""

    field_template_name = "components/field.html"
