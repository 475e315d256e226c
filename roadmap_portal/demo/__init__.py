"""The demo and the scale data: ``load_demo`` fills an empty database with the two roadmaps'
people, suppliers, offers, certificates and tenders (``data``), ``seed_scale`` fills
PostgreSQL with generated data at a chosen scale for the benchmarks. Nothing of the portal
imports this app."""
