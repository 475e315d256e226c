"""A long-lived process's garbage collector: set once, when a web or Celery worker starts.

CPython's cyclic collector runs a young collection every ``threshold0`` allocations and,
every so often, a full one that walks every object the process holds. A worker holds some
hundred thousand objects after Django, the URL configuration and the apps are imported,
and one request that decides thousands of eligibility pairs allocates tens of thousands:
with the defaults (700, 10, 10) the collector took a third of such a request, walking the
start-up objects again and again although none of them is ever garbage.

``gc.freeze()`` moves the objects alive at start-up out of the collector's generations (it
never walks them again; they are freed as usual when unreferenced), and a larger young
threshold collects a request's short-lived objects in fewer, equally thorough passes.
Reference counting still frees every object that is not part of a cycle at once.
"""

import gc

# Allocations between two young collections, young collections between two middle ones,
# middle collections between two full ones (CPython also waits for a full collection until
# the objects that survived the others are a quarter of those it already holds).
THRESHOLDS = (10_000, 50, 100)


def settle_collector() -> None:
    """Freeze what the process holds now and widen the collector's thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
