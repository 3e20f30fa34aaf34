"""Infrastructure tooling for Cirrus OMS that is not part of the deployed application.

``infra.local`` is the embedded local cloud behind ``make run`` and the end-to-end tests.
"""
