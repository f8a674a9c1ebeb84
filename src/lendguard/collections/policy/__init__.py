"""The contact-policy engine (pure): rules, rule packs and decisions.

Public entry points: :func:`lendguard.collections.policy.engine.decide`,
:func:`lendguard.collections.policy.parse.parse_scenario` and :func:`lendguard.collections.policy.packs.get_pack`.
"""
