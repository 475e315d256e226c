"""The portal's own date formats, found through ``FORMAT_MODULE_PATH``.

Django's English defaults are American (``12/02/2026``); the portal writes English dates
as ``2 Dec 2026`` and Russian ones as ``02.12.2026``. Each module overrides only the
display formats; everything else (input formats, number separators) stays Django's.
"""
