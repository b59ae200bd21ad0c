"""Fulfilment of data-subject requests: completing one performs what it asks.

Access and portability produce a sealed package behind single-use, expiring download links
(JSON, CSV, HTML); erasure crypto-shreds the customer and issues a signed certificate;
rectification, restriction, objection and opt-out act on the vault and the consent ledger.
"""

from __future__ import annotations

from privault.rights.fulfil.certificate import (
    CERTIFICATE_FORMAT,
    sign_certificate,
    verify_certificate,
)
from privault.rights.fulfil.direct import erase_directly
from privault.rights.fulfil.downloads import (
    LINK_LIFETIME,
    MEDIA_TYPES,
    Download,
    IssuedLink,
    certificate_of,
    download_package,
    issue_link,
)
from privault.rights.fulfil.package import PACKAGE_FORMAT, PACKAGE_KEY_LABEL
from privault.rights.fulfil.rules import FieldChange, RetainedField
from privault.rights.fulfil.schemas import (
    CompletionBody,
    CompletionRead,
    DownloadLinkRead,
    PackageFormat,
    RecordChange,
)
from privault.rights.fulfil.service import Completion, Fulfiller, complete_request

__all__ = [
    "CERTIFICATE_FORMAT",
    "LINK_LIFETIME",
    "MEDIA_TYPES",
    "PACKAGE_FORMAT",
    "PACKAGE_KEY_LABEL",
    "Completion",
    "CompletionBody",
    "CompletionRead",
    "Download",
    "DownloadLinkRead",
    "FieldChange",
    "Fulfiller",
    "IssuedLink",
    "PackageFormat",
    "RecordChange",
    "RetainedField",
    "certificate_of",
    "complete_request",
    "download_package",
    "erase_directly",
    "issue_link",
    "sign_certificate",
    "verify_certificate",
]
