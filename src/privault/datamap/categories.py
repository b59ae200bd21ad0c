"""Data categories a field may declare: the fideslang default taxonomy names.

Using the public fideslang names (https://ethyca.github.io/fideslang/) lets a data map be exchanged
with other privacy tools. The list is the current (3.x) default taxonomy; names fideslang has
deprecated are still recognised so that the error can point at their replacement.
"""

from __future__ import annotations

import difflib

__all__ = ["DATA_CATEGORIES", "DEPRECATED_CATEGORIES", "suggest_category"]

DATA_CATEGORIES: frozenset[str] = frozenset(
    {
        "system",
        "system.authentication",
        "system.operations",
        "user",
        "user.account",
        "user.account.username",
        "user.authorization",
        "user.authorization.biometrics",
        "user.authorization.credentials",
        "user.authorization.password",
        "user.behavior",
        "user.behavior.browsing_history",
        "user.behavior.media_consumption",
        "user.behavior.purchase_history",
        "user.behavior.search_history",
        "user.biometrics",
        "user.biometrics.fingerprint",
        "user.biometrics.retinal",
        "user.biometrics.voice",
        "user.children",
        "user.children.children_under_thirteen",
        "user.children.thirteen_to_sixteen",
        "user.contact",
        "user.contact.address",
        "user.contact.address.city",
        "user.contact.address.country",
        "user.contact.address.mailing_address",
        "user.contact.address.postal_code",
        "user.contact.address.state",
        "user.contact.address.street",
        "user.contact.email",
        "user.contact.fax_number",
        "user.contact.phone_number",
        "user.contact.social_url",
        "user.content",
        "user.content.private",
        "user.content.public",
        "user.content.self_image",
        "user.criminal_history",
        "user.demographic",
        "user.demographic.age_range",
        "user.demographic.citizenship_or_immigration_status",
        "user.demographic.date_of_birth",
        "user.demographic.gender",
        "user.demographic.language",
        "user.demographic.marital_status",
        "user.demographic.philosophical_belief",
        "user.demographic.political_opinion",
        "user.demographic.profile",
        "user.demographic.protected_classifications",
        "user.demographic.race_ethnicity",
        "user.demographic.religious_belief",
        "user.demographic.sexual_orientation",
        "user.demographic.union_membership",
        "user.device",
        "user.device.cookie",
        "user.device.cookie_id",
        "user.device.device_id",
        "user.device.ip_address",
        "user.device.sensor",
        "user.device.telemetry",
        "user.financial",
        "user.financial.bank_account",
        "user.financial.credit_card",
        "user.government_id",
        "user.government_id.birth_certificate",
        "user.government_id.drivers_license_number",
        "user.government_id.immigration",
        "user.government_id.national_identification_number",
        "user.government_id.passport_number",
        "user.government_id.vehicle_registration",
        "user.health",
        "user.health.baby_formula",
        "user.health.condition",
        "user.health.genetic",
        "user.health.insurance_beneficiary_id",
        "user.health.maternity_clothing",
        "user.health.medical_diagnosis",
        "user.health.medications",
        "user.health.prescriptions",
        "user.health.record_id",
        "user.health.reproductive_or_sexual",
        "user.health.social_psychological_behavioral",
        "user.health.symptons",  # sic: fideslang's own spelling
        "user.health.treatment",
        "user.location",
        "user.location.coarse",
        "user.location.precise",
        "user.name",
        "user.name.first",
        "user.name.last",
        "user.payment",
        "user.privacy_preferences",
        "user.professional_information",
        "user.professional_information.job_title",
        "user.professional_information.workplace",
        "user.settings",
        "user.social_activity",
        "user.unique_id",
        "user.unique_id.deterministic",
        "user.unique_id.probablistic",  # sic: fideslang's own spelling
    }
)

# Old name -> the name fideslang replaced it with (deprecated in fideslang 3.2).
DEPRECATED_CATEGORIES: dict[str, str] = {
    "user.account.settings": "user.settings",
    "user.authorization.biometric": "user.authorization.biometrics",
    "user.biometric": "user.biometrics",
    "user.biometric.fingerprint": "user.biometrics.fingerprint",
    "user.biometric.retinal": "user.biometrics.retinal",
    "user.biometric.voice": "user.biometrics.voice",
    "user.biometric.health": "user.biometrics",
    "user.childrens": "user.children",
    "user.contact.url": "user.contact.social_url",
    "user.contact.organization": "user.contact",
    "user.location.imprecise": "user.location.coarse",
    "user.social": "user.social_activity",
    "user.unique_id.pseudonymous": "user.unique_id",
    "user.telemetry": "user.device.telemetry",
    "user.user_sensor": "user.device.sensor",
    "user.sensor": "user.device.sensor",
    "user.health_and_medical": "user.health",
    "user.health_and_medical.genetic": "user.health.genetic",
    "user.health_and_medical.insurance_beneficiary_id": "user.health.insurance_beneficiary_id",
    "user.health_and_medical.record_id": "user.health.record_id",
    "user.job_title": "user.professional_information.job_title",
    "user.workplace": "user.professional_information.workplace",
}

_LEAVES: dict[str, list[str]] = {}
for _name in sorted(DATA_CATEGORIES):
    _LEAVES.setdefault(_name.rsplit(".", 1)[-1], []).append(_name)


def suggest_category(name: str) -> str | None:
    """Return the accepted category closest to ``name``, or None when nothing is close."""
    if name in DEPRECATED_CATEGORIES:
        return DEPRECATED_CATEGORIES[name]
    # A right leaf under the wrong parent ("user.email") is the commonest slip.
    same_leaf = _LEAVES.get(name.rsplit(".", 1)[-1], [])
    if len(same_leaf) == 1:
        return same_leaf[0]
    close = difflib.get_close_matches(name, sorted(DATA_CATEGORIES), n=1, cutoff=0.75)
    return close[0] if close else None
