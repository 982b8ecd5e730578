from django import forms


class ExpectedStatusForm(forms.Form):
    """A button that changes something: the status the page showed when it was pressed, so that a
    page gone stale meanwhile is refused as changed meanwhile. Like every form field, it refuses
    what PostgreSQL could not store (a NUL character)."""

    expected_status = forms.CharField(required=False)

    def expected_status_or_none(self) -> str | None:
        return self.cleaned_data["expected_status"] or None
