"""PDFs drawn from HTML with WeasyPrint (statements, offer letters, purchase orders): one place for every app."""

from __future__ import annotations

from django.conf import settings


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML document; relative URLs (fonts, images) resolve from the project directory."""
    # Imported here: WeasyPrint loads Pango and its fonts, which only PDF requests need.
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
