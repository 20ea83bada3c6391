"""smartlive: declarative plan/apply for MetaStudio smart-live configuration."""

__version__ = "0.1.0"
