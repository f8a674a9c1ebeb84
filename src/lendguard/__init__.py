"""lendguard: lawful collection, personal-data governance and anti-fraud intelligence for lenders."""

__version__ = "0.1.0"
