"""Staff password strength: zxcvbn must score a password 4 (its top), or a generated passphrase is offered.

Why: a staff password is the only secret between a stolen database copy and that member's
unit keys; the offline guess cost per try is one argon2id run (README "Custody"), so the
password itself must be out of reach of dictionaries, patterns and personal details.
"""

from __future__ import annotations

import secrets

from zxcvbn import zxcvbn

from receipt_codes import load_wordlist

MIN_SCORE = 4
MAX_PASSWORD = 1024
PASSPHRASE_WORDS = 7  # 7 words of 7,776: over 90 bits, like a receipt
_SCORED_CHARS = 72  # zxcvbn refuses longer input; a longer password is scored on its start


def weakness(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """None when the password is strong enough; otherwise why not, in plain words."""
    if len(password) > MAX_PASSWORD:
        return f"a password can be at most {MAX_PASSWORD} characters"
    result = zxcvbn(password[:_SCORED_CHARS], user_inputs=[u for u in user_inputs if u])
    if int(result["score"]) >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    parts = [str(feedback.get("warning") or "it is too easy to guess")]
    parts += [str(s) for s in feedback.get("suggestions", [])]
    return " ".join(p.rstrip(".") + "." for p in parts if p)


def generated_passphrase(words: int = PASSPHRASE_WORDS) -> str:
    """Random words from the receipt word list (CSPRNG), separated by hyphens."""
    wordlist = load_wordlist()
    return "-".join(secrets.choice(wordlist) for _ in range(words))
