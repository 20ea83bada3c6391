"""MetaStudio smart-live API: wire models (``reconciler.api.models``)."""
