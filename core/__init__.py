"""The shared core: extension objects, the base model, the contribution record,
the sanitizer, permission helpers, security headers, locale selection and error pages.

Everything above (accounts, forums, consultations) may import from here; this package
imports none of them.
"""
