"""Certificates (结业证书): eligibility, issuing, numbering, PDF, public verification, ZIPs."""

from . import checks  # noqa: F401  (registers the built-in requirement checks)
