"""Forms of the targets page: one CSV upload each for targets and workforce figures (the rows are checked by
ecosystems.services.targets)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ecosystems.target_files import KIND_TARGETS, MAX_BYTES


class FiguresUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon, at most 5 MB."),
                           error_messages={"required": _("Please choose a file.")})

    def __init__(self, *args, kind: str = KIND_TARGETS, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.prefix = kind  # both forms are on one page: ids and names stay apart
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB."),
                                        params={"mb": MAX_BYTES // (1024 * 1024)})
        return uploaded
