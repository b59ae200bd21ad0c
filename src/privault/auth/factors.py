"""Second factors on the database: TOTP secrets sealed per account, used steps, recovery codes.

Each code counts once across every server process: a used TOTP step is a row keyed by (account,
step), inserted with ON CONFLICT DO NOTHING; a recovery code is marked used by a conditional
UPDATE. Whoever loses the race sees no row and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from privault.auth import repository
from privault.auth.keys import AuthKeys
from privault.auth.models import Account
from privault.auth.recovery import (
    generate_recovery_codes,
    hash_recovery_code,
    verify_recovery_code,
)
from privault.auth.totp import new_totp_secret, provisioning_uri, verify_totp


@dataclass(frozen=True)
class TotpEnrolment:
    """A new, not yet confirmed authenticator: shown to the person once."""

    secret: str
    uri: str


def new_totp(*, keys: AuthKeys, account: Account, label: str, issuer: str) -> TotpEnrolment:
    """Give the account a new, unconfirmed TOTP secret (sealed in its row)."""
    secret = new_totp_secret()
    account.totp_secret_ciphertext = keys.seal_totp(account.id, secret)
    account.totp_confirmed_at = None
    # The otpauth label is "issuer:account"; a colon in either part would make it ambiguous.
    uri = provisioning_uri(secret, account=label.replace(":", "_"), issuer=issuer.replace(":", "_"))
    return TotpEnrolment(secret, uri)


def use_totp(
    *, db_session: Session, keys: AuthKeys, account: Account, code: str, at: datetime
) -> bool:
    """Whether ``code`` is valid now and was not used before (it is used up if so)."""
    if account.totp_secret_ciphertext is None:
        return False
    secret = keys.open_totp(account.id, account.totp_secret_ciphertext)
    last = repository.last_totp_step(db_session=db_session, account_id=account.id)
    step = verify_totp(secret, code, at=at, last_used_step=last)
    if step is None:
        return False
    if not repository.claim_totp_step(
        db_session=db_session, account_id=account.id, step=step, at=at
    ):
        return False
    # Only the newest step is needed to refuse replays and older codes.
    repository.forget_totp_steps(db_session=db_session, account_id=account.id, before=step)
    return True


def use_recovery_code(
    *, db_session: Session, keys: AuthKeys, account: Account, code: str, at: datetime
) -> int | None:
    """Use up a matching recovery code; return how many remain, or None if none matched."""
    stored = repository.unused_recovery_codes(db_session=db_session, account_id=account.id)
    index = verify_recovery_code(code, [h for _, h in stored], key=keys.recovery)
    if index is None:
        return None
    if not repository.use_recovery_code(db_session=db_session, code_id=stored[index][0], at=at):
        return None
    return len(stored) - 1


def replace_recovery_codes(
    *, db_session: Session, keys: AuthKeys, account: Account, count: int, at: datetime
) -> list[str]:
    """A new set of recovery codes for the account; the old ones stop working."""
    codes = generate_recovery_codes(count)
    repository.replace_recovery_codes(
        db_session=db_session,
        account_id=account.id,
        code_hashes=[hash_recovery_code(code, key=keys.recovery) for code in codes],
        at=at,
    )
    return codes
