"""Search across the portal: offers, suppliers, tenders, demands, register entries and
certificates in the reader's scope, Russian full text with typos and code prefixes
(``selectors``), its page and API (``views``, ``api_views``), and import substitution: the
offers and suppliers that could replace a demand's imported item (the
``demand_substitutes`` template tag). It reads the core and the domain apps; none of them
imports it."""
