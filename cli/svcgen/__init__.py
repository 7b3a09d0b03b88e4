"""svcgen: scaffold hardened Go microservices and keep a fleet of them up to date."""

__version__ = "0.1.0"
