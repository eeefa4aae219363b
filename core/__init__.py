"""camaudit's shared core: the domain model, device merging and network-safety guards."""

__version__ = "0.1.0"
