"""Run the whole stack on one machine: servers, services, gateway, demo data.

Used by ``make run`` (``python -m devstack run``) and by the end-to-end tests,
so that the tests start the system exactly as a developer does.
"""
