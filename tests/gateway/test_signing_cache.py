"""Token signatures: a verified token is remembered, a bad signature is never let through."""

from __future__ import annotations

from functools import partial

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lendguard.gateway.signing import TokenSigner, derived_key


def test_a_good_signature_is_remembered_and_a_bad_one_always_refused() -> None:
    looked_up: list[int] = []

    def key_for(institution_id: int) -> Ed25519PrivateKey:
        looked_up.append(institution_id)
        return partial(derived_key, "seed")(institution_id)

    signer = TokenSigner(key_for)
    payload = b'{"v":1}'
    signature = signer.sign(7, payload)
    assert signer.verify(7, payload, signature)
    signer._keys.clear()  # a second check of the same token needs no key: it was remembered
    assert signer.verify(7, payload, signature)
    assert looked_up == [7]
    forged = bytes([signature[0] ^ 1]) + signature[1:]
    assert not signer.verify(7, payload, forged)
    assert not signer.verify(7, payload + b" ", signature)
    assert not signer.verify(8, payload, signature)  # another institution's key
    assert not signer.verify(7, payload, forged)  # still refused the second time
