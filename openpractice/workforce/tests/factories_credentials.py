"""Helpers for the credential tests: evidence files and a provider-employee with a licence."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def text_upload(name: str = "licence.pdf") -> SimpleUploadedFile:
    """A text file dressed as a PDF: the name and the claimed type must not get it in."""
    return SimpleUploadedFile(name, b"<html><script>alert(1)</script></html>", content_type="application/pdf")
