"""Seed data: a small fictional demo network (:mod:`api.seed.demo`) and a synthetic benchmark scale (:mod:`api.seed.scale`).

Every place, organization and person in these modules is invented; phone numbers use the fictional
555-01xx range and e-mail addresses the reserved ``.example`` domain.
"""
