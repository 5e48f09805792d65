"""Settings the type checker loads (pyproject's ``[tool.django-stubs]``): the apps whose models
``directus_shares`` refers to, and nothing that needs a database, a cache or a test-only package.
"""

from __future__ import annotations

SECRET_KEY = "type-checking-only-not-secret"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "guardian",
    "directus_shares",
]
ROOT_URLCONF = "tests.urls"  # every project sets it (checks.py names it); Django has no default
